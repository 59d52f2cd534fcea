"""The backplane contract, on every backplane (memory, and Redis through the tests' own
``redis-server``): publish and order, history limits, resume at every position, each reset
reason, ttls, clear and overflow. What a subscriber gets never depends on the backplane."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sse_frames import delivered, ids, message, pending_envelopes, receive
from trio.testing import MockClock
from wall_clock import WallClock

from sse_core import Broadcaster
from sse_core.ids import parse_event_id

OpenHub = Callable[..., AbstractAsyncContextManager[Broadcaster]]


async def publish(bc: Broadcaster, count: int, session_id: str = "s1") -> list[str]:
    """Publish ``count`` messages one by one and wait until they are delivered here."""
    published = [await bc.publish(session_id, message(n)) for n in range(count)]
    await delivered(bc, session_id, published[-1])
    return published


async def test_events_reach_subscribers_in_order_with_ids_of_the_epoch(open_hub: OpenHub) -> None:
    async with open_hub() as bc, bc.subscribe("s1") as sub:
        published = [await bc.publish("s1", message(n)) for n in range(5)]
        published += await bc.publish_many("s1", [message(5), message(6)])
        assert ids(await receive(sub, 7)) == published
        assert sorted(published) == published
        assert {parse_event_id(i).epoch for i in published if parse_event_id(i)} == {bc.epoch}
        history = await bc.get_event_history("s1", limit=3)
        assert [e.id for e in history] == published[-3:]


async def test_late_joiner_gets_history_then_live(open_hub: OpenHub) -> None:
    async with open_hub() as bc:
        before = await publish(bc, 3)
        async with bc.subscribe("s1") as sub:
            after = [await bc.publish("s1", message(n)) for n in range(3, 5)]
            assert sub.reset_reason is None
            assert ids(await receive(sub, 5)) == before + after


async def test_late_joiner_gets_only_what_history_holds(open_hub: OpenHub) -> None:
    async with open_hub(max_history_per_session=3) as bc:
        published = await publish(bc, 5)
        async with bc.subscribe("s1") as sub:
            assert ids(await pending_envelopes(sub)) == published[2:]


async def test_resume_at_every_position(open_hub: OpenHub) -> None:
    """Exact from every id history covers (the newest trimmed one included: nothing after
    it is missing), ``history_exhausted`` and what history holds from every older one."""
    async with open_hub(max_history_per_session=4) as bc:
        published = await publish(bc, 7)
        for i, last in enumerate(published):
            async with bc.subscribe("s1", last_event_id=last) as sub:
                if i >= 2:
                    assert sub.reset_reason is None
                    assert ids(await pending_envelopes(sub)) == published[i + 1 :]
                else:
                    assert sub.reset_reason == "history_exhausted"
                    assert ids(await pending_envelopes(sub)) == published[3:]
        for no_id in (None, ""):
            async with bc.subscribe("s1", last_event_id=no_id) as sub:
                assert sub.reset_reason is None
                assert ids(await pending_envelopes(sub)) == published[3:]


@pytest.mark.parametrize(
    ("last_event_id", "reason"),
    [
        ("garbage", "malformed_id"),
        ("x" * 2000, "malformed_id"),
        ("{epoch}-00000000001", "malformed_id"),  # the sequence written otherwise than ids are
        ("{epoch}-00000000000000000001", "malformed_id"),
        ("{epoch}-0000000000001", "malformed_id"),
        ("0123456789ab-000000000001", "unknown_epoch"),
        ("{epoch}-999999999999", "history_exhausted"),  # from the future
        ("{first}", "history_exhausted"),  # trimmed away
    ],
)
async def test_reset_first_then_what_history_holds(
    open_hub: OpenHub, last_event_id: str, reason: str
) -> None:
    async with open_hub(max_history_per_session=3) as bc:
        published = await publish(bc, 5)
        wanted = last_event_id.format(epoch=bc.epoch, first=published[0])
        async with bc.subscribe("s1", last_event_id=wanted) as sub:
            assert sub.reset_reason == reason
            reset, *rest = await pending_envelopes(sub)
            assert reset["type"] == "stream_reset" and reset["id"] == ""
            assert reset["data"]["reason"] == reason and reset["data"]["sessionId"] == "s1"
            assert reset["data"].get("lastEventId") == (wanted if len(wanted) <= 1024 else None)
            assert ids(rest) == published[2:]
        page = await bc.events_after("s1", after=wanted)
        assert page.reset_reason == reason
        assert [e.id for e in page.events] == published[2:]


async def test_events_after_pages_through_history(open_hub: OpenHub) -> None:
    async with open_hub() as bc:
        published = await publish(bc, 7)
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


async def test_events_expire_by_their_own_ttl_or_the_hubs(
    open_hub: OpenHub, clock: MockClock | WallClock
) -> None:
    async with open_hub(event_ttl=10.0, cleanup_interval=1000.0) as bc:
        a = await bc.publish("s1", message("a"))
        b = await bc.publish("s1", message("b"), ttl=2.0)
        c = await bc.publish("s1", message("c"))
        await delivered(bc, "s1", c)
        clock.jump(3.5)
        assert [e.id for e in await bc.get_event_history("s1")] == [a, c]
        assert [e.id for e in (await bc.events_after("s1")).events] == [a, c]
        async with bc.subscribe("s1") as late:
            assert ids(await pending_envelopes(late)) == [a, c]
        async with bc.subscribe("s1", last_event_id=a) as resumed:
            assert resumed.reset_reason == "history_exhausted", f"{b} expired: the client missed it"
            assert ids(await pending_envelopes(resumed)) == [a, c]
        await bc.cleanup()
        async with bc.subscribe("s1", last_event_id=b) as resumed:
            assert resumed.reset_reason is None
            assert ids(await pending_envelopes(resumed)) == [c]
        clock.jump(7)
        await bc.cleanup()
        assert await bc.get_event_history("s1") == []
        assert (await bc.events_after("s1")).events == []
        assert (await bc.events_after("s1", after=c)).reset_reason is None


async def test_clearing_keeps_subscribers_and_ids_and_resets_older_resumes(
    open_hub: OpenHub,
) -> None:
    async with open_hub() as bc:
        first, _ = await publish(bc, 2)
        async with bc.subscribe("s1") as watcher:
            await bc.clear_session("s1")
            assert (await bc.events_after("s1")).events == []
            third = await bc.publish("s1", message(3))
            assert len(ids(await receive(watcher, 3))) == 3, "subscribers stay connected"
        await delivered(bc, "s1", third)
        assert parse_event_id(third).sequence > parse_event_id(first).sequence  # type: ignore[union-attr]
        assert [e.id for e in await bc.get_event_history("s1")] == [third]
        async with bc.subscribe("s1", last_event_id=first) as sub:
            assert sub.reset_reason == "history_exhausted"
            assert ids(await pending_envelopes(sub)) == [third]
        async with bc.subscribe("s1") as closing:
            await bc.clear_session("s1", close_subscribers=True)
            assert ids(await receive(closing, 1)) == [third]
            assert await pending_envelopes(closing) == []
            assert closing.qsize() == 0


async def test_a_subscriber_that_does_not_read_is_cut_off_after_its_queue(
    open_hub: OpenHub,
) -> None:
    async with open_hub(max_queue_size=3) as bc:
        async with bc.subscribe("s1") as stalled, bc.subscribe("s1") as reader:
            published = [await bc.publish("s1", message(n)) for n in range(3)]
            assert ids(await receive(reader, 3)) == published
            published += await publish(bc, 2)
            found = await receive(stalled, 4)
            assert ids(found) == published[:3]
            assert found[3]["type"] == "stream_overflow"
            assert found[3]["data"]["lastEventId"] == published[2]
            assert ids(await receive(reader, 2)) == published[3:]
        stats = bc.session_stats("s1")
        assert stats["overflowed"] == 1 and stats["subscribers"] == 0


async def test_an_id_of_another_session_is_foreign_and_nothing_is_skipped(
    open_hub: OpenHub,
) -> None:
    """Ids share one sequence: an id another session issued, between this session's events
    or after them, says nothing about what the client saw here (stream and polling alike)."""
    async with open_hub() as bc:
        mine = [await bc.publish("s1", message(0))]
        between = await bc.publish("s2", message("b"))
        mine += [await bc.publish("s1", message(1))]
        after = await bc.publish("s2", message("a"))
        await delivered(bc, "s1", mine[-1])
        await delivered(bc, "s2", after)
        for foreign in (between, after):
            async with bc.subscribe("s1", last_event_id=foreign) as sub:
                assert sub.reset_reason == "foreign_id"
                reset, *rest = await pending_envelopes(sub)
                assert reset["type"] == "stream_reset"
                assert reset["data"] == {
                    "reason": "foreign_id",
                    "sessionId": "s1",
                    "lastEventId": foreign,
                    "timestamp": reset["data"]["timestamp"],
                }
                assert ids(rest) == mine
            page = await bc.events_after("s1", after=foreign)
            assert (page.reset_reason, [e.id for e in page.events]) == ("foreign_id", mine)
        async with bc.subscribe("s1", last_event_id=mine[0]) as sub:
            assert sub.reset_reason is None
            assert ids(await pending_envelopes(sub)) == mine[1:]


async def test_an_id_older_than_the_session_gives_its_whole_history(open_hub: OpenHub) -> None:
    async with open_hub(max_history_per_session=2) as bc:
        older = await bc.publish("s2", message("older"))
        await delivered(bc, "s2", older)
        async with bc.subscribe("s1", last_event_id=older) as early:
            assert early.reset_reason is None  # s1 has no event yet: nothing was missed
            mine = await publish(bc, 2)
            assert ids(await receive(early, 2)) == mine
        for resume in (older, None):
            page = await bc.events_after("s1", after=resume)
            assert (page.reset_reason, [e.id for e in page.events]) == (None, mine)
        mine += await publish(bc, 1)  # the first one is trimmed: older resumes missed it
        async with bc.subscribe("s1", last_event_id=older) as late:
            assert late.reset_reason == "history_exhausted"
            assert ids(await pending_envelopes(late)) == mine[1:]
        page = await bc.events_after("s1", after=older)
        assert (page.reset_reason, [e.id for e in page.events]) == ("history_exhausted", mine[1:])


async def test_an_id_never_issued_is_exhausted_even_in_a_session_without_events(
    open_hub: OpenHub,
) -> None:
    async with open_hub() as bc:
        last = await bc.publish("s2", message("x"))
        await delivered(bc, "s2", last)
        future = f"{bc.epoch}-{parse_event_id(last).sequence + 1:012d}"  # type: ignore[union-attr]
        for session_id in ("s1", "s2"):
            page = await bc.events_after(session_id, after=future)
            assert page.reset_reason == "history_exhausted"
