"""Direct writes: a subscription with a sink attached has the fan-out write each publish's
frames through the sink while its reader waits, and wakes the reader only when the sink could
not take them all (the reader flushes the rest first), at its deadline, or at the end."""

from __future__ import annotations

import math

import trio
import trio.testing
from sse_frames import envelopes, ids, message

from sse_core import Broadcaster, BroadcasterConfig, Subscription, open_broadcaster


class FakeSink:
    """Takes frames while ``open``; otherwise keeps them for :meth:`flush`, which waits for
    ``release`` (or raises ``error``)."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.kept: list[bytes] = []
        self.open = True
        self.release = trio.Event()
        self.error: BaseException | None = None
        self.flushes = 0

    def write_now(self, frames: bytes) -> bool:
        if self.open:
            self.written.append(frames)
            return True
        self.kept.append(frames)
        return False

    async def flush(self) -> None:
        if not self.kept:
            return
        self.flushes += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        self.written.extend(self.kept)
        self.kept.clear()


def _ids(chunks: list[bytes]) -> list[str]:
    return [i for chunk in chunks for i in ids(envelopes(chunk))]


async def _reader(sub: Subscription, into: list[bytes], ended: trio.Event) -> None:
    try:
        while True:
            chunk = await sub.receive_batch(math.inf)
            into.append(chunk)
    except trio.EndOfChannel:
        ended.set()


async def test_waiting_reader_is_not_woken_each_publish_is_one_write(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sink, read, ended = FakeSink(), list[bytes](), trio.Event()
    async with open_broadcaster() as bc, trio.open_nursery() as nursery:
        async with bc.subscribe("room") as sub:
            sub.attach(sink)
            nursery.start_soon(_reader, sub, read, ended)
            await trio.testing.wait_all_tasks_blocked()
            one = await bc.publish("room", message(1))
            many = await bc.publish_many("room", [message(n) for n in range(2, 5)])
            await trio.testing.wait_all_tasks_blocked()
            assert read == []  # the reader was never woken
            assert [_ids([w]) for w in sink.written] == [[one], many]  # one write per publish
            assert sub.taken == 4
        await ended.wait()  # the stream's end still reaches the reader


async def test_a_sink_that_would_block_hands_over_to_the_reader_in_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sink, read, ended = FakeSink(), list[bytes](), trio.Event()
    async with (
        open_broadcaster() as bc,
        trio.open_nursery() as nursery,
        bc.subscribe("room") as sub,
    ):
        sub.attach(sink)
        nursery.start_soon(_reader, sub, read, ended)
        await trio.testing.wait_all_tasks_blocked()
        first = await bc.publish("room", message(1))
        sink.open = False
        kept = await bc.publish("room", message(2))  # not taken: the reader is woken
        await trio.testing.wait_all_tasks_blocked()
        assert sink.flushes == 1 and read == []  # it flushes before anything else
        queued = [await bc.publish("room", message(n)) for n in range(3, 6)]
        assert sink.kept and sub.qsize() == 3  # queued meanwhile, not written through
        sink.open = True
        sink.release.set()
        await trio.testing.wait_all_tasks_blocked()
        assert _ids(sink.written) == [first, kept]
        assert _ids(read) == queued  # then what queued meanwhile, read as one batch
        assert len(read) == 1
        last = await bc.publish("room", message(6))  # waiting again: written through
        await trio.testing.wait_all_tasks_blocked()
        assert _ids(sink.written) == [first, kept, last] and len(read) == 1
        assert sub.taken == 6
        nursery.cancel_scope.cancel()


async def test_the_bound_and_the_cut_off_hold_while_the_reader_flushes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sink, read, ended = FakeSink(), list[bytes](), trio.Event()
    config = BroadcasterConfig(max_queue_size=3)
    async with open_broadcaster(config) as bc, trio.open_nursery() as nursery:
        async with bc.subscribe("room") as sub:
            sub.attach(sink)
            nursery.start_soon(_reader, sub, read, ended)
            await trio.testing.wait_all_tasks_blocked()
            sink.open = False
            kept = await bc.publish("room", message(0))
            await trio.testing.wait_all_tasks_blocked()
            queued = [await bc.publish("room", message(n)) for n in range(1, 4)]
            await bc.publish("room", message(4))  # the fourth while flushing: cut off
            sink.release.set()
            await ended.wait()
        frames = b"".join(read)
        assert _ids(sink.written) == [kept]
        assert ids(envelopes(frames)) == queued  # then the queue, then the overflow
        assert [e["type"] for e in envelopes(frames)][-1] == "stream_overflow"
        assert (await bc.get_stats())["overflowed"] == 1


async def test_a_failing_flush_ends_the_read_and_frees_the_subscription(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sink = FakeSink()
    raised: list[BaseException] = []
    async with open_broadcaster() as bc:

        async def read() -> None:
            try:
                async with bc.subscribe("room") as sub:
                    sub.attach(sink)
                    while True:
                        await sub.receive_batch()
            except trio.BrokenResourceError as error:
                raised.append(error)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            await trio.testing.wait_all_tasks_blocked()
            sink.open = False
            await bc.publish("room", message(1))
            sink.error = trio.BrokenResourceError("gone")
            sink.release.set()
        assert raised == [sink.error]
        assert bc.session_stats("room")["subscribers"] == 0


async def test_the_deadline_still_wakes_a_reader_writing_through_a_sink(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sink = FakeSink()
    async with open_broadcaster() as bc, bc.subscribe("room") as sub:
        sub.attach(sink)
        start = trio.current_time()
        assert await sub.receive_batch(start + 15) == b""
        assert trio.current_time() == start + 15


async def test_frames_covered_by_the_catch_up_are_not_written_through(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    first = await bc.publish("room", message(1))
    sink = FakeSink()
    async with bc.subscribe("room") as sub:
        sub.attach(sink)
        assert ids(envelopes(await sub.receive_batch())) == [first]  # history, read
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sub.receive_batch)
            await trio.testing.wait_all_tasks_blocked()
            second = await bc.publish("room", message(2))
            await trio.testing.wait_all_tasks_blocked()
            assert _ids(sink.written) == [second]
            nursery.cancel_scope.cancel()
