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

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import trio

from .config import BroadcasterConfig
from .events import Draft, HistoryPage, StoredEvent
from .history import Histories, HistoryFigures
from .idempotency import AlreadyRecorded, Claim, KeyStore, Recorded
from .ids import format_event_id, new_epoch
from .paging import Window, WindowReader, read_pages

#: Receives ``(session_id, events)`` for local fan-out, in session order. Synchronous: it
#: never blocks and must not raise.
Sink = Callable[[str, Sequence[StoredEvent]], None]

#: Told that local subscribers may miss events from here on (the store went out of reach, lost
#: its data, or the reader fell behind): ``interrupt(epoch)`` ends every open stream read in
#: another epoch than ``epoch`` (every stream when None) after what is queued, so that its
#: client resumes, exactly or with ``stream_reset``. Returns how many streams it ended.
#: Synchronous: it never blocks and must not raise.
Interrupt = Callable[[str | None], int]


class BackplaneUnavailable(Exception):
    """The backplane's store cannot be reached (for a publish, it may or may not have been
    stored). The message says where, without credentials."""


def find_error[E: BaseException](
    error: BaseException, kind: type[E] | tuple[type[E], ...]
) -> E | None:
    """``error`` if it is a ``kind``, else the first ``kind`` inside it (exception groups
    nest: a backplane's error reaches its caller through the nurseries in between)."""
    if isinstance(error, kind):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := find_error(inner, kind)) is not None:
                return found
    return None


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

    @property
    def available(self) -> bool:
        """False while the store is known to be out of reach (new streams are then refused)."""
        return True

    @abstractmethod
    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        interrupt: Interrupt,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Bind to a broadcaster, report ``started``, then run until cancelled.

        Started in the broadcaster's nursery. ``config`` sets history bounds and ttls;
        ``sink`` receives every event to deliver locally, from this process or another;
        ``interrupt`` is called whenever the sink may have missed events.
        """

    @abstractmethod
    async def append(
        self, session_id: str, drafts: Sequence[Draft], claim: Claim | None = None
    ) -> list[str]:
        """Give ``drafts`` ids in order, store them, schedule their delivery to the sink.

        Returns their ids (without framing an event this process does not deliver). Raises
        ``RuntimeError`` when not bound. With a ``claim`` the events' ids are recorded under
        its key in the same atomic step, for ``claim.ttl`` seconds; when the key is already
        recorded nothing is appended and :class:`~sse_core.idempotency.AlreadyRecorded` is
        raised.
        """

    @abstractmethod
    async def record(self, claim: Claim, result: tuple[str, ...]) -> Recorded | None:
        """Record ``result`` under the claim's key for ``claim.ttl`` seconds, unless a record
        is there: then return it (atomically: of two callers, one records)."""

    @abstractmethod
    async def discard(self, key: str) -> None:
        """Forget the record of ``key`` (the work it stood for could not start)."""

    def keys_held(self) -> tuple[int, int]:
        """Idempotency keys recorded in this process's memory, and their bytes (approximate);
        a backplane that keeps them elsewhere holds none here."""
        return 0, 0

    async def replay(
        self, session_id: str, after_id: str | None, limit: int | None = None
    ) -> HistoryPage:
        """Unexpired events after ``after_id`` (all held when None), oldest first, at most
        ``limit``; with a reset reason when history cannot cover ``after_id``
        (:func:`~sse_core.paging.read_page`)."""
        return (await self.replay_sessions([session_id], after_id, limit))[session_id]

    async def replay_sessions(
        self, session_ids: Sequence[str], after_id: str | None, limit: int | None = None
    ) -> dict[str, HistoryPage]:
        """:meth:`replay` of each session in ``session_ids`` from one ``after_id`` (the last
        event id of a stream that carried them all: see :func:`~sse_core.paging.read_pages`)."""
        return await read_pages({s: self.reader(s) for s in session_ids}, after_id, limit)

    @abstractmethod
    def reader(self, session_id: str) -> WindowReader:
        """Reads the session's :class:`~sse_core.paging.Window` after a position."""

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
    from before it was made again gets ``history_exhausted`` when it may have missed events
    (see :class:`~sse_core.history.Histories`). Memory: the bytes of held frames
    are counted, warned about and shed (see :class:`~sse_core.history.Histories`).

    ``append`` delivers to the sink before it returns. Every method does its work without
    yielding, so each is atomic to the others: ``replay`` sees an append entirely or not at
    all. Writers check for cancellation before the work (cancelled, they do nothing) and
    yield after it, shielded.
    """

    def __init__(self, *, epoch: str | None = None) -> None:
        self._epoch = epoch if epoch is not None else new_epoch()
        self._histories = Histories()
        self._keys = KeyStore()
        self._position = 0
        self._config: BroadcasterConfig | None = None
        self._sink: Sink | None = None

    @property
    def epoch(self) -> str:
        return self._epoch

    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        interrupt: Interrupt,
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

    async def append(
        self, session_id: str, drafts: Sequence[Draft], claim: Claim | None = None
    ) -> list[str]:
        await trio.lowlevel.checkpoint_if_cancelled()
        config, sink = self._config, self._sink
        if config is None or sink is None:
            raise RuntimeError("the backplane is not running")
        start, now = self._position, trio.current_time()
        if claim is not None and (recorded := self._keys.get(claim.key, now)) is not None:
            raise AlreadyRecorded(recorded)
        stored = []
        for draft in drafts:
            self._position += 1
            ttl = config.event_ttl if draft.ttl is None else draft.ttl
            event_id = format_event_id(self._epoch, self._position)
            stored.append(
                StoredEvent.build(draft, id=event_id, position=self._position, now=now, ttl=ttl)
            )
        self._histories.append(session_id, stored, config, start)
        if claim is not None:
            self._keys.put(claim, tuple(event.id for event in stored), now)
        sink(session_id, stored)
        await trio.lowlevel.cancel_shielded_checkpoint()
        return [event.id for event in stored]

    async def record(self, claim: Claim, result: tuple[str, ...]) -> Recorded | None:
        await trio.lowlevel.checkpoint_if_cancelled()
        now = trio.current_time()
        recorded = self._keys.get(claim.key, now)
        if recorded is None:
            self._keys.put(claim, result, now)
        await trio.lowlevel.cancel_shielded_checkpoint()
        return recorded

    async def discard(self, key: str) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        self._keys.discard(key)
        await trio.lowlevel.cancel_shielded_checkpoint()

    def keys_held(self) -> tuple[int, int]:
        return len(self._keys), self._keys.bytes_held

    async def replay_sessions(
        self, session_ids: Sequence[str], after_id: str | None, limit: int | None = None
    ) -> dict[str, HistoryPage]:
        await trio.lowlevel.checkpoint()  # then every window is read without yielding
        return await super().replay_sessions(session_ids, after_id, limit)

    def reader(self, session_id: str) -> WindowReader:
        async def read(after: int | None, limit: int | None) -> Window:
            history = self._histories.current(session_id, trio.current_time())
            issued = self._position
            if history is None:
                return Window(
                    events=[],
                    epoch=self._epoch,
                    origin=issued,
                    floor=issued,
                    last=issued,
                    issued=issued,
                    former=self._histories.former(session_id),
                )
            return Window(
                events=history.after(after, limit),
                epoch=self._epoch,
                origin=history.origin,
                floor=history.removed_through,
                last=history.last_position,
                issued=issued,
                holds=after is not None and history.holds(after),
                former=history.former,
            )

        return read

    async def recent(self, session_id: str, limit: int) -> list[StoredEvent]:
        await trio.lowlevel.checkpoint()
        history = self._histories.current(session_id, trio.current_time())
        return [] if history is None else history.newest(limit)

    async def clear(self, session_id: str) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        self._histories.clear(session_id, self._config)
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def forget(self, session_id: str) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        self._histories.forget(session_id, self._config)
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def expire(self) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        now = trio.current_time()
        self._histories.expire(now, self._config)
        self._keys.expire(now)
        await trio.lowlevel.cancel_shielded_checkpoint()

    def figures(self, session_id: str) -> HistoryFigures:
        return self._histories.figures(session_id)

    def totals(self) -> HistoryFigures:
        return self._histories.totals()
