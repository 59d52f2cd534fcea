"""The Redis Streams backplane against a real Redis (the tests' own ``redis-server``): the
backplane contract, two broadcasters sharing sessions as two processes would, expiry on a
hand-driven wall clock, and a Redis that lost its data."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import coredis
import pytest
import trio
from redis_process import failed_connections_collected, redis_server_process
from sse_frames import envelopes, ids, message

from sse_core import (
    BackplaneUnavailable,
    Broadcaster,
    BroadcasterConfig,
    Subscription,
    open_broadcaster,
)
from sse_core.idempotency import KeyReused, Recorded, claim
from sse_core.ids import parse_event_id
from sse_core.redis_backplane import RedisBackplane

_prefixes = itertools.count()


class WallClock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(redis_server: str) -> str:
    """A database of the tests' Redis."""
    return f"{redis_server}/1"


@pytest.fixture
def prefix() -> str:
    """Keys of this test's own (the tests share one Redis)."""
    return f"t{next(_prefixes)}-{random.getrandbits(32):x}:"


@asynccontextmanager
async def hub(
    url: str, prefix: str, clock: Callable[[], float] | None = None, **config: Any
) -> AsyncIterator[Broadcaster]:
    """A broadcaster on the Redis backplane, as one process of several would open it."""
    options: dict[str, Any] = {"block": 0.2}
    if clock is not None:
        options["clock"] = clock
    backplane = RedisBackplane(url, prefix=prefix, **options)
    async with open_broadcaster(BroadcasterConfig(**config), backplane) as broadcaster:
        yield broadcaster


async def receive(sub: Subscription, count: int) -> list[dict[str, Any]]:
    """The next ``count`` envelopes (stored events and control frames alike)."""
    found: list[dict[str, Any]] = []
    with trio.fail_after(5):
        while len(found) < count:
            found += envelopes(await sub.receive_batch())
    return found


async def test_events_published_reach_subscribers_in_order_with_shared_ids(
    url: str, prefix: str
) -> None:
    async with hub(url, prefix) as bc:
        async with bc.subscribe("s1") as sub:
            published = [await bc.publish("s1", message(n)) for n in range(5)]
            published += await bc.publish_many("s1", [message(5), message(6)])
            assert ids(await receive(sub, 7)) == published
        assert {parse_event_id(i).epoch for i in published if parse_event_id(i)} == {bc.epoch}
        history = await bc.get_event_history("s1", limit=3)
        assert [e.id for e in history] == published[-3:]


async def test_two_processes_share_sessions_history_and_resume(url: str, prefix: str) -> None:
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        assert one.epoch == two.epoch
        async with two.subscribe("s1") as late:
            published = [await one.publish("s1", message(n)) for n in range(4)]
            assert ids(await receive(late, 4)) == published
        async with two.subscribe("s1", last_event_id=published[1]) as resumed:
            assert resumed.reset_reason is None
            assert ids(await receive(resumed, 2)) == published[2:]
            more = await two.publish("s1", message("from two"))
            assert ids(await receive(resumed, 1)) == [more]
        page = await one.events_after("s1", after=published[0], limit=2)
        assert [e.id for e in page.events] == published[1:3]
        assert two.session_stats("s1")["historySize"] == 5  # the reader's mirror


@pytest.mark.parametrize(
    ("resume_from", "reason"),
    [
        (lambda first, epoch: "not an id", "malformed_id"),
        (lambda first, epoch: "abcdef012345-000000000001", "unknown_epoch"),
        (lambda first, epoch: first, "history_exhausted"),  # trimmed to the last 3
        (lambda first, epoch: f"{epoch}-999999999999", "history_exhausted"),  # from the future
    ],
)
async def test_a_resume_history_cannot_cover_starts_with_a_reset(
    url: str, prefix: str, resume_from: Callable[[str, str], str], reason: str
) -> None:
    async with hub(url, prefix, max_history_per_session=3) as bc:
        published = [await bc.publish("s1", message(n)) for n in range(6)]
        async with bc.subscribe("s1", last_event_id=resume_from(published[0], bc.epoch)) as sub:
            assert sub.reset_reason == reason
            found = await receive(sub, 4)
        assert found[0]["type"] == "stream_reset"
        assert ids(found) == published[-3:]


async def test_a_resume_at_the_edge_of_trimmed_history_is_exact(url: str, prefix: str) -> None:
    async with hub(url, prefix, max_history_per_session=3) as bc:
        published = [await bc.publish("s1", message(n)) for n in range(6)]
        async with bc.subscribe("s1", last_event_id=published[2]) as sub:
            assert sub.reset_reason is None
            assert ids(await receive(sub, 3)) == published[3:]


async def test_events_expire_by_their_ttl_on_the_wall_clock(url: str, prefix: str) -> None:
    wall = WallClock()
    async with hub(url, prefix, clock=wall, event_ttl=60) as bc:
        before = await bc.publish("s1", message("before"))
        short = await bc.publish("s1", message("short"), ttl=10)
        long = await bc.publish("s1", message("long"))
        wall.now += 11
        page = await bc.events_after("s1", after=before)
        assert page.reset_reason == "history_exhausted"  # `short` is gone
        assert [e.id for e in (await bc.events_after("s1")).events] == [before, long]
        await bc.cleanup()
        page = await bc.events_after("s1", after=short)
        assert (page.reset_reason, [e.id for e in page.events]) == (None, [long])
        wall.now += 60
        await bc.cleanup()
        assert (await bc.events_after("s1")).events == []
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:
            assert await client.xlen(f"{prefix}s:s1") == 0


