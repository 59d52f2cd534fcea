"""The backplane: where a session's events are ordered, given ids and kept, and where
delivery to this process's subscribers comes from.

The broadcaster validates, builds a :class:`~sse_core.events.Draft` and calls
:meth:`Backplane.append`; the backplane gives every event its id and position, stores it, and
hands it, in session order, to the *sink* the broadcaster bound in :meth:`Backplane.run`. The
broadcaster fans out only what the sink receives, so events published here and on other
nodes reach local subscribers through one ordered path. :class:`MemoryBackplane` (one
process) delivers inside ``append``; a Redis Streams backplane appends with ``XADD`` and
delivers from the one ``XREAD`` reader its ``run`` starts.
"""

from __future__ import annotations

import heapq
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import attrs
import trio

from .config import BroadcasterConfig
from .events import Draft, HistoryPage, ResetReason, StoredEvent
from .history import History
from .ids import format_event_id, new_epoch, parse_event_id

logger = logging.getLogger("sluice.core")

#: Receives ``(session_id, events)`` for local fan-out, in session order. Synchronous: it
#: never blocks and must not raise.
Sink = Callable[[str, Sequence[StoredEvent]], None]


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


class Backplane(ABC):
    """Orders, identifies, stores and delivers the events of every session.

    A backplane serves one open broadcaster at a time, between the start and the end of its
    :meth:`run` task. Every async method is a checkpoint; a cancelled :meth:`append` may or
    may not have appended (the memory backplane appends all or nothing).

    What the broadcaster relies on, so that a resume has no gap and no duplicate:

    - ``StoredEvent.position`` increases within a session (a Redis id ``ms-seq`` can map to
      ``ms << 64 | seq``), and the sink gets each event once, in that order.
    - The broadcaster registers a subscriber, then calls :meth:`replay`. Every event the
      page does not hold and that lies above ``HistoryPage.position`` reaches the sink after
      that call began; the subscriber drops live events at or below the page's position.
    """

    @property
    @abstractmethod
    def epoch(self) -> str:
        """Identifies this run of the hub's event store; part of every event id."""

    @abstractmethod
    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Bind to a broadcaster, report ``started``, then run until cancelled.

        Started in the broadcaster's nursery. ``config`` sets history bounds and ttls;
        ``sink`` receives every event to deliver locally, from this process or another.
        """

    @abstractmethod
    async def append(self, session_id: str, drafts: Sequence[Draft]) -> list[StoredEvent]:
        """Give ``drafts`` ids in order, store them, schedule their delivery to the sink.

        Returns the stored events. Raises ``RuntimeError`` when not bound.
        """

    @abstractmethod
    async def replay(
        self, session_id: str, after_id: str | None, limit: int | None = None
    ) -> HistoryPage:
        """Unexpired events after ``after_id`` (all held when None), oldest first, at most
        ``limit``; with a reset reason when history cannot cover ``after_id``."""

    @abstractmethod
    async def recent(self, session_id: str, limit: int) -> list[StoredEvent]:
        """The newest ``limit`` unexpired events, oldest first."""

    @abstractmethod
    async def clear(self, session_id: str) -> None:
        """Drop the session's history; ids go on from where they were."""

    @abstractmethod
    async def forget(self, session_id: str) -> None:
        """The session expired: drop everything kept for it."""

    @abstractmethod
    async def expire(self) -> None:
        """Drop events whose ttl ran out (called by the cleanup loop)."""

    @abstractmethod
    def figures(self, session_id: str) -> HistoryFigures:
        """The session's history figures (zeros for an unknown session). Never blocks."""

    @abstractmethod
    def totals(self) -> HistoryFigures:
        """Figures over every session, counting removals of sessions since forgotten."""


