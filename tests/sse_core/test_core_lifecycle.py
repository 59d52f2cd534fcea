from __future__ import annotations

import trio
import trio.testing
from sse_frames import message, task_count
from test_core_resume import LaggyBackplane

from sse_core import Broadcaster, open_broadcaster


async def read_all(bc: Broadcaster, session_id: str) -> None:
    """Subscribe to ``session_id`` and read until the stream ends."""
    async with bc.subscribe(session_id) as sub:
        async for _ in sub:
            pass


async def test_cancelling_a_subscriber_task_leaves_nothing_behind(bc: Broadcaster) -> None:
    before = task_count()
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(read_all, bc, "s1")
            await trio.testing.wait_all_tasks_blocked()
            assert bc.session_stats("s1")["subscribers"] == 3
            await bc.publish("s1", message(1))
            scope.cancel()
    assert bc.session_stats("s1")["subscribers"] == 0
    assert (await bc.get_stats())["subscribers"] == 0
    assert task_count() == before
    await bc.publish("s1", message(2))


async def test_cancelled_while_catching_up_leaves_no_subscriber(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_broadcaster(backplane=LaggyBackplane(seed=1)) as bc:
        await bc.publish("s1", message(1))
        with trio.move_on_after(0.0001) as scope:
            await bc.add_subscriber("s1")
        assert scope.cancelled_caught
        assert bc.session_stats("s1")["subscribers"] == 0


async def test_leaving_the_broadcaster_ends_streams_and_every_task() -> None:
    before = task_count()
    endings: list[str] = []
    async with trio.open_nursery() as readers, open_broadcaster() as bc:

        async def read() -> None:
            await read_all(bc, "s1")
            endings.append("ended")

        for _ in range(3):
            readers.start_soon(read)
        await trio.testing.wait_all_tasks_blocked()
        assert task_count() > before + 3, "the broadcaster runs tasks of its own"
    assert endings == ["ended"] * 3
    assert task_count() == before


async def test_cancelling_the_broadcaster_leaves_nothing_behind(
    autojump_clock: trio.testing.MockClock,
) -> None:
    before = task_count()
    with trio.move_on_after(5):
        async with open_broadcaster() as bc, trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(read_all, bc, "s1")

            async def publish() -> None:
                for n in range(1000):
                    await bc.publish("s1", message(n))
                    await trio.sleep(0.5)

            nursery.start_soon(publish)
            await trio.sleep_forever()
    assert task_count() == before
    assert bc.session_stats("s1")["subscribers"] == 0


async def test_shutdown_ends_every_stream_after_what_is_queued(bc: Broadcaster) -> None:
    before = task_count()
    sub = await bc.add_subscriber("s1")
    await bc.publish("s1", message(1))
    await bc.shutdown()
    assert task_count() < before, "background tasks are done"
    assert len([frame async for frame in sub]) == 1
    await bc.shutdown()