async def test_clearing_a_session_keeps_ids_going(url: str, prefix: str) -> None:
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        old = await one.publish("s1", message("old"))
        await two.clear_session("s1")
        assert (await one.events_after("s1")).events == []
        assert (await one.events_after("s1", after=old)).reset_reason is None
        new = await one.publish("s1", message("new"))
        assert parse_event_id(new).sequence > parse_event_id(old).sequence  # type: ignore[union-attr]


async def test_no_gap_and_no_duplicate_at_the_seam_while_publishing(url: str, prefix: str) -> None:
    """Resumes and late joins on one process during publishing on another."""
    rnd = random.Random(7)
    published: list[str] = []
    results: list[tuple[str | None, list[str]]] = []
    async with hub(url, prefix) as one, hub(url, prefix) as two, trio.open_nursery() as nursery:
        joins = set(rnd.sample(range(5, 200), 20))

        async def publisher() -> None:
            for n in range(200):
                published.append(await one.publish("s1", message(n)))
                if n in joins:  # joins or resumes while events are in flight
                    start = rnd.choice(published) if rnd.random() < 0.8 else None
                    nursery.start_soon(subscriber, start)

        async def subscriber(start: str | None) -> None:
            got: list[str] = []
            wanted = 200 - (0 if start is None else published.index(start) + 1)
            async with two.subscribe("s1", last_event_id=start) as sub:
                assert sub.reset_reason is None
                with trio.fail_after(10):
                    while len(got) < wanted:  # the last may arrive before its publish returns
                        got += ids(envelopes(await sub.receive_batch()))
            results.append((start, got))

        nursery.start_soon(publisher)
    assert len(results) == 20
    for start, got in results:
        first = 0 if start is None else published.index(start) + 1
        assert got == published[first:], f"resume after {start}"


async def test_the_reader_goes_on_after_redis_restarts_empty(prefix: str) -> None:
    with failed_connections_collected(), redis_server_process() as (url, process):
        backplane = RedisBackplane(f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.01)
        async with open_broadcaster(backplane=backplane) as bc, bc.subscribe("s1") as sub:
            before = await bc.publish("s1", message("before"))
            assert ids(await receive(sub, 1)) == [before]
            process.terminate()
            process.wait(timeout=10)
            with pytest.raises(BackplaneUnavailable):
                await bc.publish("s1", message("nowhere"))
            port = int(url.rsplit(":", 1)[1])
            with redis_server_process(port):
                after = await bc.publish("s1", message("after"))
                assert ids(await receive(sub, 1)) == [after]
        assert parse_event_id(after).epoch != parse_event_id(before).epoch  # type: ignore[union-attr]


async def test_a_redis_that_lost_its_data_starts_a_new_epoch(url: str, prefix: str) -> None:
    async with hub(url, prefix) as bc:
        old = await bc.publish("s1", message("before"))
        old_epoch = bc.epoch
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:
            await client.delete([f"{prefix}{key}" for key in ("epoch", "seq", "s:s1", "m:s1")])
        async with bc.subscribe("s1", last_event_id=old) as sub:
            new = await bc.publish("s1", message("after"))
            assert bc.epoch != old_epoch
            found = await receive(sub, 2)
        assert sub.reset_reason == "unknown_epoch"
        assert [found[0]["type"], *ids(found)] == ["stream_reset", new]


async def test_a_claimed_append_records_its_ids_for_every_process(url: str, prefix: str) -> None:
    batch = [message(1), message(2)]
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        first = await one.publish_many("s1", batch, claim=claim("", "s1", "k", batch, 60))
        assert await two.publish_many("s1", batch, claim=claim("", "s1", "k", batch, 60)) == first
        with pytest.raises(KeyReused):
            await two.publish("s1", message(3), claim=claim("", "s1", "k", message(3), 60))
        assert [e.id for e in await two.get_event_history("s1")] == first
        old_epoch = one.epoch
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:  # Redis lost its data: the claimed append takes the new epoch
            await client.delete([f"{prefix}{key}" for key in ("epoch", "seq", "s:s1", "m:s1")])
        again = claim("", "s1", "k2", message(4), 60)
        new = await one.publish("s1", message(4), claim=again)
        assert one.epoch != old_epoch and new.startswith(one.epoch + "-")
        assert await two.publish("s1", message(4), claim=again) == new


async def test_a_record_is_taken_once_and_can_be_discarded(url: str, prefix: str) -> None:
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        request = claim("alice", "s1", "r", {"query": "q"}, 60)
        assert await one.backplane.record(request, ("m-1",)) is None
        assert await two.backplane.record(request, ("m-2",)) == Recorded(
            request.fingerprint, ("m-1",)
        )
        await two.backplane.discard(request.key)
        assert await one.backplane.record(request, ("m-3",)) is None


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


async def test_a_backplane_cannot_start_without_redis() -> None:
    backplane = RedisBackplane("redis://user:hush@127.0.0.1:1/0")
    with failed_connections_collected():
        with pytest.raises(BaseExceptionGroup) as caught:
            async with open_broadcaster(backplane=backplane):
                pass
        errors = [(type(leaf), str(leaf)) for leaf in _leaves(caught.value)]
        del caught
    ((kind, text),) = errors
    assert kind is BackplaneUnavailable
    assert text.startswith("cannot reach Redis at redis://user:***@127.0.0.1:1/0: ")
