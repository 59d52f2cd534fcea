"""Opening a broadcaster, and finding the open one (the guide's ``get_sse_broadcaster()``).

A broadcaster registers itself here while it runs (inside ``async with``), and
:func:`get_sse_broadcaster` returns the innermost one: the calling task's, else the one opened
last that is still open (for tasks started outside its block, such as a web app's requests).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocol import Catalogue

    from .backplane import Backplane
    from .broadcaster import Broadcaster
    from .config import BroadcasterConfig

#: What to write instead of the guide's ``EnhancedSSEBroadcaster(config)`` used directly.
HOW_TO_OPEN = (
    "under trio a broadcaster runs inside a block that owns its tasks: "
    "`async with EnhancedSSEBroadcaster(config) as broadcaster:` "
    "(or `async with open_broadcaster(config) as broadcaster:`), and code inside it, or in "
    "the Sluice app that runs one (server.web.app.create_app), calls get_sse_broadcaster()"
)

_CURRENT: ContextVar[Broadcaster | None] = ContextVar("sluice_broadcaster", default=None)
_OPEN: list[Broadcaster] = []


def opened(broadcaster: Broadcaster) -> Token[Broadcaster | None]:
    """Register ``broadcaster`` as running (for the calling task's context and the process)."""
    _OPEN.append(broadcaster)
    return _CURRENT.set(broadcaster)


def closed(broadcaster: Broadcaster, token: Token[Broadcaster | None]) -> None:
    """Undo :func:`opened`."""
    _OPEN.remove(broadcaster)
    _CURRENT.reset(token)


def open_broadcaster(
    config: BroadcasterConfig | None = None,
    backplane: Backplane | None = None,
    catalogue: Catalogue | None = None,
) -> Broadcaster:
    """A :class:`~sse_core.Broadcaster` (on a new ``MemoryBackplane`` unless given one, with
    the built-in event catalogue unless given one) to run with ``async with``: inside the block
    it runs the backplane and the cleanup loop in its own nursery and is what
    :func:`get_sse_broadcaster` returns; leaving the block, normally, by an exception or by
    cancellation, shuts it down and ends every task it started."""
    from .broadcaster import Broadcaster  # imported here: the broadcaster registers itself here

    return Broadcaster(config, backplane, catalogue)


def get_sse_broadcaster() -> Broadcaster:
    """The innermost running broadcaster (the guide's singleton).

    Looks at the calling task's context first, then at the most recently opened broadcaster
    still running. Raises ``RuntimeError`` saying how to open one when none is.
    """
    current = _CURRENT.get()
    if current is not None:
        return current
    if _OPEN:
        return _OPEN[-1]
    raise RuntimeError(f"no broadcaster is open: {HOW_TO_OPEN}")
