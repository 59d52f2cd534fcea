"""The bounded history of a session (events in order, each with its own expiry, and the bytes
they hold) and the histories of every session of a process."""

from __future__ import annotations

import bisect
import heapq
import logging
import math
from collections import deque
from collections.abc import Sequence
from itertools import islice

import attrs

from .config import BroadcasterConfig
from .events import StoredEvent

logger = logging.getLogger("sluice.core")


@attrs.frozen(kw_only=True)
class HistoryFigures:
    """What history holds for one session (or, from :meth:`Backplane.totals`, for all).

    ``size`` events holding ``bytes_held`` bytes of frames; ``expired`` and ``shed`` events
    removed so far for their ttl and for memory pressure; ``last_id`` the newest event's id
    (None for totals or a session without events).
    """

    size: int
    bytes_held: int
    expired: int
    shed: int
    last_id: str | None = None


class History:
    """A session's retained events, oldest first, at most ``max_events`` of them.

    Appending past the bound drops the oldest. Every removal (bound, expiry, shedding,
    clearing) raises ``removed_through`` to the highest position removed, so a resume point
    at or above it is still fully covered. ``origin`` is the position just before the first
    event (``start``); ``former`` the newest position of an earlier life of the session, or
    a bound on it (see :class:`Histories`). ``bytes_held`` counts the encoded frames held;
    ``expired`` and ``shed`` count removals for those reasons. Never blocks.
    """

    __slots__ = (
        "_events",
        "_max_events",
        "_next_deadline",
        "bytes_held",
        "expired",
        "former",
        "last_id",
        "last_position",
        "origin",
        "removed_through",
        "shed",
    )

    def __init__(self, max_events: int, start: int = 0, former: int = 0) -> None:
        self._events: deque[StoredEvent] = deque()
        self._max_events = max_events
        self._next_deadline = math.inf
        self.bytes_held = 0
        self.expired = 0
        self.shed = 0
        self.origin = start
        self.former = former
        self.removed_through = start
        self.last_id: str | None = None
        self.last_position = start

    def __len__(self) -> int:
        return len(self._events)

    def append(self, event: StoredEvent) -> None:
        """Keep ``event`` (newer than every held one); drop the oldest past the bound."""
        self._events.append(event)
        self.bytes_held += len(event.frame)
        self.last_id = event.id
        self.last_position = event.position
        self._next_deadline = min(self._next_deadline, event.expires_at)
        while len(self._events) > self._max_events:
            self._forget(self._events.popleft())

    def expire(self, now: float) -> int:
        """Drop every event whose time is up at ``now``; return how many went.

        O(1) while nothing is due, one pass over the history when something is.
        """
        if now < self._next_deadline:
            return 0
        kept: deque[StoredEvent] = deque()
        gone = 0
        for event in self._events:
            if event.expires_at <= now:
                self._forget(event)
                gone += 1
            else:
                kept.append(event)
        self._events = kept
        self._next_deadline = min((e.expires_at for e in kept), default=math.inf)
        self.expired += gone
        return gone

    def oldest(self) -> StoredEvent | None:
        """The oldest held event, if any."""
        return self._events[0] if self._events else None

    def shed_oldest(self) -> None:
        """Drop the oldest event to relieve memory pressure (counted in ``shed``)."""
        self._forget(self._events.popleft())
        self.shed += 1

    def clear(self) -> None:
        """Drop every event; positions go on from where they were."""
        while self._events:
            self._forget(self._events.popleft())
        self._next_deadline = math.inf

    def holds(self, position: int) -> bool:
        """Whether the event at ``position`` is held."""
        index = bisect.bisect_left(self._events, position, key=_position)
        return index < len(self._events) and self._events[index].position == position

    def after(self, position: int | None, limit: int | None = None) -> list[StoredEvent]:
        """Held events with a position above ``position`` (all when None), oldest first, at
        most ``limit`` of them (the oldest ``limit``)."""
        start = 0
        if position is not None:
            newer = 0
            for event in reversed(self._events):
                if event.position <= position:
                    break
                newer += 1
            start = len(self._events) - newer
        stop = None if limit is None else start + limit
        return list(islice(self._events, start, stop))

    def newest(self, limit: int) -> list[StoredEvent]:
        """The newest ``limit`` held events, oldest first."""
        return list(islice(self._events, max(len(self._events) - limit, 0), None))

    def _forget(self, event: StoredEvent) -> None:
        self.bytes_held -= len(event.frame)
        self.removed_through = max(self.removed_through, event.position)


def _position(event: StoredEvent) -> int:
    return event.position


#: Forgotten sessions whose newest position is remembered one by one; older ones share a bound.
FORMER_KEPT = 10_000


