"""One subscriber's stream: history to catch up on, then a bounded queue of live events."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol

import orjson
import trio

from .events import HistoryPage, ResetReason, StoredEvent

if TYPE_CHECKING:
    from .alarms import Alarms
    from .broadcaster import Broadcaster

_RANG = -math.inf  # the deadline of a wait once its alarm has woken it


class SessionEvent:
    """A stored event as a stream of several sessions carries it: ``frame`` is the event's frame
    with ``sessionId`` first in its envelope; ``id`` and ``position`` are the event's."""

    __slots__ = ("frame", "id", "position", "session_id")

    def __init__(self, event: StoredEvent, session_id: str) -> None:
        self.frame = with_session_id(event.frame, session_id)
        self.id = event.id
        self.position = event.position
        self.session_id = session_id


def with_session_id(frame: bytes, session_id: str) -> bytes:
    """``frame`` (one SSE frame whose data is an envelope) with ``"sessionId"`` written first
    into its envelope: spliced into the encoded bytes, not decoded and encoded again."""
    start = frame.index(b"data: {") + len(b"data: {")
    return frame[:start] + b'"sessionId":' + orjson.dumps(session_id) + b"," + frame[start:]


#: What a subscription queues: a stored event, or one framed for a stream of several sessions.
type Queued = StoredEvent | SessionEvent


class FrameSink(Protocol):
    """Where a subscription writes its frames at once, from the publishing task, while its
    reader waits with nothing pending (see :meth:`Subscription.attach`): e.g. a socket."""

    def write_now(self, frames: bytes) -> bool:
        """Write ``frames`` (one or more whole frames) without waiting. True when they are
        taken (or dropped, the reader being gone); False when the rest must wait: then the
        sink keeps it, and the reader's :meth:`flush` writes it before any later frame."""
        ...

    async def flush(self) -> None:
        """Write what :meth:`write_now` kept, waiting as long as the sink allows; raises what the
        write raises (e.g. the reader is gone or too slow)."""
        ...


#: Why the hub ended a stream, when it was for its reader's or the backplane's sake.
EndedBy = Literal["overflow", "backplane_unavailable"]


