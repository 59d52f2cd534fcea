"""The Redis Streams backplane against a real Redis (the tests' own ``redis-server``): the
backplane contract, two broadcasters sharing sessions as two processes would, expiry on a
hand-driven wall clock, and a Redis that lost its data."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import coredis
import orjson
import pytest
import trio
from coredis.retry import NoRetryPolicy
from redis_process import (
    failed_connections_collected,
    redis_server_process,
    stalled,
    unique_prefix,
)
from sse_frames import envelopes, ids, message, receive
from wall_clock import WallClock

import sse_core.events
from protocol import build_envelope
from sse_core import (
    BackplaneUnavailable,
    Broadcaster,
    BroadcasterConfig,
    StoredEvent,
    open_broadcaster,
)
from sse_core.events import Draft
from sse_core.idempotency import KeyReused, Recorded, claim
from sse_core.ids import parse_event_id
from sse_core.redis_backplane import RedisBackplane
from sse_core.redis_scripts import encoded_without_id


@pytest.fixture
def url(redis_server: str) -> str:
    """A database of the tests' Redis."""
    return f"{redis_server}/1"


@pytest.fixture
def prefix() -> str:
    """Keys of this test's own."""
    return unique_prefix()


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


async def test_events_expire_by_their_ttl_on_the_wall_clock(url: str, prefix: str) -> None:
    wall = WallClock()
    async with hub(url, prefix, clock=wall, event_ttl=60) as bc:
        before = await bc.publish("s1", message("before"))
        short = await bc.publish("s1", message("short"), ttl=10)
        long = await bc.publish("s1", message("long"))
        wall.jump(11)
        page = await bc.events_after("s1", after=before)
        assert page.reset_reason == "history_exhausted"  # `short` is gone
        assert [e.id for e in (await bc.events_after("s1")).events] == [before, long]
        await bc.cleanup()
        page = await bc.events_after("s1", after=short)
        assert (page.reset_reason, [e.id for e in page.events]) == (None, [long])
        wall.jump(60)
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


