"""The bounded history of one session: events in order, each with its own expiry, and the
bytes they hold."""

from __future__ import annotations

import math
from collections import deque
from itertools import islice

from .events import StoredEvent


class History:
    """A session's retained events, oldest first, at most ``max_events`` of them.

    Appending past the bound drops the oldest. Every removal (bound, expiry, shedding,
    clearing) raises ``removed_through`` to the highest position removed, so a resume point
    at or above it is still fully covered. A history that begins at position ``start``
    counts everything before it as removed: it cannot say what came earlier.
    ``bytes_held`` counts the encoded frames held; ``expired`` and ``shed`` count removals
    for those reasons. Never blocks.
    """

    __slots__ = (
        "_events",
        "_max_events",
        "_next_deadline",
        "bytes_held",
        "expired",
        "last_id",
        "last_position",
        "removed_through",
        "shed",
    )

    def __init__(self, max_events: int, start: int = 0) -> None:
        self._events: deque[StoredEvent] = deque()
        self._max_events = max_events
        self._next_deadline = math.inf
        self.bytes_held = 0
        self.expired = 0
        self.shed = 0
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

    def covers(self, position: int) -> bool:
        """Whether every event after ``position`` is still held (nothing newer was removed)."""
        return position >= self.removed_through

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
