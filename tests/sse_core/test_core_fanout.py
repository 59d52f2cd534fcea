from __future__ import annotations

import trio
import trio.testing
from sse_frames import envelopes, ids, message, pending_envelopes

from protocol import validator
from sse_core import BroadcasterConfig, Subscription, open_broadcaster


async def test_fan_out_to_1000_subscribers_same_bytes_in_order() -> None:
    async with open_broadcaster() as bc:
        subs = [await bc.add_subscriber("room") for _ in range(1000)]
        published = [await bc.publish("room", message(n)) for n in range(20)]
        history = await bc.get_event_history("room")
        for sub in subs:
            frames = [await sub.__anext__() for _ in published]
            assert all(f is e.frame for f, e in zip(frames, history, strict=True))
            assert sub.qsize() == 0
        assert [e.id for e in history] == published
        stats = await bc.get_stats()
        assert (stats["published"], stats["delivered"], stats["subscribers"]) == (20, 20_000, 1000)


async def test_fan_out_with_reading_tasks(autojump_clock: trio.testing.MockClock) -> None:
    received: list[list[str]] = [[] for _ in range(1000)]
    async with open_broadcaster() as bc, trio.open_nursery() as nursery:

        async def read(into: list[str]) -> None:
            async with bc.subscribe("room") as sub:
                async for frame in sub:
                    into.extend(ids(envelopes(frame)))

        for into in received:
            nursery.start_soon(read, into)
        await trio.testing.wait_all_tasks_blocked()
        published = []
        for n in range(20):
            published.append(await bc.publish("room", message(n)))
            if n % 5 == 0:
                await trio.sleep(0.1)
        await bc.shutdown()
    assert all(r == published for r in received)


async def test_stalled_subscriber_is_cut_off_while_others_get_everything(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(max_queue_size=10)
    received: list[list[str]] = [[] for _ in range(99)]
    async with open_broadcaster(config) as bc, trio.open_nursery() as nursery:

        async def read(into: list[str]) -> None:
            async with bc.subscribe("room") as sub:
                while True:
                    try:
                        into.extend(ids(envelopes(await sub.receive_batch())))
                    except trio.EndOfChannel:
                        return

        for into in received:
            nursery.start_soon(read, into)
        stalled = await bc.add_subscriber("room")
        await trio.testing.wait_all_tasks_blocked()
        published = []
        for n in range(50):
            published.append(await bc.publish("room", message(n)))
            await trio.testing.wait_all_tasks_blocked()

        found = await pending_envelopes(stalled)
        assert ids(found) == published[:10]
        overflow = found[-1]
        assert overflow["type"] == "stream_overflow" and overflow["id"] == ""
        assert overflow["data"]["lastEventId"] == published[9]
        assert overflow["data"]["maxQueueSize"] == 10
        assert overflow["data"]["sessionId"] == "room"
        assert stalled.qsize() == 0
        async for _ in stalled:
            raise AssertionError("the stream of a cut-off subscriber has ended")

        stats = await bc.get_stats()
        assert validator("rest/stats.json").errors(stats) == []
        assert stats["overflowed"] == 1 and stats["subscribers"] == 99
        assert stats["sessionStats"]["room"]["overflowed"] == 1

        async with bc.subscribe("room", last_event_id=overflow["data"]["lastEventId"]) as again:
            assert again.reset_reason is None
            assert ids(await pending_envelopes(again)) == published[10:]
        await bc.shutdown()
    assert all(r == published for r in received)


async def test_overflow_frame_comes_after_what_was_queued_with_async_for() -> None:
    async with open_broadcaster(BroadcasterConfig(max_queue_size=3)) as bc:
        sub: Subscription = await bc.add_subscriber("s1")
        for n in range(5):
            await bc.publish("s1", message(n))
        types = [envelopes(frame)[0]["type"] async for frame in sub]
        assert types == ["message"] * 3 + ["stream_overflow"]