class Histories:
    """The histories of every session of one process, with the bytes they hold in total.

    A session forgotten and made again must not resume from its earlier life: each history
    gets, as ``former``, the newest position the session had before it was forgotten (of the
    last :data:`FORMER_KEPT` sessions forgotten; beyond that, the newest position of any
    session forgotten longer ago, a bound that resets more resumes than needed, never fewer).

    Crossing ``memory_warning_bytes`` logs one warning (again only after going back under
    it); past ``memory_critical_bytes`` the oldest events of all sessions are shed until usage
    is back at the warning threshold. Counts the removals of sessions since forgotten.
    Never blocks.
    """

    def __init__(self) -> None:
        self._histories: dict[str, History] = {}
        self._former: dict[str, int] = {}  # forgotten sessions, oldest first: newest position
        self._forgotten_through = 0  # the newest position of the sessions dropped from it
        self._bytes_held = 0
        self._expired = 0
        self._shed = 0
        self._warned = False

    def sessions(self) -> list[str]:
        """The sessions that have a history."""
        return list(self._histories)

    def append(
        self, session_id: str, events: Sequence[StoredEvent], config: BroadcasterConfig, start: int
    ) -> None:
        """Keep ``events`` in the session's history (made, beginning at ``start``, if it has
        none), then watch the memory held."""
        history = self._histories.get(session_id)
        if history is None:
            former = self._former.pop(session_id, self._forgotten_through)
            history = History(config.max_history_per_session, start, former)
            self._histories[session_id] = history
        before = history.bytes_held
        for event in events:
            history.append(event)
        self._bytes_held += history.bytes_held - before
        self._watch_memory(config)

    def current(self, session_id: str, now: float) -> History | None:
        """The session's history with expired events dropped, if it has one."""
        history = self._histories.get(session_id)
        if history is not None:
            self._expire(history, now)
        return history

    def former(self, session_id: str) -> int:
        """For a session without history: positions at or below this may be from an earlier
        life of it."""
        return self._former.get(session_id, self._forgotten_through)

    def clear(self, session_id: str, config: BroadcasterConfig | None) -> None:
        """Drop the session's events; positions go on from where they were."""
        history = self._histories.get(session_id)
        if history is not None:
            self._bytes_held -= history.bytes_held
            history.clear()
            self._rearm_warning(config)

    def forget(self, session_id: str, config: BroadcasterConfig | None) -> None:
        """Drop the session's history altogether."""
        history = self._histories.pop(session_id, None)
        if history is not None:
            self._bytes_held -= history.bytes_held
            self._former[session_id] = history.last_position
            if len(self._former) > FORMER_KEPT:
                oldest = next(iter(self._former))
                self._forgotten_through = max(self._forgotten_through, self._former.pop(oldest))
            self._rearm_warning(config)

    def expire(self, now: float, config: BroadcasterConfig | None) -> None:
        """Drop every event whose ttl ran out at ``now``."""
        for history in self._histories.values():
            self._expire(history, now)
        self._rearm_warning(config)

    def figures(self, session_id: str) -> HistoryFigures:
        """What the session's history holds (zeros when it has none)."""
        history = self._histories.get(session_id)
        if history is None:
            return HistoryFigures(size=0, bytes_held=0, expired=0, shed=0)
        return HistoryFigures(
            size=len(history),
            bytes_held=history.bytes_held,
            expired=history.expired,
            shed=history.shed,
            last_id=history.last_id,
        )

    def totals(self) -> HistoryFigures:
        """What every history holds, with the removals of forgotten sessions counted."""
        return HistoryFigures(
            size=sum(len(h) for h in self._histories.values()),
            bytes_held=self._bytes_held,
            expired=self._expired,
            shed=self._shed,
        )

    def _expire(self, history: History, now: float) -> None:
        before = history.bytes_held
        self._expired += history.expire(now)
        self._bytes_held -= before - history.bytes_held

    def _watch_memory(self, config: BroadcasterConfig) -> None:
        """Warn once per crossing of the warning threshold; shed past the critical one."""
        if self._bytes_held > config.memory_warning_bytes and not self._warned:
            self._warned = True
            logger.warning(
                "history holds %d bytes, over the warning threshold of %d bytes",
                self._bytes_held,
                config.memory_warning_bytes,
            )
        if self._bytes_held > config.memory_critical_bytes:
            self._shed_oldest(config)

    def _shed_oldest(self, config: BroadcasterConfig) -> None:
        """Drop the oldest events of all sessions until usage is back at the warning threshold."""
        heads = [
            (oldest.accepted_at, oldest.position, session_id)
            for session_id, history in self._histories.items()
            if (oldest := history.oldest()) is not None
        ]
        heapq.heapify(heads)
        shed = 0
        while heads and self._bytes_held > config.memory_warning_bytes:
            _, _, session_id = heapq.heappop(heads)
            history = self._histories[session_id]
            before = history.bytes_held
            history.shed_oldest()
            self._bytes_held -= before - history.bytes_held
            shed += 1
            if (oldest := history.oldest()) is not None:
                heapq.heappush(heads, (oldest.accepted_at, oldest.position, session_id))
        self._shed += shed
        logger.warning(
            "history was over the critical threshold of %d bytes: shed the %d oldest events",
            config.memory_critical_bytes,
            shed,
        )
        self._rearm_warning(config)

    def _rearm_warning(self, config: BroadcasterConfig | None) -> None:
        if config is not None and self._bytes_held <= config.memory_warning_bytes:
            self._warned = False