class MemoryBackplane(Backplane):
    """The embedded backplane: one process, history in memory, ids ``<epoch>-<sequence>``.

    A new instance has a new random epoch (pass ``epoch`` to fix it), so ids from a previous
    run resume with ``stream_reset`` (``unknown_epoch``). Sequences are counted over all
    sessions, so a session forgotten and made again never reuses an id, and a resume point
    from before it was made again gets ``history_exhausted``. Memory: the bytes of held frames
    are counted; crossing the warning threshold logs one warning (again only after going
    back under it); past the critical threshold the oldest events of all sessions are shed
    until usage is back at the warning threshold.

    ``append`` delivers to the sink before it returns. Every method does its work without
    yielding, so each is atomic to the others: ``replay`` sees an append entirely or not at
    all. Writers check for cancellation before the work (cancelled, they do nothing) and
    yield after it, shielded.
    """

    def __init__(self, *, epoch: str | None = None) -> None:
        self._epoch = epoch if epoch is not None else new_epoch()
        self._histories: dict[str, History] = {}
        self._position = 0
        self._config: BroadcasterConfig | None = None
        self._sink: Sink | None = None
        self._bytes_held = 0
        self._expired = 0
        self._shed = 0
        self._warned = False

    @property
    def epoch(self) -> str:
        return self._epoch

    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        if self._sink is not None:
            raise RuntimeError("this backplane already serves a broadcaster")
        self._config, self._sink = config, sink
        try:
            task_status.started()
            await trio.sleep_forever()
        finally:
            self._config = self._sink = None

    async def append(self, session_id: str, drafts: Sequence[Draft]) -> list[StoredEvent]:
        await trio.lowlevel.checkpoint_if_cancelled()
        config, sink = self._config, self._sink
        if config is None or sink is None:
            raise RuntimeError("the backplane is not running")
        history = self._histories.get(session_id)
        if history is None:
            history = History(config.max_history_per_session, start=self._position)
            self._histories[session_id] = history
        now = trio.current_time()
        before = history.bytes_held
        stored = []
        for draft in drafts:
            self._position += 1
            event = StoredEvent.build(
                draft,
                id=format_event_id(self._epoch, self._position),
                position=self._position,
                now=now,
                ttl=config.event_ttl if draft.ttl is None else draft.ttl,
            )
            history.append(event)
            stored.append(event)
        self._bytes_held += history.bytes_held - before
        sink(session_id, stored)
        self._watch_memory(config)
        await trio.lowlevel.cancel_shielded_checkpoint()
        return stored

    async def replay(
        self, session_id: str, after_id: str | None, limit: int | None = None
    ) -> HistoryPage:
        await trio.lowlevel.checkpoint()
        history = self._current(session_id)
        reason: ResetReason | None = None
        after: int | None = None
        if after_id is not None:
            parsed = parse_event_id(after_id)
            if parsed is None:
                reason = "malformed_id"
            elif parsed.epoch != self._epoch:
                reason = "unknown_epoch"
            elif parsed.sequence > history.last_position or not history.covers(parsed.sequence):
                reason = "history_exhausted"
            else:
                after = parsed.sequence
        events = history.after(after, limit)
        position = events[-1].position if events else after
        return HistoryPage(events=events, reset_reason=reason, position=position)

    async def recent(self, session_id: str, limit: int) -> list[StoredEvent]:
        await trio.lowlevel.checkpoint()
        return self._current(session_id).newest(limit)

    async def clear(self, session_id: str) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        history = self._histories.get(session_id)
        if history is not None:
            self._bytes_held -= history.bytes_held
            history.clear()
            self._rearm_warning()
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def forget(self, session_id: str) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        history = self._histories.pop(session_id, None)
        if history is not None:
            self._bytes_held -= history.bytes_held
            self._rearm_warning()
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def expire(self) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        now = trio.current_time()
        for history in self._histories.values():
            self._expire(history, now)
        self._rearm_warning()
        await trio.lowlevel.cancel_shielded_checkpoint()

    def figures(self, session_id: str) -> HistoryFigures:
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
        return HistoryFigures(
            size=sum(len(h) for h in self._histories.values()),
            bytes_held=self._bytes_held,
            expired=self._expired,
            shed=self._shed,
        )

    def _current(self, session_id: str) -> History:
        """The session's history with expired events dropped (an empty one if it has none)."""
        history = self._histories.get(session_id)
        if history is None:
            return History(1)
        self._expire(history, trio.current_time())
        return history

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
        self._rearm_warning()

    def _rearm_warning(self) -> None:
        config = self._config
        if config is not None and self._bytes_held <= config.memory_warning_bytes:
            self._warned = False
