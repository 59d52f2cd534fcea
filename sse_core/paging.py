"""Resume paging, one rule for every backplane: from a resume point (a client's last event
id) to the page of history it gets, with the reason when it cannot continue exactly there.

A backplane supplies a :data:`WindowReader`, which reads what a session's history shows at
one moment (a :class:`Window`); :func:`read_page` parses the id, reads, judges whether the
page continues exactly after the id, and when it does not, reads what history holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs

from .events import HistoryPage, ResetReason, StoredEvent
from .ids import parse_event_id


@attrs.frozen(kw_only=True)
class Window:
    """A session's history as one read saw it. Positions are the backplane's sequence.

    ``events``: the held, unexpired events after the position asked for (all of them when
    None), oldest first, at most the limit asked for. ``epoch``: the epoch of the store that
    was read. ``floor``: the highest position removed from the session's history (trimmed,
    expired, shed or cleared), or the position just before its first event: every event of
    the session above it is still held. ``last``: the session's newest position (its floor
    when it has none).
    """

    events: list[StoredEvent]
    epoch: str
    floor: int
    last: int


#: ``read(after, limit)``: the :class:`Window` of the events after position ``after`` (all
#: when None), at most ``limit`` (all when None). A checkpoint for a remote store.
WindowReader = Callable[[int | None, int | None], Awaitable[Window]]


async def read_page(read: WindowReader, after_id: str | None, limit: int | None) -> HistoryPage:
    """The page of history after ``after_id`` (a client's last event id; None for all):

    - an id of another epoch is ``unknown_epoch``, text that is no id ``malformed_id``;
    - an id at or above the floor and at or below the newest position continues exactly;
    - any other id is ``history_exhausted``.

    With a reset reason, the page is what history holds from its oldest event. Reads once,
    or twice when the first read shows that the id cannot be continued from.
    """
    parsed = None if after_id is None else parse_event_id(after_id)
    after = None if parsed is None else parsed.sequence
    window = await read(after, limit)
    reason: ResetReason | None = None
    if after_id is not None:
        if parsed is None:
            reason = "malformed_id"
        elif parsed.epoch != window.epoch:
            reason = "unknown_epoch"
        elif not window.floor <= parsed.sequence <= window.last:
            reason = "history_exhausted"
    if reason is not None:
        after = None
        if parsed is not None:
            window = await read(None, limit)
    events = window.events
    return HistoryPage(
        events=events, reset_reason=reason, position=events[-1].position if events else after
    )
