"""sluice_client against a real hub: publish (one, several, ttl, keys), history pages,
sessions, regenerate, the trackers, typed models in and out, under trio and asyncio, and the
blocking Client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import attrs
import pytest
import trio
from hub_client import Server, bearer, check_body, token
from sluice_client import AsyncClient, Client, HistoryPage, Published
from sluice_client.models import MessageEvent, StatusUpdateEvent
from sluice_client.trackers import ProgressTracker, ThoughtProcessTracker

import sse_core as core

Under = Callable[..., Awaitable[Any]]


async def _history(server: Server, session_id: str) -> list[dict[str, Any]]:
    response = await server.client.get(
        f"/api/sessions/{session_id}/events", headers=bearer(token())
    )
    events: list[dict[str, Any]] = check_body(response, "rest/history-response.json")["events"]
    return events


async def test_publish_one_several_with_ttl_and_key(open_server: Server, under: Under) -> None:
    async def publish() -> tuple[Published, Published]:
        async with AsyncClient(open_server.url) as client:
            one = await client.publish("alice:chat", MessageEvent(content="hello"))
            several = await client.publish(
                "alice:chat",
                [
                    StatusUpdateEvent(status="running", progress=40),
                    {"type": "message", "data": {"content": "as a dict"}},
                ],
                ttl=60,
                idempotency_key="batch-1",
            )
            return one, several

    one, several = await under(publish)
    assert len(one.ids) == 1 and len(several.ids) == 2
    assert several.idempotency_key == "batch-1"
    assert one.idempotency_key  # made for the caller
    history = await _history(open_server, "alice:chat")
    assert [e["id"] for e in history] == one.ids + several.ids
    assert [e["data"] for e in history] == [
        {"content": "hello"},
        {"status": "running", "progress": 40},
        {"content": "as a dict"},
    ]
    assert [e.get("ttl") for e in history] == [None, 60, 60]


async def test_history_is_read_page_by_page(open_server: Server, under: Under) -> None:
    # The polling fallback had no method: a backend without a stream could not read history.
    async def read() -> list[HistoryPage]:
        async with AsyncClient(open_server.url) as client:
            published = await client.publish(
                "pages", [MessageEvent(content=str(n)) for n in range(5)]
            )
            pages = [await client.history("pages", limit=2)]
            while pages[-1].events:
                pages.append(await client.history("pages", after=pages[-1].last_event_id))
            assert [e.id for page in pages for e in page.events] == published.ids
            pages.append(await client.history("pages", after="0123456789ab-000000000001"))
            return pages

    *pages, foreign = await under(read)
    assert [[e.data.content for e in page.events] for page in pages] == [
        ["0", "1"],
        ["2", "3", "4"],
        [],
    ]
    assert pages[-1].last_event_id == pages[-2].last_event_id  # an empty page keeps the point
    assert not any(page.reset for page in pages)
    assert foreign.reset and foreign.reset_reason == "unknown_epoch"
    assert len(foreign.events) == 5  # what history holds, after the reset

    def first() -> HistoryPage:
        with Client(open_server.url) as blocking:
            return blocking.history("pages", limit=1)

    assert (await trio.to_thread.run_sync(first)).events[0].data == MessageEvent(content="0")


async def test_a_reset_page_without_events_reads_from_the_start_next(
    open_server: Server, under: Under
) -> None:
    """An ``after`` the hub cannot resume from (another epoch's, say) on a session without
    events: the page is reset and empty, and its ``lastEventId`` null, to read from the start.
    The client kept the useless ``after`` instead: each next page was reset again, and told
    its reader to refetch its state, until an event was published."""

    async def poll() -> list[HistoryPage]:
        async with AsyncClient(open_server.url) as client:
            pages = [await client.history("empty", after="0123456789ab-000000000001")]
            pages.append(await client.history("empty", after=pages[-1].last_event_id))
            published = await client.publish("empty", MessageEvent(content="x"))
            pages.append(await client.history("empty", after=pages[-1].last_event_id))
            assert [e.id for e in pages[-1].events] == published.ids
            return pages

    reset, quiet, first = await under(poll)
    assert (reset.reset, reset.events, reset.last_event_id) == (True, [], None)
    assert (quiet.reset, quiet.events, quiet.last_event_id) == (False, [], None)
    assert not first.reset and first.last_event_id == first.events[-1].id


async def test_sessions_stats_clear_and_hub_stats(server: Server, under: Under) -> None:
    async def manage() -> tuple[dict[str, Any], ...]:
        async with AsyncClient(server.url, token=token()) as client:
            created = await client.create_session("alice:s")
            await client.publish("alice:s", MessageEvent(content="x"))
            before = await client.session_stats("alice:s")
            await client.clear("alice:s")
            after = await client.session_stats("alice:s")
            return created, before, after, await client.stats()

    created, before, after, hub = await under(manage)
    assert created["sessionId"] == "alice:s" and created["historySize"] == 0
    assert before["historySize"] == 1 and after["historySize"] == 0
    assert "alice:s" in hub["sessionStats"]


@attrs.frozen(kw_only=True)
class TeamNote:
    """A team's own model, as ``sluice schemas export --python`` writes one."""

    TYPE: ClassVar[str] = "message"
    content: str = attrs.field(metadata={"wire": "content"})
    message_id: str | None = attrs.field(default=None, metadata={"wire": "messageId"})


async def test_a_teams_own_models_publish_and_read_back(open_server: Server, under: Under) -> None:
    async def roundtrip() -> list[Any]:
        async with AsyncClient(open_server.url, models=[TeamNote]) as client:
            await client.publish("team:red", TeamNote(content="ours", message_id="m-1"))
            events = client.stream("team:red")
            event = await anext(events)
            await events.aclose()
            return [event]

    (event,) = await under(roundtrip)
    assert event.type == "message"
    assert event.data == TeamNote(content="ours", message_id="m-1")


async def test_regenerate_answers_a_message_id_the_events_carry(server: Server) -> None:
    async with AsyncClient(server.url, token=token()) as client:
        started = await client.regenerate("alice:chat", "Say it shorter", message_id="msg-41")
        events = client.stream("alice:chat")
        seen = []
        with trio.fail_after(10):
            async for event in events:
                seen.append(event)
                if event.type == "message_regenerated":
                    break
        await events.aclose()
    assert seen[0].type == "message_regenerating"
    assert seen[0].data.original_message_id == "msg-41"
    assert {e.data.message_id for e in seen} == {started.message_id}


async def _track(thoughts: Any, progress: Any) -> None:
    """The same work through either kind of trackers."""
    await thoughts.start_thinking("the question")
    await thoughts.add_step("Reading", "first")
    await thoughts.add_step("Answering", "second")
    await thoughts.complete_thinking("done")
    await progress.update_progress(50, "half", "par")
    await progress.complete("all of it")
    with pytest.raises(ValueError):
        await progress.update_progress(150)
    await progress.error("gave up")


def _without_times(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], {k: v for k, v in e["data"].items() if k != "timestamp"}) for e in events]


