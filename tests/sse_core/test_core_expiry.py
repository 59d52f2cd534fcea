from __future__ import annotations

import logging
import os

import pytest
import trio
import trio.testing
from sse_frames import envelopes, ids, message, pending_envelopes

from protocol import validator
from sse_core import BackplaneUnavailable, BroadcasterConfig, MemoryBackplane, open_broadcaster


async def test_events_expire_after_their_own_ttl_or_the_hubs(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(event_ttl=10.0, cleanup_interval=1.0)
    async with open_broadcaster(config) as bc:
        a = await bc.publish("s1", message("a"))
        b = await bc.publish("s1", message("b"), ttl=2.0)
        c = await bc.publish("s1", message("c"))
        await trio.sleep(3.5)
        assert [e.id for e in await bc.get_event_history("s1")] == [a, c]
        stats = await bc.get_stats()
        assert stats["expired"] == 1 and stats["sessionStats"]["s1"]["expired"] == 1
        async with bc.subscribe("s1") as late:
            assert ids(await pending_envelopes(late)) == [a, c]
        async with bc.subscribe("s1", last_event_id=a) as resumed:
            assert resumed.reset_reason == "history_exhausted", f"{b} expired: the client missed it"
        async with bc.subscribe("s1", last_event_id=b) as resumed:
            assert resumed.reset_reason is None
            assert ids(await pending_envelopes(resumed)) == [c]
        await trio.sleep(7)
        assert await bc.get_event_history("s1") == []
        assert bc.session_stats("s1")["expired"] == 3
        assert bc.session_stats("s1")["bytesHeld"] == 0


async def test_expired_events_are_not_served_before_cleanup_runs(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(event_ttl=5.0, cleanup_interval=1000.0)
    async with open_broadcaster(config) as bc:
        await bc.publish("s1", message(1))
        kept = await bc.publish("s1", message(2), ttl=60.0)
        await trio.sleep(6)
        async with bc.subscribe("s1") as late:
            assert ids(await pending_envelopes(late)) == [kept]
        assert [e.id for e in (await bc.events_after("s1")).events] == [kept]


async def test_sessions_expire_without_subscribers_and_activity(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(session_ttl=30.0, cleanup_interval=5.0)
    async with open_broadcaster(config) as bc:
        await bc.publish("quiet", message(1))
        await bc.create_session("created")
        watched = await bc.add_subscriber("watched")
        await trio.sleep(20)
        await bc.publish("quiet", message(2))
        await trio.sleep(20)
        assert bc.sessions() == ["quiet", "watched"]
        assert bc.session_stats("created") == {
            "sessionId": "created",
            "subscribers": 0,
            "historySize": 0,
            "active": False,
            "published": 0,
            "delivered": 0,
            "overflowed": 0,
            "deduplicated": 0,
            "expired": 0,
            "shed": 0,
            "bytesHeld": 0,
            "lastEventId": None,
            "pid": os.getpid(),
        }
        await trio.sleep(20)
        assert bc.sessions() == ["watched"]
        assert await bc.get_event_history("quiet") == []
        await bc.remove_subscriber("watched", watched)
        await trio.sleep(36)
        assert bc.sessions() == []
        assert (await bc.get_stats())["published"] == 2, "totals outlive their sessions"


async def test_a_session_made_again_does_not_resume_from_its_former_life(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(session_ttl=30.0, cleanup_interval=5.0)
    async with open_broadcaster(config) as bc:
        seen = await bc.publish("s1", message("seen"))
        missed = await bc.publish("s1", message("missed"))
        await trio.sleep(40)
        assert bc.sessions() == []
        new = [await bc.publish("s1", message(n)) for n in range(3)]
        assert seen not in new and missed not in new
        async with bc.subscribe("s1", last_event_id=seen) as sub:
            assert sub.reset_reason == "history_exhausted"
            assert ids((await pending_envelopes(sub))[1:]) == new
        async with bc.subscribe("s1", last_event_id=missed) as sub:
            assert sub.reset_reason is None, "the former life's last event: nothing was missed"
            assert ids(await pending_envelopes(sub)) == new


async def test_idle_subscribers_are_closed(autojump_clock: trio.testing.MockClock) -> None:
    config = BroadcasterConfig(max_subscriber_idle_time=60.0, cleanup_interval=10.0)
    async with open_broadcaster(config) as bc, trio.open_nursery() as nursery:
        idle = await bc.add_subscriber("s1")
        frames: list[bytes] = []
        ended = trio.Event()

        async def reader() -> None:
            async with bc.subscribe("s1") as sub:
                async for frame in sub:
                    frames.append(frame)
            ended.set()

        async def publisher() -> None:
            for n in range(4):
                await trio.sleep(30)
                await bc.publish("s1", message(n))

        nursery.start_soon(reader)
        nursery.start_soon(publisher)
        await trio.sleep(71)
        assert bc.session_stats("s1")["subscribers"] == 1, "the reader is not idle"
        assert [e["type"] for e in await pending_envelopes(idle)] == ["message", "message"]
        assert idle.qsize() == 0
        async for _ in idle:
            raise AssertionError("the idle subscriber's stream has ended, no overflow frame")
        await trio.sleep(200)
        assert ended.is_set() and len(frames) == 4
        assert bc.session_stats("s1")["subscribers"] == 0


async def test_memory_is_counted_warned_about_and_shed(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sluice.core")
    kib = 1 / 1024
    config = BroadcasterConfig(
        memory_warning_threshold_mb=2 * kib, memory_critical_threshold_mb=4 * kib
    )
    warning, critical = config.memory_warning_bytes, config.memory_critical_bytes

    def warnings() -> int:
        return sum("over the warning threshold" in r.getMessage() for r in caplog.records)

    async with open_broadcaster(config) as bc:
        published: dict[str, list[str]] = {"a": [], "b": []}
        n = 0
        while (await bc.get_stats())["bytesHeld"] <= warning:
            session = "ab"[n % 2]
            published[session].append(await bc.publish(session, message(f"{n:04d}")))
            n += 1
        assert warnings() == 1
        held = (await bc.get_stats())["bytesHeld"]
        history = [e for s in "ab" for e in await bc.get_event_history(s)]
        assert held == sum(len(e.frame) for e in history)
        frame_size = max(len(e.frame) for e in history)
        while held + frame_size * 2 < critical:
            published["a"].append(await bc.publish("a", message(f"{n:04d}")))
            n += 1
            held = (await bc.get_stats())["bytesHeld"]
        assert warnings() == 1, "once per crossing"
        while (await bc.get_stats())["shed"] == 0:
            published["b"].append(await bc.publish("b", message(f"{n:04d}")))
            n += 1
        stats = await bc.get_stats()
        assert validator("rest/stats.json").errors(stats) == []
        assert stats["bytesHeld"] <= warning
        assert stats["shed"] == sum(s["shed"] for s in stats["sessionStats"].values())
        assert any("shed" in r.getMessage() for r in caplog.records)
        kept = {s: [e.id for e in await bc.get_event_history(s)] for s in "ab"}
        for s in "ab":
            assert kept[s] == published[s][len(published[s]) - len(kept[s]) :], "oldest go first"
        while (await bc.get_stats())["bytesHeld"] <= warning:
            await bc.publish("a", message(f"{n:04d}"))
            n += 1
        assert warnings() == 2, "warned again after going back under"


async def test_stats_have_the_schemas_shape(autojump_clock: trio.testing.MockClock) -> None:
    async with open_broadcaster(BroadcasterConfig(max_queue_size=2)) as bc:
        await bc.create_session("empty")
        sub = await bc.add_subscriber("s1")
        for n in range(3):
            await bc.publish("s1", message(n))
        await bc.publish("other", message(9), ttl=1.0)
        await trio.sleep(2)
        await bc.cleanup()
        stats = await bc.get_stats()
        assert validator("rest/stats.json").errors(stats) == []
        for session_id in ["s1", "empty", "other", "never-seen"]:
            assert validator("rest/session-stats.json").errors(bc.session_stats(session_id)) == []
        assert stats["sessionStats"]["s1"] == {
            "subscribers": 0,
            "historySize": 3,
            "published": 3,
            "delivered": 2,
            "overflowed": 1,
            "deduplicated": 0,
            "expired": 0,
            "shed": 0,
            "bytesHeld": sum(len(e.frame) for e in await bc.get_event_history("s1")),
        }
        assert stats["sessions"] == 3 and stats["epoch"] == bc.epoch
        assert stats["expired"] == 1
        assert stats["idempotencyKeys"] == stats["idempotencyBytes"] == 0
        assert stats["memoryUsageMb"] == stats["bytesHeld"] / 2**20
        assert bc.session_stats("s1")["lastEventId"] == (await bc.get_event_history("s1"))[-1].id
        assert [e["type"] for e in envelopes(await sub.receive_batch())][-1] == "stream_overflow"


class _Unreachable(MemoryBackplane):
    async def expire(self) -> None:
        raise BackplaneUnavailable("the store is out of reach")


async def test_cleanup_passes_during_an_outage_add_no_warning_or_error(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The backplane reports an outage once; each skipped pass is a debug line only."""
    caplog.set_level("DEBUG", logger="sluice.core")
    config = BroadcasterConfig(cleanup_interval=5)
    async with open_broadcaster(config, backplane=_Unreachable()):
        await trio.sleep(21)
    skipped = [r for r in caplog.records if r.getMessage().startswith("cleanup pass skipped")]
    assert len(skipped) == 4 and {r.levelname for r in skipped} == {"DEBUG"}
