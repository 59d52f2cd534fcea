"""Resume paging, one rule for every backplane: from a resume point (a client's last event
id) to the page of history it gets, with the reason when it cannot continue exactly there.

A backplane supplies a :data:`WindowReader`, which reads what a session's history shows at
one moment (a :class:`Window`); :func:`read_page` parses the id, reads, judges whether the
page continues exactly after the id (:func:`judge`), and when it does not, reads what
history holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import attrs

from .events import HistoryPage, ResetReason, StoredEvent
from .ids import parse_event_id


@attrs.frozen(kw_only=True)
class Window:
    """A session's history as one read saw it. Positions are the backplane's sequence, which
    counts the events of every session, so a session's positions have gaps.

    ``events``: the held, unexpired events after the position asked for (all of them when
    None), oldest first, at most the limit asked for. ``epoch``: the epoch of the store that
    was read. ``origin``: the position just before the session's first event (the newest
    position issued, for a session without one). ``floor``: the highest position removed
    from the session's history (trimmed, expired, shed or cleared), else ``origin``: every
    event of the session above it is still held. ``last``: the session's newest position
    (``origin`` when it has none). ``issued``: the newest position issued to any session.
    ``holds``: whether the session holds an event at the position asked for. ``former``:
    the newest position of an earlier life of the session (made again after it expired), or
    a bound above it; 0 when it had none.
    """

    events: list[StoredEvent]
    epoch: str
    origin: int
    floor: int
    last: int
    issued: int
    holds: bool = False
    former: int = 0


#: ``read(after, limit)``: the :class:`Window` of the events after position ``after`` (all
#: when None), at most ``limit`` (all when None). A checkpoint for a remote store.
WindowReader = Callable[[int | None, int | None], Awaitable[Window]]


async def read_page(read: WindowReader, after_id: str | None, limit: int | None) -> HistoryPage:
    """The page of one session's history after ``after_id`` (a client's last event id; None
    for all); :func:`read_pages` with one session."""
    return (await read_pages({"": read}, after_id, limit))[""]


async def read_pages(
    reads: Mapping[str, WindowReader], after_id: str | None, limit: int | None
) -> dict[str, HistoryPage]:
    """The page of each session's history after one ``after_id`` (a client's last event id;
    None for all), keyed by session as ``reads`` is.

    Reset reasons: ``malformed_id`` for text that is no id, ``unknown_epoch`` for an id of
    another epoch, else as :func:`judge` decides; the id is trusted when one of the sessions
    issued it. With a reset reason, a session's page is what its history holds from its
    oldest event. Reads each session once, or twice when the first read shows that the id
    cannot be continued from.
    """
    parsed = None if after_id is None else parse_event_id(after_id)
    after = None if parsed is None else parsed.sequence
    windows = {key: await read(after, limit) for key, read in reads.items()}
    trusted = parsed is not None and any(
        w.holds or parsed.sequence == w.floor > w.origin for w in windows.values()
    )
    pages: dict[str, HistoryPage] = {}
    for key, window in windows.items():
        reason: ResetReason | None = None
        if after_id is not None:
            if parsed is None:
                reason = "malformed_id"
            elif parsed.epoch != window.epoch:
                reason = "unknown_epoch"
            else:
                reason = judge(parsed.sequence, window, trusted=trusted)
        start = after
        if reason is not None:
            start = None
            if parsed is not None:
                window = await reads[key](None, limit)
        events = window.events
        position = events[-1].position if events else start
        pages[key] = HistoryPage(
            events=events, reset_reason=reason, position=position, epoch=window.epoch
        )
    return pages


def judge(position: int, window: Window, *, trusted: bool) -> ResetReason | None:
    """Whether a resume after ``position`` (of the window's epoch) continues exactly (None),
    or why not. ``trusted``: the position is one the client may have seen on this stream (an
    event of this session, or of another session read on the same stream). Nothing the
    client has not seen may be skipped without a reset:

    - a position never issued is ``history_exhausted``;
    - one at or before the session's first event (older than everything it held) continues
      with its whole history, but is ``history_exhausted`` when the session has dropped
      events since, or when an earlier life of the session may have had events after it;
    - a trusted one continues exactly, unless history dropped events after it
      (``history_exhausted``);
    - any other position was issued to another session: ``foreign_id``.
    """
    if position > window.issued:
        return "history_exhausted"
    if position <= window.origin:
        if window.floor > window.origin or position < window.former:
            return "history_exhausted"
        return None
    if position < window.floor:
        return "history_exhausted"
    return None if trusted else "foreign_id"
