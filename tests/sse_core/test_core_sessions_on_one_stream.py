"""Several sessions on one subscription, on every backplane: each frame names its session
at the top of its envelope, one last event id resumes them all exactly, a reset names only
the session that needs one, and the queue bound holds for the stream as a whole."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
import trio
import trio.lowlevel
from sse_frames import delivered, envelopes, ids, message, pending_envelopes, receive

from protocol import check_envelope
from sse_core import Broadcaster
from sse_core.ids import parse_event_id

OpenHub = Callable[..., AbstractAsyncContextManager[Broadcaster]]
SESSIONS = ("a", "b", "c")


async def interleaved(bc: Broadcaster, count: int) -> list[tuple[str, str]]:
    """Publish ``count`` messages over the sessions in turn; (session, id) in publish order,
    once every one is delivered here."""
    published = []
    for n in range(count):
        session_id = SESSIONS[n % len(SESSIONS)]
        published.append((session_id, await bc.publish(session_id, message(n))))
    for session_id in SESSIONS:
        last = [i for s, i in published if s == session_id]
        if last:
            await delivered(bc, session_id, last[-1])
    return published


def tagged(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(sessionId, id) of the stored events among ``found``."""
    return [(e["sessionId"], e["id"]) for e in found if e["id"]]


async def test_events_of_every_session_arrive_in_order_naming_their_session(
    open_hub: OpenHub,
) -> None:
    async with open_hub() as bc:
        before = await interleaved(bc, 3)
        async with bc.subscribe_sessions(SESSIONS) as sub:
            assert sub.session_ids == SESSIONS and sub.reset_reason is None
            after = await interleaved(bc, 6)
            found = await receive(sub, 9)
        assert all(set(e) == {"sessionId", "type", "data", "id", "timestamp"} for e in found)
        for envelope in found:
            check_envelope(envelope)  # the schema knows the top-level sessionId
        assert tagged(found) == before + after
        stats = await bc.get_stats()
        assert stats["subscribers"] == 0


async def test_one_last_event_id_resumes_every_session_exactly_at_every_position(
    open_hub: OpenHub,
) -> None:
    async with open_hub() as bc:
        published = await interleaved(bc, 9)
        for i, (_, last) in enumerate(published):
            async with bc.subscribe_sessions(SESSIONS, last_event_id=last) as sub:
                assert sub.reset_reasons == {}
                assert tagged(await pending_envelopes(sub)) == published[i + 1 :]


async def test_a_reset_names_only_the_session_that_dropped_unseen_events(
    open_hub: OpenHub,
) -> None:
    async with open_hub(max_history_per_session=2) as bc:
        seen = await bc.publish("a", message("seen"))
        dropped = [await bc.publish("a", message(n)) for n in range(3)]  # trims a
        quiet = await bc.publish("b", message("b"))
        await delivered(bc, "a", dropped[-1])
        await delivered(bc, "b", quiet)
        async with bc.subscribe_sessions(("a", "b"), last_event_id=seen) as sub:
            assert sub.reset_reasons == {"a": "history_exhausted"}
            assert sub.reset_reason == "history_exhausted"
            reset, *rest = await pending_envelopes(sub)
        assert (reset["type"], reset["sessionId"], reset["data"]["sessionId"]) == (
            "stream_reset",
            "a",
            "a",
        )
        assert tagged(rest) == [("a", dropped[1]), ("a", dropped[2]), ("b", quiet)]


async def test_an_id_of_a_session_not_on_the_stream_is_foreign_for_each_session(
    open_hub: OpenHub,
) -> None:
    async with open_hub() as bc:
        mine = await bc.publish("a", message("a"))
        elsewhere = await bc.publish("z", message("z"))
        later = await bc.publish("b", message("b"))
        await delivered(bc, "b", later)
        async with bc.subscribe_sessions(("a", "b"), last_event_id=elsewhere) as sub:
            # b's first event came after the id: nothing of b was skipped
            assert sub.reset_reasons == {"a": "foreign_id"}
            found = await pending_envelopes(sub)
        assert [e["type"] for e in found] == ["stream_reset", "message", "message"]
        assert tagged(found) == [("a", mine), ("b", later)]


async def test_the_queue_bound_holds_for_the_stream_as_a_whole(open_hub: OpenHub) -> None:
    async with open_hub(max_queue_size=3) as bc, bc.subscribe_sessions(("a", "b")) as stalled:
        published = await interleaved(bc, 2)  # a, b
        more = [await bc.publish("a", message("x")), await bc.publish("b", message("y"))]
        await delivered(bc, "b", more[1])
        found = await receive(stalled, 4)
        assert ids(found) == [i for _, i in published] + more[:1]
        assert found[3]["type"] == "stream_overflow"
        assert found[3]["data"]["lastEventId"] == more[0]
        assert await pending_envelopes(stalled) == []
        for session_id in ("a", "b"):
            assert bc.session_stats(session_id)["subscribers"] == 0


async def test_closing_one_session_ends_the_stream_of_all(open_hub: OpenHub) -> None:
    async with open_hub() as bc, bc.subscribe_sessions(("a", "b")) as sub:
        await bc.clear_session("a", close_subscribers=True)
        with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
            await sub.receive_batch()
        assert bc.session_stats("b")["subscribers"] == 0


async def test_shutdown_ends_a_stream_of_several_sessions(open_hub: OpenHub) -> None:
    async with open_hub() as bc, bc.subscribe_sessions(("a", "b")) as sub:
        await bc.shutdown()
        with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
            await sub.receive_batch()


async def test_no_gap_and_no_duplicate_at_the_seam_while_publishing(open_hub: OpenHub) -> None:
    """Streams of two sessions opened, from random resume points, while both are published to."""
    rnd = random.Random(3)
    published: list[tuple[str, str]] = []
    results: list[tuple[str | None, list[tuple[str, str]]]] = []
    async with open_hub() as bc, trio.open_nursery() as nursery:

        async def reader(start: str | None) -> None:
            got: list[tuple[str, str]] = []
            async with bc.subscribe_sessions(("a", "b"), last_event_id=start) as sub:
                assert sub.reset_reasons == {}
                with trio.fail_after(10):  # until the 120th event of this fresh hub
                    while not got or parse_event_id(got[-1][1]).sequence < 120:  # type: ignore[union-attr]
                        got += tagged(envelopes(await sub.receive_batch()))
            results.append((start, got))

        for n in range(120):
            session_id = rnd.choice("ab")
            published.append((session_id, await bc.publish(session_id, message(n))))
            if n % 12 == 5:
                start = rnd.choice(published)[1] if rnd.random() < 0.8 else None
                nursery.start_soon(reader, start)
            await trio.lowlevel.checkpoint()
    assert len(results) == 10
    for start, got in results:
        first = 0 if start is None else [i for _, i in published].index(start) + 1
        assert got == published[first:], f"resume after {start}"


@pytest.mark.parametrize("session_ids", [(), ("a", "a"), ("a", "b c")])
async def test_a_bad_list_of_sessions_is_a_value_error(
    open_hub: OpenHub, session_ids: tuple[str, ...]
) -> None:
    async with open_hub() as bc:
        with pytest.raises(ValueError):
            await bc.subscribe_sessions(session_ids).__aenter__()
        assert (await bc.get_stats())["subscribers"] == 0
