"""Deadlines of waiting subscriptions, kept in one heap and served by one task.

A cancel scope per wait (``trio.move_on_at``) costs more than the rest of a wake-up; a
subscription's reader waits once per delivery, with a deadline (the keepalive) that is almost
never reached. So a subscription arms an alarm only when it has none at or before its deadline,
and the alarm, when it rings, re-arms itself if the subscription has moved its deadline on since:
one heap entry per subscription, one task and one cancel scope for all of them.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Protocol

import trio


class Sleeper(Protocol):
    """What an alarm rings: told the time, it wakes its reader or arms its next alarm."""

    def _ring(self, now: float) -> None: ...


class Alarms:
    """Rings each armed :class:`Sleeper` at its deadline; run :meth:`run` in a nursery."""

    __slots__ = ("_heap", "_order", "_scope", "_target")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Sleeper]] = []
        self._order = itertools.count()
        self._target = math.inf
        self._scope: trio.CancelScope | None = None

    def arm(self, sleeper: Sleeper, deadline: float) -> None:
        """Ring ``sleeper`` at ``deadline`` (``trio.current_time()`` clock)."""
        heapq.heappush(self._heap, (deadline, next(self._order), sleeper))
        if deadline < self._target and self._scope is not None:
            self._scope.cancel()  # sleeping towards a later deadline: wake up and re-sleep

    async def run(self) -> None:
        """Ring the alarms as they fall due, until cancelled."""
        heap = self._heap
        while True:
            now = trio.current_time()
            while heap and heap[0][0] <= now:
                heapq.heappop(heap)[2]._ring(now)
            self._target = heap[0][0] if heap else math.inf
            with trio.CancelScope(deadline=self._target) as self._scope:
                await trio.sleep_forever()
            self._scope = None
