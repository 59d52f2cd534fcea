"""What one publish to N in-process subscribers costs in sse_core (no HTTP, no sockets).

Each figure is the median of several rounds; a publish to a session without subscribers is
the baseline.

- ``queued``: subscribers are not waiting (their channels just take the frame); the time of
  ``publish()`` alone: validate, id, envelope, encode once, history, fan-out with
  ``send_nowait``. Channels are drained between rounds, outside the timing.
- ``woken``: every subscriber is a task parked in ``receive_batch()``; the time from the
  first publish until every subscriber has read every event, so the subscribers' wake-ups
  and reads are counted too. The publisher waits until every subscriber has read an event
  before publishing the next: no coalescing.
- ``burst``: as ``woken``, but the publisher goes on at once after each publish (which
  yields once), so subscribers that run late read several frames in one ``receive_batch``.

Each ``woken`` and ``burst`` round uses a fresh session, so subscribers have no history to
read first.

Run: ``python bench/publish_cost.py [--subscribers 1000] [--events 200] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import trio
import trio.testing

from sse_core import Broadcaster, BroadcasterConfig, Subscription, open_broadcaster

EVENT = {
    "type": "regeneration_progress",
    "data": {
        "messageId": "3f6c1d2e-8a4b-4c7e-9f10-2b3c4d5e6f70",
        "taskId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "progress": 42.5,
        "message": "Generating... 42.5%",
        "partialContent": "Based on the information, I can tell you that the answer is",
    },
}


async def queued_round(bc: Broadcaster, subs: list[Subscription], events: int) -> float:
    start = time.perf_counter()
    for _ in range(events):
        await bc.publish("bench", EVENT)
    elapsed = time.perf_counter() - start
    for sub in subs:
        while sub.qsize():
            await sub.receive_batch()
    return elapsed


async def woken_round(
    bc: Broadcaster, subscribers: int, events: int, session: str, *, lockstep: bool
) -> float:
    done = 0
    async with trio.open_nursery() as nursery:

        async def read(sub: Subscription) -> None:
            nonlocal done
            seen = 0
            while seen < events:
                seen += (await sub.receive_batch()).count(b"\n\n")
            done += 1

        subs = [await bc.add_subscriber(session) for _ in range(subscribers)]
        for sub in subs:
            nursery.start_soon(read, sub)
        await trio.testing.wait_all_tasks_blocked()
        start = time.perf_counter()
        for _ in range(events):
            await bc.publish(session, EVENT)
            if lockstep:
                await trio.testing.wait_all_tasks_blocked()
        await trio.testing.wait_all_tasks_blocked()
        elapsed = time.perf_counter() - start
    for sub in subs:
        await bc.remove_subscriber(session, sub)
    assert done == subscribers
    return elapsed


async def main(subscribers: int, events: int, rounds: int) -> None:
    config = BroadcasterConfig(max_queue_size=max(events, 1), max_history_per_session=500)
    async with open_broadcaster(config) as bc:
        frame = len(bc.encode_ephemeral(EVENT))
        await queued_round(bc, [], events)  # warm up (validator, caches)
        alone = [await queued_round(bc, [], events) for _ in range(rounds)]
        subs = [await bc.add_subscriber("bench") for _ in range(subscribers)]
        queued = [await queued_round(bc, subs, events) for _ in range(rounds)]
        for sub in subs:
            await bc.remove_subscriber("bench", sub)
        woken = [
            await woken_round(bc, subscribers, events, f"woken{n}", lockstep=True)
            for n in range(rounds)
        ]
        burst = [
            await woken_round(bc, subscribers, events, f"burst{n}", lockstep=False)
            for n in range(rounds)
        ]
    print(f"{subscribers} subscribers, {events} events x {rounds} rounds, ~{frame} B frames")
    print(f"  no subscriber:  {statistics.median(alone) / events * 1e6:8.1f} us per publish")
    for name, times in (("queued", queued), ("woken", woken), ("burst", burst)):
        per_publish = statistics.median(times) / events * 1e6
        print(
            f"  {name + ':':15} {per_publish:8.1f} us per publish, "
            f"{per_publish / subscribers:.3f} us per delivery"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trio.run(main, args.subscribers, args.events, args.rounds)