async def test_the_trackers_publish_as_they_do_in_process(open_server: Server) -> None:
    ids = {"message_id": "m-7", "session_id": "bob:work", "task_id": "t-1"}
    async with AsyncClient(open_server.url) as client:
        await _track(
            ThoughtProcessTracker(**ids, client=client), ProgressTracker(**ids, client=client)
        )
    over_the_client = await _history(open_server, "bob:work")
    async with core.open_broadcaster() as broadcaster:
        await _track(
            core.ThoughtProcessTracker(**ids, broadcaster=broadcaster),
            core.ProgressTracker(**ids, broadcaster=broadcaster),
        )
        in_process = [e.envelope for e in await broadcaster.get_event_history("bob:work")]
    assert _without_times(over_the_client) == _without_times(in_process)
    assert [e["type"] for e in over_the_client] == [
        "thought_process_start",
        "thought_process_step",
        "thought_process_step",
        "thought_process_complete",
        "regeneration_progress",
        "message_regenerated",
        "regeneration_error",
    ]
    assert [e["data"]["stepNumber"] for e in over_the_client[1:3]] == [1, 2]
    assert over_the_client[3]["data"]["totalSteps"] == 2


async def test_the_blocking_client(open_server: Server) -> None:
    def publish_and_read() -> tuple[Published, dict[str, Any], list[Any]]:
        with Client(open_server.url) as client:
            published = client.publish("carol:x", [MessageEvent(content="a")] * 2)
            stats = client.session_stats("carol:x")
            stream = client.stream("carol:x")
            events = [next(stream), next(stream)]
            stream.close()
            return published, stats, events

    published, stats, events = await trio.to_thread.run_sync(publish_and_read)
    assert stats["historySize"] == 2
    assert [e.id for e in events] == published.ids
    assert events[0].data == MessageEvent(content="a")