class Subscription:
    """The frames of one session for one reader, in order: SSE frames as ``bytes``.

    First come the catch-up frames (a ``stream_reset`` frame when the resume point could not
    be honoured, then history), then live events from a bounded queue of ``max_queue_size`` (a
    deque and the one waiting reader's task: no channel, nothing allocated per event). The
    broadcaster fills it with :attr:`offer` and never waits: when it is full this subscriber
    is cut off, its reader drains what is queued, gets a final ``stream_overflow`` frame, and
    the stream ends. On shutdown, idle close or a clear that closes subscribers the stream
    just ends after what is queued.

    Read with ``async for frame in sub`` (one frame per step), :meth:`receive_batch`
    (everything pending, joined) or the guide's :meth:`get`. Reading is a checkpoint;
    cancelling a read loses nothing. Made by :meth:`~sse_core.Broadcaster.subscribe` or
    :meth:`~sse_core.Broadcaster.add_subscriber`, never directly.

    ``session_ids`` are the sessions read (one, or several on one stream: then every frame's
    envelope names its session in ``sessionId``, the queue bound holds for them together, and
    ``reset_reasons`` maps each session that began with a reset to its reason);
    ``session_id`` is the first of them; ``reset_reason`` is None, or why the stream began
    with ``stream_reset`` (``history_exhausted``, ``unknown_epoch``, ``malformed_id``,
    ``foreign_id``: see :func:`sse_core.paging.judge`);
    ``epoch`` is the epoch its catch-up was read in (None until then); ``last_active`` is the
    ``trio.current_time()`` of the last frame taken (or of subscribing), which the idle close
    looks at; ``taken`` counts the frames taken (read, or written through the sink);
    ``ended_by`` says why the hub ended the stream, when it did for a reason of the reader's
    or the backplane's: ``"overflow"`` (cut off for a full queue), ``"backplane_unavailable"``
    (the backplane went out of reach); ``None`` otherwise.
    """

    __slots__ = (
        "_alarms",
        "_armed",
        "_backlog",
        "_deadline",
        "_direct",
        "_end_frame",
        "_ended",
        "_floor",
        "_limit",
        "_live",
        "_sink",
        "_waiter",
        "ended_by",
        "epoch",
        "last_active",
        "last_offered_id",
        "reset_reason",
        "reset_reasons",
        "session_id",
        "session_ids",
        "taken",
    )

    def __init__(self, session_ids: tuple[str, ...], max_queue_size: int, alarms: Alarms) -> None:
        self.session_ids = session_ids
        self.session_id = session_ids[0]
        self.reset_reason: ResetReason | None = None
        self.reset_reasons: dict[str, ResetReason] = {}
        self.last_offered_id: str | None = None
        self.epoch: str | None = None
        self.last_active = trio.current_time()
        self._limit = max_queue_size
        self._live: list[Queued] = []  # a list: 56 bytes empty, a deque 760
        self._backlog: deque[bytes] | None = None
        self._floor: int | dict[str, int] | None = None
        self._end_frame: bytes | None = None
        self._ended = False
        self._waiter: trio.lowlevel.Task | None = None
        self._alarms = alarms
        self._deadline = math.inf  # of the wait in progress
        self._armed = math.inf  # when the alarm armed for this subscription rings
        self._sink: FrameSink | None = None
        self._direct: FrameSink | None = None  # the sink while the reader waits, idle
        self.taken = 0
        self.ended_by: EndedBy | None = None

    @property
    def offer(self) -> Callable[[Queued], None]:
        """Queue a live event without waiting; raises ``trio.WouldBlock`` when full."""
        return self._offer

    def attach(self, sink: FrameSink) -> None:
        """Write live frames through ``sink`` from now on whenever the reader is waiting with
        nothing pending: the broadcaster's fan-out then hands each publish's frames to
        ``sink.write_now`` at once instead of waking the reader, who is woken only when the sink
        could not take them all (its next read first awaits ``sink.flush()``), when the stream
        ends, or at its deadline. The bound and the cut-off are unchanged: frames queue as
        before whenever the reader is not waiting (e.g. while it flushes)."""
        self._sink = sink

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._next()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    async def receive_batch(self, deadline: float = math.inf) -> bytes:
        """Wait for at least one frame, then return every pending frame joined (coalescing);
        ``b""`` when ``deadline`` (``trio.current_time()`` clock) comes first.

        Raises ``trio.EndOfChannel`` once the stream has ended and everything was read. A
        deadline costs no cancel scope (see :mod:`sse_core.alarms`).
        """
        while await self._ready(deadline):
            live = self._live
            if len(live) == 1 and self._backlog is None and self._floor is None:
                self._live = []  # the usual wake-up: one new event, nothing else to join
                self.last_active = trio.current_time()
                if self._end_frame is None:
                    self.taken += 1
                    return live[0].frame
            frames: list[bytes] = []
            if self._backlog is not None:
                frames.extend(self._backlog)
                self._backlog = None
            if live:
                self._live = []
                self.last_active = trio.current_time()
                frames.extend([event.frame for event in live if self._fresh(event)])
            if self._end_frame is not None:  # set only with _ended: the stream's last frame
                frames.append(self._end_frame)
                self._end_frame = None
            if frames:
                self.taken += len(frames)
                return frames[0] if len(frames) == 1 else b"".join(frames)
            if self._ended:
                raise trio.EndOfChannel
        return b""

    async def get(self, timeout: float | None = None) -> str:  # noqa: ASYNC109 (the guide's API)
        """The guide's ``queue.get()``: the next frame as text.

        Raises ``trio.TooSlowError`` after ``timeout`` seconds without one, and
        ``trio.EndOfChannel`` once the stream has ended.
        """
        if timeout is None:
            return (await self._next()).decode()
        with trio.fail_after(timeout):
            return (await self._next()).decode()

    def qsize(self) -> int:
        """Frames waiting to be read (the guide's ``queue.qsize()``)."""
        backlog = len(self._backlog) if self._backlog else 0
        return backlog + len(self._live) + (self._end_frame is not None)

    async def _next(self) -> bytes:
        while True:
            await self._ready(math.inf)
            backlog = self._backlog
            if backlog is not None:
                frame = backlog.popleft()
                if not backlog:
                    self._backlog = None
                self.last_active = trio.current_time()
                self.taken += 1
                return frame
            live = self._live
            while live:
                event = live.pop(0)
                self.last_active = trio.current_time()
                if self._fresh(event):
                    self.taken += 1
                    return event.frame
            if self._ended:
                end, self._end_frame = self._end_frame, None
                if end is None:
                    raise trio.EndOfChannel
                self.taken += 1
                return end

    async def _ready(self, deadline: float) -> bool:
        """Wait until a frame can be taken or the stream has ended (True), or until
        ``deadline`` (False). A checkpoint."""
        if self._backlog is not None or self._live or self._ended:
            await trio.lowlevel.checkpoint()
            return True
        if deadline != math.inf:
            if deadline <= trio.current_time():
                await trio.lowlevel.checkpoint()
                return False
            if deadline < self._armed:
                self._armed = deadline
                self._alarms.arm(self, deadline)
            self._deadline = deadline
        self._waiter = trio.lowlevel.current_task()
        self._direct = self._sink
        try:
            await trio.lowlevel.wait_task_rescheduled(self._abort_wait)
            rang = self._deadline == _RANG
        finally:
            self._deadline = math.inf
        if self._sink is not None:
            await self._sink.flush()  # what the sink could not take at once, if anything
        return not rang

    def _ring(self, now: float) -> None:
        """The alarm armed for this subscription rings: wake the reader if its deadline has
        come, or arm the alarm for the deadline it waits for now."""
        self._armed = math.inf
        deadline = self._deadline
        if deadline <= now:
            waiter, self._waiter = self._waiter, None
            if waiter is not None:
                self._deadline = _RANG
                self._direct = None
                trio.lowlevel.reschedule(waiter)
        elif deadline != math.inf:
            self._armed = deadline
            self._alarms.arm(self, deadline)

    def _abort_wait(self, _raise_cancel: object) -> trio.lowlevel.Abort:
        self._waiter = None
        self._direct = None
        return trio.lowlevel.Abort.SUCCEEDED

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._direct = None
            trio.lowlevel.reschedule(waiter)

    def _fresh(self, event: Queued) -> bool:
        """False for a live event the catch-up already covered (at or below the floor; with
        several sessions, its own session's floor)."""
        floor = self._floor
        if floor is None:
            return True
        if isinstance(floor, int):
            if event.position <= floor:
                return False
            self._floor = None
            return True
        assert isinstance(event, SessionEvent)
        own = floor.get(event.session_id)
        if own is None:
            return True
        if event.position <= own:
            return False
        del floor[event.session_id]
        if not floor:
            self._floor = None
        return True

    # The broadcaster's side. Each of these is synchronous and never blocks.

    def _offer(self, event: Queued) -> None:
        if self._ended:
            raise trio.ClosedResourceError("the subscription has ended")
        if len(self._live) >= self._limit:
            raise trio.WouldBlock
        self._live.append(event)
        if self._waiter is not None and self._direct is None:
            self._wake()

    def _write_through(self, now: float) -> None:
        """Hand what was offered to the sink (the reader is waiting with nothing else
        pending: see :meth:`attach`) at ``now``; wake the reader when the sink could not take
        it all."""
        sink = self._direct
        live = self._live
        if sink is None or not live:
            return
        self._live = []
        self.last_active = now
        if self._floor is None:
            frames = [event.frame for event in live]
        else:
            frames = [event.frame for event in live if self._fresh(event)]
            if not frames:
                return
        self.taken += len(frames)
        if not sink.write_now(frames[0] if len(frames) == 1 else b"".join(frames)):
            self._wake()

    def _catch_up(self, resets: list[bytes], pages: Mapping[str, HistoryPage]) -> None:
        """Serve ``resets``, then the history of ``pages`` (one per session read) in the order
        published, before the live events; drop live events at or below each page's position
        (they were replayed or already seen)."""
        if len(pages) == 1:
            (page,) = pages.values()
            frames = [*resets, *(event.frame for event in page.events)]
            self._floor = page.position
        else:
            tagged = [SessionEvent(e, session) for session, p in pages.items() for e in p.events]
            tagged.sort(key=lambda event: event.position)
            frames = [*resets, *(event.frame for event in tagged)]
            floors = {s: p.position for s, p in pages.items() if p.position is not None}
            self._floor = floors or None
        self._backlog = deque(frames) or None

    def _end(self, ended_by: EndedBy | None = None) -> None:
        """End the stream after what is queued (``ended_by``: why, see :attr:`ended_by`)."""
        self._ended = True
        if self.ended_by is None:
            self.ended_by = ended_by
        self._wake()

    def _cut_off(self, overflow_frame: bytes) -> None:
        """End the stream after what is queued and a final ``overflow_frame``."""
        self._end_frame = overflow_frame
        self._end("overflow")

    def _discard(self) -> None:
        """Drop everything queued and end the stream: the reader is gone."""
        self._live.clear()
        self._backlog = None
        self._end_frame = None
        self._end()


class Subscribed:
    """The block of :meth:`~sse_core.Broadcaster.subscribe`: makes the subscription of
    ``session_ids`` from ``last_event_id`` on entry, removes it on leaving, however the block is
    left (a class: lighter than a generator's)."""

    __slots__ = ("_broadcaster", "_last_event_id", "_session_ids", "_subscription")

    def __init__(
        self, broadcaster: Broadcaster, session_ids: tuple[str, ...], last_event_id: str | None
    ) -> None:
        self._broadcaster = broadcaster
        self._session_ids = session_ids
        self._last_event_id = last_event_id
        self._subscription: Subscription | None = None

    async def __aenter__(self) -> Subscription:
        self._subscription = await self._broadcaster._add(self._session_ids, self._last_event_id)
        return self._subscription

    async def __aexit__(self, *_exc: object) -> None:
        assert self._subscription is not None
        self._broadcaster._detach(self._subscription)
