from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest
import trio
import trio.testing
from sse_frames import envelopes, ids, message

from sse_core import (
    BroadcasterConfig,
    HistoryPage,
    Interrupt,
    MemoryBackplane,
    Sink,
    StoredEvent,
    open_broadcaster,
)


async def test_id_from_a_previous_run_is_an_unknown_epoch() -> None:
    async with open_broadcaster() as first:
        old = await first.publish("s1", message(1))
    async with open_broadcaster() as second:
        assert second.epoch != first.epoch
        async with second.subscribe("s1", last_event_id=old) as sub:
            assert sub.reset_reason == "unknown_epoch"


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
        interrupt: Interrupt,
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
                config, lambda s, e: send.send_nowait((s, e)), interrupt, task_status=task_status
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
