from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest
import trio
import trio.testing
from sse_frames import envelopes, ids, message, pending_envelopes

from sse_core import (
    Broadcaster,
    BroadcasterConfig,
    HistoryPage,
    MemoryBackplane,
    Sink,
    StoredEvent,
    open_broadcaster,
)


async def test_late_joiner_gets_history_then_live(bc: Broadcaster) -> None:
    before = [await bc.publish("s1", message(n)) for n in range(3)]
    async with bc.subscribe("s1") as sub:
        after = [await bc.publish("s1", message(n)) for n in range(3, 5)]
        assert sub.reset_reason is None
        assert ids(await pending_envelopes(sub)) == before + after


async def test_late_joiner_gets_only_what_history_holds() -> None:
    async with open_broadcaster(BroadcasterConfig(max_history_per_session=3)) as bc:
        published = [await bc.publish("s1", message(n)) for n in range(5)]
        async with bc.subscribe("s1") as sub:
            assert ids(await pending_envelopes(sub)) == published[2:]


async def test_resume_gets_exactly_the_events_after_the_id(bc: Broadcaster) -> None:
    published = [await bc.publish("s1", message(n)) for n in range(6)]
    for i, last in enumerate(published):
        async with bc.subscribe("s1", last_event_id=last) as sub:
            assert sub.reset_reason is None
            assert ids(await pending_envelopes(sub)) == published[i + 1 :]


async def test_empty_last_event_id_means_no_resume(bc: Broadcaster) -> None:
    published = [await bc.publish("s1", message(n)) for n in range(2)]
    async with bc.subscribe("s1", last_event_id="") as sub:
        assert sub.reset_reason is None
        assert ids(await pending_envelopes(sub)) == published


@pytest.mark.parametrize(
    ("last_event_id", "reason"),
    [
        ("garbage", "malformed_id"),
        ("x" * 2000, "malformed_id"),
        ("0123456789ab-000000000001", "unknown_epoch"),
        ("{epoch}-000000000999", "history_exhausted"),
        ("{epoch}-000000000001", "history_exhausted"),
    ],
)
async def test_reset_first_then_what_history_holds(last_event_id: str, reason: str) -> None:
    config = BroadcasterConfig(max_history_per_session=3)
    async with open_broadcaster(config, MemoryBackplane(epoch="e1")) as bc:
        published = [await bc.publish("s1", message(n)) for n in range(5)]
        wanted = last_event_id.format(epoch=bc.epoch)
        async with bc.subscribe("s1", last_event_id=wanted) as sub:
            assert sub.reset_reason == reason
            reset, *rest = await pending_envelopes(sub)
            assert reset["type"] == "stream_reset" and reset["id"] == ""
            assert reset["data"]["reason"] == reason and reset["data"]["sessionId"] == "s1"
            assert reset["data"].get("lastEventId") == (wanted if len(wanted) <= 1024 else None)
            assert ids(rest) == published[2:]


async def test_id_from_a_previous_run_is_an_unknown_epoch() -> None:
    async with open_broadcaster() as first:
        old = await first.publish("s1", message(1))
    async with open_broadcaster() as second:
        assert second.epoch != first.epoch
        async with second.subscribe("s1", last_event_id=old) as sub:
            assert sub.reset_reason == "unknown_epoch"


async def test_cleared_history_resumes_with_a_reset(bc: Broadcaster) -> None:
    first = await bc.publish("s1", message(1))
    await bc.publish("s1", message(2))
    async with bc.subscribe("s1") as watcher:
        await bc.clear_session("s1")
        third = await bc.publish("s1", message(3))
        assert len(ids(await pending_envelopes(watcher))) == 3, "subscribers stay connected"
    assert [e.id for e in await bc.get_event_history("s1")] == [third]
    async with bc.subscribe("s1", last_event_id=first) as sub:
        assert sub.reset_reason == "history_exhausted"
        assert ids(await pending_envelopes(sub)) == [third]


async def test_events_after_pages_through_history(bc: Broadcaster) -> None:
    published = [await bc.publish("s1", message(n)) for n in range(7)]
    seen: list[str] = []
    after = None
    while True:
        page = await bc.events_after("s1", after=after, limit=3)
        assert page.reset_reason is None
        if not page.events:
            break
        seen += [e.id for e in page.events]
        after = page.events[-1].id
    assert seen == published
    assert (await bc.events_after("s1", after="nope")).reset_reason == "malformed_id"


class LaggyBackplane(MemoryBackplane):
    """A memory backplane that behaves like a remote one: delivery to the sink lags behind
    ``append`` (as from a stream reader), and ``replay`` takes time on both sides of reading
    history, so publishes land before, during and after it."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self._random = random.Random(seed)

    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        send, receive = trio.open_memory_channel[tuple[str, Sequence[StoredEvent]]](math.inf)

        async def reader() -> None:
            async for session_id, events in receive:
                await trio.sleep(self._random.choice([0, 0, 0.001, 0.004]))
                sink(session_id, events)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader)
            await super().run(
                config, lambda s, e: send.send_nowait((s, e)), task_status=task_status
            )

    async def replay(
        self, session_id: str, after_id: str | None, limit: int | None = None
    ) -> HistoryPage:
        await trio.sleep(self._random.random() * 0.005)
        page = await super().replay(session_id, after_id, limit)
        await trio.sleep(self._random.random() * 0.005)
        return page


@pytest.mark.parametrize("seed", range(5))
async def test_no_gap_and_no_duplicate_at_the_seam_while_publishing(
    seed: int, autojump_clock: trio.testing.MockClock
) -> None:
    """Resumes and late joins during a burst of publishes on a lagging backplane."""
    rnd = random.Random(seed)
    published: list[str] = []
    results: list[tuple[str | None, list[str]]] = []
    async with (
        open_broadcaster(backplane=LaggyBackplane(seed)) as bc,
        trio.open_nursery() as nursery,
    ):

        async def publisher() -> None:
            for n in range(300):
                published.append(await bc.publish("s1", message(n)))
                await trio.sleep(rnd.choice([0, 0.001, 0.002]))

        async def subscriber(start: str | None) -> None:
            got: list[str] = []
            async with bc.subscribe("s1", last_event_id=start) as sub:
                assert sub.reset_reason is None
                while len(published) < 300 or ([start, *got])[-1] != published[-1]:
                    got += ids(envelopes(await sub.receive_batch()))
            results.append((start, got))

        nursery.start_soon(publisher)
        for _ in range(40):
            await trio.sleep(rnd.random() * 0.02)
            start = rnd.choice(published) if published and rnd.random() < 0.8 else None
            nursery.start_soon(subscriber, start)
    assert len(results) == 40
    for start, got in results:
        first = 0 if start is None else published.index(start) + 1
        assert got == published[first:], f"resume after {start}"
