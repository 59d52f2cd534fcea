"""Which broadcaster is open: the guide's ``get_sse_broadcaster()`` without a global that runs.

A broadcaster registers itself here while it runs (inside ``async with``), and
:func:`get_sse_broadcaster` returns the innermost one: the calling task's, else the one opened
last that is still open (for tasks started outside its block, such as a web app's requests).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .broadcaster import Broadcaster

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
