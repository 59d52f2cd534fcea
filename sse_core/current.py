"""Opening a broadcaster, and finding the open one (the guide's ``get_sse_broadcaster``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

import trio

from protocol import Catalogue

from .backplane import Backplane
from .broadcaster import Broadcaster
from .config import BroadcasterConfig

_CURRENT: ContextVar[Broadcaster | None] = ContextVar("sluice_broadcaster", default=None)
_OPEN: list[Broadcaster] = []


@asynccontextmanager
async def open_broadcaster(
    config: BroadcasterConfig | None = None,
    backplane: Backplane | None = None,
    catalogue: Catalogue | None = None,
) -> AsyncIterator[Broadcaster]:
    """Open a :class:`Broadcaster` (on a new :class:`MemoryBackplane` unless given one, with
    the built-in event catalogue unless given one).

    Inside the block it runs the backplane and the cleanup loop in its own nursery and is
    what :func:`get_sse_broadcaster` returns. Leaving the block, normally, by an exception
    or by cancellation, shuts it down: every subscription's stream ends and every task it
    started is done before the block exits.
    """
    broadcaster = Broadcaster(config, backplane, catalogue)
    async with trio.open_nursery() as nursery:
        await nursery.start(broadcaster._serve)
        token = _CURRENT.set(broadcaster)
        _OPEN.append(broadcaster)
        try:
            yield broadcaster
        finally:
            _OPEN.remove(broadcaster)
            _CURRENT.reset(token)
            broadcaster._close()


def get_sse_broadcaster() -> Broadcaster:
    """The broadcaster of the innermost open :func:`open_broadcaster` (the guide's singleton).

    Looks at the calling task's context first, then at the most recently opened broadcaster
    still open (for tasks started outside the block). Raises ``RuntimeError`` when none is.
    """
    current = _CURRENT.get()
    if current is not None:
        return current
    if _OPEN:
        return _OPEN[-1]
    raise RuntimeError("no broadcaster is open; use open_broadcaster()")
