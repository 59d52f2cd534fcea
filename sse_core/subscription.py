"""One subscriber's stream: history to catch up on, then a bounded channel of live events."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import trio

from .events import ResetReason, StoredEvent


class Subscription:
    """The frames of one session for one reader, in order: SSE frames as ``bytes``.

    First come the catch-up frames (a ``stream_reset`` frame when the resume point could not
    be honoured, then history), then live events from a bounded trio memory channel of
    ``max_queue_size``. The broadcaster fills the channel with ``send_nowait`` and never
    waits: when it is full this subscriber is cut off, its reader drains what is queued, gets
    a final ``stream_overflow`` frame, and the stream ends. On shutdown, idle close or a
    clear that closes subscribers the stream just ends after what is queued.

    Read with ``async for frame in sub`` (one frame per step), :meth:`receive_batch`
    (everything pending, joined) or the guide's :meth:`get`. Reading is a checkpoint;
    cancelling a read loses nothing. Made by :meth:`~sse_core.Broadcaster.subscribe` or
    :meth:`~sse_core.Broadcaster.add_subscriber`, never directly.

    ``session_id`` is the session read; ``reset_reason`` is None, or why the stream began
    with ``stream_reset`` (``history_exhausted``, ``unknown_epoch``, ``malformed_id``);
    ``last_active`` is the ``trio.current_time()`` of the last frame taken (or of
    subscribing), which the idle close looks at.
    """

    __slots__ = (
        "_backlog",
        "_end_frame",
        "_floor",
        "_recv",
        "_send",
        "last_active",
        "reset_reason",
        "session_id",
    )

    def __init__(self, session_id: str, max_queue_size: int) -> None:
        self.session_id = session_id
        self.reset_reason: ResetReason | None = None
        self.last_active = trio.current_time()
        self._send, self._recv = trio.open_memory_channel[StoredEvent](max_queue_size)
        self._backlog: deque[bytes] = deque()
        self._floor: int | None = None
        self._end_frame: bytes | None = None

    @property
    def offer(self) -> Callable[[StoredEvent], None]:
        """Queue a live event without waiting; raises ``trio.WouldBlock`` when full."""
        return self._send.send_nowait

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._next()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    async def receive_batch(self) -> bytes:
        """Wait for at least one frame, then return every pending frame joined (coalescing).

        Raises ``trio.EndOfChannel`` once the stream has ended and everything was read.
        """
        frames = [await self._next()]
        frames.extend(self._backlog)
        self._backlog.clear()
        while True:
            try:
                event = self._recv.receive_nowait()
            except trio.WouldBlock:
                break
            except (trio.EndOfChannel, trio.ClosedResourceError):
                if self._end_frame is not None:
                    frames.append(self._end_frame)
                    self._end_frame = None
                break
            if self._fresh(event):
                frames.append(event.frame)
        return frames[0] if len(frames) == 1 else b"".join(frames)

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
        queued = self._recv.statistics().current_buffer_used
        return len(self._backlog) + queued + (self._end_frame is not None)

    async def _next(self) -> bytes:
        if self._backlog:
            await trio.lowlevel.checkpoint()
            self.last_active = trio.current_time()
            return self._backlog.popleft()
        while True:
            try:
                event = await self._recv.receive()
            except (trio.EndOfChannel, trio.ClosedResourceError):
                frame, self._end_frame = self._end_frame, None
                if frame is None:
                    raise trio.EndOfChannel from None
                return frame
            self.last_active = trio.current_time()
            if self._fresh(event):
                return event.frame

    def _fresh(self, event: StoredEvent) -> bool:
        """False for a live event the catch-up already covered (at or below the floor)."""
        if self._floor is None:
            return True
        if event.position <= self._floor:
            return False
        self._floor = None
        return True

    # The broadcaster's side. Each of these is synchronous and never blocks.

    def _catch_up(self, frames: Iterable[bytes], floor: int | None) -> None:
        """Serve ``frames`` before the live events; drop live events at or below ``floor``."""
        self._backlog.extend(frames)
        self._floor = floor

    def _end(self) -> None:
        """End the stream after what is queued."""
        self._send.close()

    def _cut_off(self, overflow_frame: bytes) -> None:
        """End the stream after what is queued and a final ``overflow_frame``."""
        self._end_frame = overflow_frame
        self._send.close()

    def _discard(self) -> None:
        """Close both ends: the reader is gone."""
        self._send.close()
        self._recv.close()
        self._backlog.clear()
        self._end_frame = None
