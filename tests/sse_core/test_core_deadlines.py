"""``receive_batch(deadline)``: a wait that ends at its deadline with ``b""``, without a cancel
scope per wait (the broadcaster's alarms), on trio's MockClock."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from sse_frames import envelopes, ids, message

from sse_core import Broadcaster


async def test_deadline_passes_with_nothing_to_read(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    sub = await bc.add_subscriber("room")
    start = trio.current_time()
    assert await sub.receive_batch(start + 30) == b""
    assert trio.current_time() - start == pytest.approx(30)
    assert await sub.receive_batch(trio.current_time() - 1) == b""  # already past: no wait
    assert trio.current_time() - start == pytest.approx(30)


async def test_frames_before_the_deadline_are_returned_at_once(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    sub = await bc.add_subscriber("room")
    async with trio.open_nursery() as nursery:

        async def publish_later() -> None:
            await trio.sleep(10)
            await bc.publish("room", message(1))

        nursery.start_soon(publish_later)
        start = trio.current_time()
        (envelope,) = envelopes(await sub.receive_batch(start + 30))
        assert envelope["data"]["content"] == "m1"
        assert trio.current_time() - start == pytest.approx(10)
        # the alarm armed for 30 s still rings, for a wait that now lasts until 50 s
        assert await sub.receive_batch(start + 50) == b""
        assert trio.current_time() - start == pytest.approx(50)


async def test_each_reader_wakes_at_its_own_deadline(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    woke: dict[int, float] = {}
    start = trio.current_time()
    async with trio.open_nursery() as nursery:

        async def read(seconds: int) -> None:
            sub = await bc.add_subscriber("room")
            assert await sub.receive_batch(start + seconds) == b""
            woke[seconds] = trio.current_time() - start

        for seconds in (50, 20, 40, 10, 30):  # later readers arm earlier alarms
            nursery.start_soon(read, seconds)
            await trio.testing.wait_all_tasks_blocked()
    assert woke == {s: pytest.approx(s) for s in (10, 20, 30, 40, 50)}


async def test_a_cancelled_wait_loses_nothing_and_its_alarm_does_no_harm(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    sub = await bc.add_subscriber("room")
    start = trio.current_time()
    with trio.move_on_after(5):
        await sub.receive_batch(start + 10)
    published = [await bc.publish("room", message(n)) for n in range(3)]
    assert ids(envelopes(await sub.receive_batch(start + 10))) == published
    await trio.sleep(20)  # the alarm of the cancelled wait rings with no reader waiting
    assert await sub.receive_batch(trio.current_time() + 5) == b""


async def test_the_end_of_the_stream_wins_over_the_deadline(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    sub = await bc.add_subscriber("room")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(bc.shutdown)
        with pytest.raises(trio.EndOfChannel):
            await sub.receive_batch(trio.current_time() + 30)