async def test_an_outage_ends_open_streams_and_the_reader_goes_on_after_redis_restarts_empty(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis gone: open streams end (live events cannot reach them), one warning says so;
    back, empty: one info line, a new epoch, and the reader delivers again."""
    caplog.set_level(logging.DEBUG, "sluice.core")
    with failed_connections_collected(), redis_server_process() as (url, process):
        backplane = RedisBackplane(f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.01)
        async with open_broadcaster(backplane=backplane) as bc:
            async with bc.subscribe("s1") as sub:
                before = await bc.publish("s1", message("before"))
                assert ids(await receive(sub, 1)) == [before]
                process.terminate()
                process.wait(timeout=10)
                with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
                    while True:
                        await sub.receive_batch()
            assert not backplane.available
            with pytest.raises(BackplaneUnavailable):
                await bc.publish("s1", message("nowhere"))
            port = int(url.rsplit(":", 1)[1])
            with redis_server_process(port):
                async with bc.subscribe("s1", last_event_id=before) as resumed:
                    assert resumed.reset_reason == "unknown_epoch"
                    after = await bc.publish("s1", message("after"))
                    assert ids(await receive(resumed, 2)) == [after]
                assert backplane.available
        assert parse_event_id(after).epoch != parse_event_id(before).epoch  # type: ignore[union-attr]
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    gone = [text for level, text in lines if "out of reach" in text]
    assert [level for level, text in lines if "out of reach" in text] == [logging.WARNING]
    assert "1 open streams ended" in gone[0]
    assert [level for level, text in lines if "reachable again" in text] == [logging.INFO]
    (lost,) = [text for level, text in lines if "lost its data" in text]
    assert parse_event_id(before).epoch in lost and parse_event_id(after).epoch in lost  # type: ignore[union-attr]


#: The timeout of the stalled-Redis tests (s), and the margin a busy machine may add to it.
STALL_TIMEOUT, MARGIN = 0.5, 1.0


def _core_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "sluice.core"]


async def test_a_stalled_redis_is_out_of_reach_within_the_timeout_and_back_once_it_answers(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis that stops answering (SIGSTOP: connections are accepted, nothing is answered):
    a publish, a subscribe and a poll each raise ``BackplaneUnavailable`` once the timeout has
    passed, open streams end, one warning says why. Once it answers: one info line, each call
    gets its own answer (none the late reply of a call that ran out of time), and every
    acknowledged event is there, in order."""
    caplog.set_level(logging.INFO, "sluice.core")
    with failed_connections_collected(), redis_server_process() as (url, process):
        backplane = RedisBackplane(
            f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.05, timeout=STALL_TIMEOUT
        )
        async with open_broadcaster(backplane=backplane) as bc:
            before = await bc.publish("s1", message("before"))
            async with bc.subscribe("s1") as sub:
                assert ids(await receive(sub, 1)) == [before]
                with stalled(process):
                    started = trio.current_time()
                    with (
                        trio.fail_after(STALL_TIMEOUT + MARGIN),
                        pytest.raises(BackplaneUnavailable, match=r"no answer within 0\.5 s"),
                    ):
                        await bc.publish("s1", message("unanswered"))
                    assert trio.current_time() - started >= STALL_TIMEOUT * 0.9
                    assert not backplane.available
                    with trio.fail_after(1), pytest.raises(trio.EndOfChannel):
                        while True:
                            await sub.receive_batch()
                    with trio.fail_after(STALL_TIMEOUT + MARGIN):
                        with pytest.raises(BackplaneUnavailable):
                            async with bc.subscribe("s1"):
                                pass
                        with pytest.raises(BackplaneUnavailable):
                            await bc.events_after("s1")
                    assert bc.session_stats("s1")["subscribers"] == 0
            # (the broadcaster is still open: Redis answers again)
            with trio.fail_after(5):
                while not backplane.available:  # noqa: ASYNC110 (the reader retries every 0.05 s)
                    await trio.sleep(0.02)
            async with bc.subscribe("s1", last_event_id=before) as resumed:
                after = await bc.publish("s1", message("after"))
                found = await receive(resumed, 1)
                while ids(found)[-1] != after:  # "unanswered" may have been stored after all
                    found += await receive(resumed, 1)
            assert [e["data"]["content"] for e in found] in (["mafter"], ["munanswered", "mafter"])
            page = await bc.events_after("s1")
            stored = [e.id for e in page.events]
            assert stored[0] == before and stored[-1] == after and len(stored) in (2, 3)
    lines = _core_lines(caplog)
    gone = [text for level, text in lines if "out of reach" in text]
    assert [level for level, text in lines if "out of reach" in text] == [logging.WARNING]
    assert "(no answer within 0.5 s)" in gone[0] and "1 open streams ended" in gone[0]
    assert [level for level, text in lines if "reachable again" in text] == [logging.INFO]


async def test_the_reader_alone_notices_a_stalled_redis_within_its_block_and_the_timeout(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing published, the live reader's read (``block`` and the timeout) notices."""
    caplog.set_level(logging.INFO, "sluice.core")
    with failed_connections_collected(), redis_server_process() as (url, process):
        backplane = RedisBackplane(
            f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.05, timeout=STALL_TIMEOUT
        )
        async with open_broadcaster(backplane=backplane) as bc:
            async with bc.subscribe("s1") as sub:
                with stalled(process):
                    with trio.fail_after(0.2 + STALL_TIMEOUT + MARGIN):
                        with pytest.raises(trio.EndOfChannel):
                            while True:
                                await sub.receive_batch()
                    assert not backplane.available
            with trio.fail_after(5):
                while not backplane.available:  # noqa: ASYNC110 (the reader retries every 0.05 s)
                    await trio.sleep(0.02)
            async with bc.subscribe("s1") as sub:
                published = await bc.publish("s1", message("back"))
                assert ids(await receive(sub, 1)) == [published]
    assert [text for level, text in _core_lines(caplog) if level == logging.WARNING] == [
        f"Redis at {url}/0 is out of reach (no answer within 0.7 s): 1 open streams ended; "
        "new streams and publishes answer 503 until it is back"
    ]


async def test_coredis_reports_a_connection_attempt_cut_off_as_a_connection_error() -> None:
    """Why the backplane asks who cancelled: a connection attempt (here to a Redis that does
    not answer its handshake) cut off by a cancel scope raises ``ConnectionError``, not
    ``Cancelled`` (without retries, as the backplane's client makes calls)."""
    with failed_connections_collected(), redis_server_process() as (url, process):
        client: coredis.Redis[bytes] = coredis.Redis.from_url(
            f"{url}/0", retry_policy=NoRetryPolicy()
        )
        async with client:
            with (
                stalled(process),
                trio.move_on_after(0.2) as scope,
                pytest.raises(coredis.exceptions.ConnectionError),
            ):
                await client.get("k")
            assert scope.cancel_called and not scope.cancelled_caught


async def test_a_call_cancelled_by_its_caller_is_not_redis_out_of_reach(
    url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller that gives up (a client gone while its stream's history was read, say) while
    coredis connects gets ``BackplaneUnavailable`` from the ``ConnectionError`` coredis makes
    of it, and the backplane does not take Redis for out of reach: no warning, no stream
    ended."""
    caplog.set_level(logging.INFO, "sluice.core")
    backplane = RedisBackplane(url, prefix=prefix, block=0.2)
    async with open_broadcaster(backplane=backplane) as bc, bc.subscribe("s1") as sub:
        with trio.CancelScope() as caller:  # noqa: ASYNC100 (cancelled from the start)
            caller.cancel()
            with pytest.raises(BackplaneUnavailable, match="cancelled"), backplane._reaching():
                raise coredis.exceptions.ConnectionError("Unable to establish a connection")
        assert backplane.available
        published = await bc.publish("s1", message("still there"))
        assert ids(await receive(sub, 1)) == [published]
    assert [text for _, text in _core_lines(caplog) if "out of reach" in text] == []


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


async def test_redis_keeps_the_envelope_as_sent_and_frames_it_unchanged(
    url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Encode once: the entry holds the wire envelope, live delivery and replays frame those
    bytes without decoding them, and an append frames nothing."""
    tricky = {"type": "message", "data": {"content": '","id":"","timestamp":"', "messageId": "m1"}}

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a Redis event was encoded or decoded again")

    async with hub(url, prefix) as bc:
        monkeypatch.setattr(StoredEvent, "build", never)
        monkeypatch.setattr(sse_core.events.orjson, "loads", never)
        async with bc.subscribe("s1") as sub:
            first = await bc.publish("s1", tricky, ttl=30)
            [second] = await bc.publish_many("s1", [message("plain")])
            live = await sub.receive_batch()
            while live.count(b"\n\n") < 2:
                live += await sub.receive_batch()
        page = await bc.events_after("s1")
        monkeypatch.undo()
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:
            entries = await client.xrange(f"{prefix}s:s1")
        stored = [entry.field_values[b"e"] for entry in entries]
    frames = live.split(b"\n\n")[:2]
    assert [event.frame for event in page.events] == [f + b"\n\n" for f in frames]
    for raw, frame, event_id in zip(stored, frames, [first, second], strict=True):
        assert frame.endswith(b"data: " + raw)
        envelope = orjson.loads(raw)
        assert envelope["id"] == event_id
    assert orjson.loads(stored[0])["data"] == tricky["data"]
    assert orjson.loads(stored[0])["ttl"] == 30
    assert page.events[0].envelope == orjson.loads(stored[0])


@pytest.mark.parametrize("ttl", [None, 2.5])
def test_the_id_goes_in_the_envelope_at_its_top_level(ttl: float | None) -> None:
    """A team's schema may nest objects with an ``id`` key: the id's place is the envelope's."""
    data = {"id": "", "inner": {"id": ""}, "list": [{"id": ""}]}
    draft = Draft(type="custom", data=data, timestamp="2026-01-01T00:00:00.000Z", ttl=ttl)
    body, slot = encoded_without_id(draft)
    envelope = orjson.loads(body[:slot] + b"e1-000000000007" + body[slot:])
    assert envelope == build_envelope(
        "custom", data, id="e1-000000000007", timestamp=draft.timestamp, ttl=ttl
    )


async def test_a_session_whose_keys_expired_does_not_resume_from_its_former_life(
    url: str, prefix: str
) -> None:
    """Redis drops a session's keys ``session_ttl`` after its last publish; made again, it
    still knows its former newest id, and once that is folded into the bound of sessions
    long gone, the bound keeps every older resume a reset."""
    client: coredis.Redis[bytes] = coredis.Redis.from_url(url)

    async def gone(session_id: str) -> None:
        with trio.fail_after(5):
            while await client.exists([f"{prefix}m:{session_id}"]):  # noqa: ASYNC110 (Redis expires the key)
                await trio.sleep(0.05)

    async with client, hub(url, prefix, session_ttl=0.3) as bc:
        seen = await bc.publish("s1", message("seen"))
        missed = await bc.publish("s1", message("missed"))
        await gone("s1")
        new = await bc.publish_many("s1", [message(n) for n in range(2)])
        for resume, reason, events in [(seen, "history_exhausted", new), (missed, None, new)]:
            page = await bc.events_after("s1", after=resume)
            assert (page.reset_reason, [e.id for e in page.events]) == (reason, events)
        await gone("s1")
        fresh = await bc.publish("s2", message("fresh"))  # folds s1 into the bound
        assert await client.zscore(f"{prefix}lives", "s1") is None
        page = await bc.events_after("s2", after=missed)
        assert (page.reset_reason, [e.id for e in page.events]) == ("history_exhausted", [fresh])
        again = await bc.publish("s1", message("again"))
        page = await bc.events_after("s1", after=seen)
        assert (page.reset_reason, [e.id for e in page.events]) == ("history_exhausted", [again])


async def test_an_epoch_change_under_open_streams_ends_them_and_is_logged(
    url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis lost its data while a process had open streams: they end rather than carry on
    with the new epoch's ids (which would skip events silently); the client resumes with
    ``stream_reset``."""
    caplog.set_level(logging.WARNING, "sluice.core")
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        async with two.subscribe("s1") as sub:
            old = await one.publish("s1", message("old"))
            assert ids(await receive(sub, 1)) == [old]
            old_epoch = two.epoch
            client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
            async with client:
                await client.delete([f"{prefix}{key}" for key in ("epoch", "seq", "s:s1", "m:s1")])
            new = await one.publish("s1", message("new"))
            rest = b""
            with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
                while True:
                    rest += await sub.receive_batch()
            assert ids(envelopes(rest)) == []
        assert two.epoch != old_epoch
        async with two.subscribe("s1", last_event_id=old) as again:
            assert again.reset_reason == "unknown_epoch"
            assert ids(await receive(again, 2)) == [new]
    warnings = [r.getMessage() for r in caplog.records if "lost its data" in r.getMessage()]
    assert len(warnings) == 2  # one per process
    assert all(f"epoch {old_epoch} replaced by {two.epoch}" in text for text in warnings)
    assert sorted("1 open streams ended" in text for text in warnings) == [False, True]


async def test_a_reader_that_fell_behind_the_live_stream_ends_open_streams(
    url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Events this process never read must not be skipped silently: its streams end, and
    their clients resume from history (which still holds them)."""
    async with hub(url, prefix) as bc, bc.subscribe("s1") as sub:
        first = await bc.publish("s1", message(1))
        assert ids(await receive(sub, 1)) == [first]
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:  # the live stream lost the next 4 events (trimmed past its cap)
            (entry,) = await client.xrevrange(f"{prefix}live", "+", "-", count=1)
            fields = dict(entry.field_values)
            fields[b"n"] = str(int(fields[b"n"]) + 5).encode()
            await client.xadd(f"{prefix}live", fields)
        with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
            while True:
                await sub.receive_batch()
    (logged,) = [r for r in caplog.records if "no longer holds events" in r.getMessage()]
    assert "1 open streams ended" in logged.getMessage()


async def test_back_is_noticed_by_a_quick_call_not_at_the_end_of_a_blocking_read(
    prefix: str,
) -> None:
    """Redis back (restarted empty) with nothing published: the reader says so within its
    retry delay and one answer, not after a whole blocking read (here 30 s)."""
    with failed_connections_collected(), redis_server_process() as (url, process):
        backplane = RedisBackplane(f"{url}/0", prefix=prefix, block=30, retry_delay=0.05)
        async with open_broadcaster(backplane=backplane):
            process.terminate()
            process.wait(timeout=10)
            with trio.fail_after(35):
                while backplane.available:  # noqa: ASYNC110 (the reader notices it)
                    await trio.sleep(0.05)
            port = int(url.rsplit(":", 1)[1])
            with redis_server_process(port):
                with trio.fail_after(10):  # a third of the block: not its end
                    while not backplane.available:  # noqa: ASYNC110 (the reader notices it)
                        await trio.sleep(0.05)


async def _configure(url: str, *settings: str, password: str | None = None) -> None:
    """``CONFIG SET`` on the Redis at ``url`` (logged in with ``password``, when it asks)."""
    client: coredis.Redis[bytes] = coredis.Redis.from_url(url, password=password)
    async with client:
        await client.config_set(dict(zip(settings[::2], settings[1::2], strict=True)))


async def test_a_redis_that_refuses_writes_fails_them_without_an_outage(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis out of memory answers writes with an error: each publish raises
    ``BackplaneUnavailable`` saying so (not Redis's own error), one warning says so, open
    streams go on and polling still reads; the first write taken again says so once."""
    caplog.set_level(logging.INFO, "sluice.core")
    with redis_server_process() as (url, _):
        backplane = RedisBackplane(f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.05)
        async with open_broadcaster(backplane=backplane) as bc, bc.subscribe("s1") as sub:
            before = await bc.publish("s1", message("before"))
            await _configure(f"{url}/0", "maxmemory", "1", "maxmemory-policy", "noeviction")
            for _ in range(3):
                with pytest.raises(BackplaneUnavailable, match="refused the call: OOM"):
                    await bc.publish("s1", message("refused"))
                assert [e.id for e in (await bc.events_after("s1")).events] == [before]
            assert backplane.available
            await _configure(f"{url}/0", "maxmemory", "0")
            after = await bc.publish("s1", message("after"))
            assert ids(await receive(sub, 2)) == [before, after]
    lines = _core_lines(caplog)
    assert [level for level, text in lines if "refuses calls (OOM" in text] == [logging.WARNING]
    assert [level for level, text in lines if "accepts calls again" in text] == [logging.INFO]
    assert not [text for _, text in lines if "out of reach" in text]


async def test_a_redis_that_starts_asking_for_a_password_is_out_of_reach_until_it_stops(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis whose password changed under a running hub (its connections dropped): the
    reader goes on asking, Redis is out of reach (one warning, open streams end, publishes
    raise ``BackplaneUnavailable``) and reachable again once it takes the hub's connections."""
    caplog.set_level(logging.INFO, "sluice.core")
    with failed_connections_collected(), redis_server_process() as (url, _):
        backplane = RedisBackplane(f"{url}/0", prefix=prefix, block=0.2, retry_delay=0.05)
        async with open_broadcaster(backplane=backplane) as bc:
            async with bc.subscribe("s1") as sub:
                before = await bc.publish("s1", message("before"))
                assert ids(await receive(sub, 1)) == [before]
                admin: coredis.Redis[bytes] = coredis.Redis.from_url(f"{url}/0")
                async with admin:
                    await admin.config_set({"requirepass": "hush"})
                    await admin.client_kill(type_=coredis.PureToken.NORMAL, skipme=True)
                with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
                    while True:
                        await sub.receive_batch()
            assert not backplane.available
            with pytest.raises(BackplaneUnavailable, match="cannot reach Redis"):
                await bc.publish("s1", message("refused"))
            await _configure(f"{url}/0", "requirepass", "", password="hush")
            with trio.fail_after(5):
                while not backplane.available:  # noqa: ASYNC110 (the reader retries every 0.05 s)
                    await trio.sleep(0.02)
            after = await bc.publish("s1", message("after"))
            assert [e.id for e in (await bc.events_after("s1")).events] == [before, after]
    lines = _core_lines(caplog)
    assert [level for level, text in lines if "out of reach" in text] == [logging.WARNING]
    assert [level for level, text in lines if "reachable again" in text] == [logging.INFO]


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("user:wrong@127.0.0.1", "cannot reach Redis at redis://user:***@127.0.0.1:"),
        ("127.0.0.1", "refused the call: DB index is out of range"),
    ],
)
async def test_a_backplane_that_redis_refuses_at_start_cannot_start(
    redis_server: str, path: str, found: str
) -> None:
    """Credentials Redis refuses, or a database it does not have: one
    ``BackplaneUnavailable`` saying so (not Redis's own error)."""
    port = redis_server.rsplit(":", 1)[1]
    database = "99" if "@" not in path else "0"
    backplane = RedisBackplane(f"redis://{path}:{port}/{database}")
    with failed_connections_collected():
        with pytest.raises(BaseExceptionGroup) as caught:
            async with open_broadcaster(backplane=backplane):
                pass
        errors = [(type(leaf), str(leaf)) for leaf in _leaves(caught.value)]
        del caught
    ((kind, text),) = errors
    assert kind is BackplaneUnavailable
    assert found in text


async def test_a_session_cleared_on_one_process_is_cleared_in_every_process_figures(
    url: str, prefix: str
) -> None:
    """Each process's figures (``historySize``, ``bytesHeld``, what the memory thresholds
    count) come from what its reader mirrored: a clear on another process empties them too,
    in order with the events (those published after the clear stay)."""
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        async with one.subscribe("s1") as here, two.subscribe("s1") as there:
            published = [await one.publish("s1", message(n)) for n in range(3)]
            for sub in (here, there):
                assert ids(await receive(sub, 3)) == published
            assert two.session_stats("s1")["historySize"] == 3
            await one.clear_session("s1")
            after = await one.publish("s1", message("after"))
            for sub in (here, there):  # each reader has passed the clear: it came before
                assert ids(await receive(sub, 1)) == [after]
        figures = [(bc.session_stats("s1"), await bc.get_stats()) for bc in (one, two)]
        assert [s["historySize"] for s, _ in figures] == [1, 1]
        assert figures[0][0]["bytesHeld"] == figures[1][0]["bytesHeld"] > 0
        assert [s["bytesHeld"] for s, _ in figures] == [t["bytesHeld"] for _, t in figures]


async def _go_back(url: str, prefix: str, session_id: str, to: int) -> None:
    """Make Redis look as it would restarted from a copy taken when ``to`` was the newest
    sequence: the later events gone from the session, the live stream and the counter."""
    client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
    async with client:
        newest = int(await client.get(f"{prefix}seq") or 0)
        history = f"{prefix}s:{session_id}"
        kept = await client.xrange(history, "-", f"0-{to}")
        await client.delete([history])  # (a stream keeps its top id when entries are deleted)
        for entry in kept:
            await client.xadd(history, entry.field_values, identifier=entry.identifier)
        live = await client.xrevrange(f"{prefix}live", "+", "-", count=newest - to)
        await client.xdel(f"{prefix}live", [entry.identifier for entry in live])
        await client.hset(f"{prefix}m:{session_id}", {"last": to})
        await client.set(f"{prefix}seq", str(to))


@pytest.mark.parametrize("publisher", ["knowing", "fresh"])
async def test_a_redis_gone_back_to_an_older_copy_starts_a_new_epoch(
    url: str, prefix: str, publisher: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis restarted from an older snapshot would give ids already given (to events a
    client may have read) to other events, and a client resuming from one would miss what
    follows, silently. A process that knows those ids were issued takes a new epoch instead
    (before appending, or when its reader sees an id given again by a process that did not
    know): the resume from an older id is a reset, and ids go on in the new epoch."""
    caplog.set_level(logging.INFO, "sluice.core")
    async with hub(url, prefix) as one, hub(url, prefix) as two:
        async with two.subscribe("s1") as sub:
            seen = [await one.publish("s1", message(n)) for n in range(4)]
            assert ids(await receive(sub, 4)) == seen
        await _go_back(url, prefix, "s1", 2)
        if publisher == "knowing":  # its reader delivered all four
            again = await two.publish("s1", message("after"))
            assert parse_event_id(again).epoch != parse_event_id(seen[-1]).epoch  # type: ignore[union-attr]
        else:  # a process started after the restart knows nothing: its reader is the one
            async with hub(url, prefix) as fresh:
                await fresh.publish("s1", message("after"))  # given an id again
            with trio.fail_after(5):
                while one.epoch == parse_event_id(seen[-1]).epoch:  # type: ignore[union-attr]  # noqa: ASYNC110
                    await trio.sleep(0.02)
        async with one.subscribe("s1", last_event_id=seen[-1]) as resumed:
            assert resumed.reset_reason == "unknown_epoch"
        more = await one.publish("s1", message("more"))
        assert (
            parse_event_id(more).epoch == one.epoch == two.epoch != parse_event_id(seen[-1]).epoch
        )  # type: ignore[union-attr]
        page = await two.events_after("s1", after=more)
        assert (page.reset_reason, page.events) == (None, [])
    went_back = [r for r in caplog.records if "went back to an older copy" in r.getMessage()]
    assert went_back and {r.levelno for r in went_back} == {logging.WARNING}
    assert len(went_back) <= 2  # once per process that noticed


@pytest.mark.parametrize("during", ["read", "append"])
async def test_an_epoch_taken_while_a_call_runs_is_not_taken_for_redis_gone_back(
    url: str, prefix: str, during: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis lost its data while a history read or a publish of this process was under way,
    and another task of the process (its live reader, a publish) took the new epoch before
    the call's answer came: what the call knew (or gave) was of the epoch left. Taken for the
    new epoch's, the new counter was "behind" it: the new epoch was replaced at once (streams
    ended a second time, a warning that Redis went back), and the publish's ids named the new
    epoch though given in the old one."""
    caplog.set_level(logging.INFO, "sluice.core")
    backplane = RedisBackplane(url, prefix=prefix, block=0.2)
    async with open_broadcaster(BroadcasterConfig(), backplane) as bc:
        seen = [await bc.publish("s1", message(n)) for n in range(5)]
        old_epoch = bc.epoch
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:
            script = backplane._scripts[during]

            async def lost_meanwhile(**call: Any) -> Any:
                answer = await script(**call) if during == "append" else None
                await client.delete([f"{prefix}{key}" for key in ("epoch", "seq", "s:s1", "m:s1")])
                await backplane._join(client)  # as the live reader would, on a new epoch's event
                return answer if during == "append" else await script(**call)

            backplane._scripts[during] = lost_meanwhile
            if during == "read":
                page = await bc.events_after("s1", after=seen[-1])
                assert page.reset_reason == "unknown_epoch"
            else:
                racing = await bc.publish("s1", message("under way"))
                assert parse_event_id(racing).epoch == old_epoch  # type: ignore[union-attr]
            backplane._scripts[during] = script
            new_epoch = bc.epoch
            assert new_epoch != old_epoch
            after = await bc.publish("s1", message("after"))
            assert parse_event_id(after).epoch == bc.epoch == new_epoch  # type: ignore[union-attr]
            assert await client.get(f"{prefix}epoch") == new_epoch.encode()
    assert not [r for r in caplog.records if "went back to an older copy" in r.getMessage()]


async def test_two_processes_finding_redis_gone_back_at_once_replace_its_epoch_once(
    url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A publish finds Redis's counter behind (it went back to an older copy), but before its
    answer is handled another process, having found the same, has replaced the epoch, and
    this process has taken the new one: the epoch found behind is the old one, and only it is
    replaced; the new one, replaced too, ended every stream a second time."""
    caplog.set_level(logging.INFO, "sluice.core")
    backplane = RedisBackplane(url, prefix=prefix, block=0.2)
    async with open_broadcaster(BroadcasterConfig(), backplane) as bc:
        seen = [await bc.publish("s1", message(n)) for n in range(4)]
        await _go_back(url, prefix, "s1", 2)
        client: coredis.Redis[bytes] = coredis.Redis.from_url(url)
        async with client:
            script, replace = backplane._scripts["append"], backplane._scripts["replace_epoch"]

            async def replaced_meanwhile(**call: Any) -> Any:
                try:
                    return await script(**call)
                finally:  # the other process's replacement, and this one's reader joining it
                    backplane._scripts["append"] = script
                    await replace(keys=[f"{prefix}epoch"], args=[bc.epoch, "0123456789ab"])
                    await backplane._join(client)

            backplane._scripts["append"] = replaced_meanwhile
            after = await bc.publish("s1", message("after"))
            assert parse_event_id(after).epoch == bc.epoch == "0123456789ab"  # type: ignore[union-attr]
            assert await client.get(f"{prefix}epoch") == b"0123456789ab"
            assert parse_event_id(seen[-1]).epoch != bc.epoch  # type: ignore[union-attr]
