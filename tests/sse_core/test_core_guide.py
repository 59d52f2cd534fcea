"""The guide's backend tests ("Testing Strategies"), its helper examples and "Best
Practices", ported to trio: the guide's names, new imports and trio idioms only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio
from sse_frames import envelopes, pending_envelopes

from protocol import event_types
from protocol.registry import HUB_EVENTS
from sse_core import (
    BroadcasterConfig,
    EnhancedSSEBroadcaster,
    ProgressTracker,
    SSEEvent,
    SSEEventBuilder,
    ThoughtProcessTracker,
    get_sse_broadcaster,
    open_broadcaster,
)


@pytest.fixture
async def broadcaster() -> AsyncIterator[EnhancedSSEBroadcaster]:
    """Create broadcaster for testing."""
    config = BroadcasterConfig(event_ttl=1.0, cleanup_interval=0.5)  # short TTL for faster tests
    async with open_broadcaster(config) as bc:
        yield bc
        await bc.shutdown()


async def test_broadcast_and_receive(broadcaster: EnhancedSSEBroadcaster) -> None:
    """Test basic broadcast functionality."""
    session_id = "test_session"
    queue = await broadcaster.add_subscriber(session_id)
    await broadcaster.broadcast_event(session_id, {"type": "message", "data": {"content": "Hello"}})
    event = await queue.get(timeout=1.0)
    assert "message" in event
    assert "Hello" in event
    await broadcaster.remove_subscriber(session_id, queue)


async def test_multiple_subscribers(broadcaster: EnhancedSSEBroadcaster) -> None:
    """Test broadcasting to multiple subscribers."""
    session_id = "test_session"
    queue1 = await broadcaster.add_subscriber(session_id)
    queue2 = await broadcaster.add_subscriber(session_id)
    await broadcaster.broadcast_event(
        session_id, {"type": "status_update", "data": {"status": "count 1"}}
    )
    event1 = await queue1.get(timeout=1.0)
    event2 = await queue2.get(timeout=1.0)
    assert event1 == event2
    assert "status_update" in event1


async def test_event_history(broadcaster: EnhancedSSEBroadcaster) -> None:
    """Test event history for late joiners."""
    session_id = "test_session"
    for i in range(5):
        await broadcaster.broadcast_event(
            session_id, {"type": "status_update", "data": {"status": f"count {i}"}}
        )
    queue = await broadcaster.add_subscriber(session_id)
    events = []
    while queue.qsize() > 0:
        events.append(await queue.get())
    assert len(events) == 5
    assert [envelopes(e.encode())[0]["data"]["status"] for e in events] == [
        f"count {i}" for i in range(5)
    ]


async def test_get_with_timeout_raises_too_slow(
    broadcaster: EnhancedSSEBroadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    queue = await broadcaster.add_subscriber("test_session")
    with pytest.raises(trio.TooSlowError):
        await queue.get(timeout=30.0)


async def test_context_manager_and_sse_event(broadcaster: EnhancedSSEBroadcaster) -> None:
    """Best practice 1: always use context managers; SSEEvent frames the guide's way."""
    session_id = "test_session"
    async with broadcaster.subscribe(session_id) as queue:
        connected = SSEEvent(
            type="connection", data={"status": "connected", "sessionId": session_id}
        )
        assert connected.to_sse_format().startswith("event: connection\n")
        await broadcaster.broadcast_event(
            session_id, {"type": "status_update", "data": {"status": "x"}, "ttl": 60.0}
        )
        assert "status_update" in await queue.get()
    assert broadcaster.session_stats(session_id)["subscribers"] == 0


async def test_event_builders(broadcaster: EnhancedSSEBroadcaster) -> None:
    """Best practice 3 and "Using Event Builders": regenerate a message with progress."""
    session_id, message_id, task_id = "test_session", str(uuid.uuid4()), str(uuid.uuid4())
    async with broadcaster.subscribe(session_id) as queue:
        await broadcaster.broadcast_event(
            session_id,
            SSEEventBuilder.message_regeneration_started(
                message_id=message_id,
                session_id=session_id,
                task_id=task_id,
                original_message_id="orig",
                user_query="why?",
            ),
        )
        for progress in (25.0, 75.0):
            await broadcaster.broadcast_event(
                session_id,
                SSEEventBuilder.regeneration_progress(
                    message_id=message_id,
                    session_id=session_id,
                    task_id=task_id,
                    progress=progress,
                    message=f"Generating... {progress:.1f}%",
                    partial_content="so far",
                ),
            )
        await broadcaster.broadcast_event(
            session_id,
            SSEEventBuilder.message_regenerated(
                message_id=message_id, session_id=session_id, task_id=task_id, content="done"
            ),
        )
        await broadcaster.broadcast_event(
            session_id,
            SSEEventBuilder.regeneration_error(
                message_id=message_id, session_id=session_id, task_id=task_id, error="boom"
            ),
        )
        found = await pending_envelopes(queue)
    assert [e["type"] for e in found] == [
        "message_regenerating",
        "regeneration_progress",
        "regeneration_progress",
        "message_regenerated",
        "regeneration_error",
    ]
    assert found[0]["data"]["originalMessageId"] == "orig"
    assert found[1]["data"]["partialContent"] == "so far"
    assert all(e["data"]["messageId"] == message_id for e in found)


async def test_every_event_type_has_a_builder(broadcaster: EnhancedSSEBroadcaster) -> None:
    b = SSEEventBuilder
    built = [
        b.connection(status="connected", session_id="s", user_id="u"),
        b.keepalive(),
        b.error(message="oops", code="c", original_event="message"),
        b.message(content="hi", message_id="m", role="assistant"),
        b.status_update(status="working", message="m", progress=10, task_id="t"),
        b.thought_process_start(message_id="m", session_id="s", task_id="t", thinking_about="x"),
        b.thought_process_step(message_id="m", step="a", reasoning="b", step_number=1),
        b.thought_process_complete(message_id="m", conclusion="c", total_steps=1),
        b.message_regenerating(message_id="m"),
        b.regeneration_progress(message_id="m", progress=100),
        b.message_regenerated(message_id="m", content="c"),
        b.regeneration_error(message_id="m", error="e"),
        b.message_edited(message_id="m", content="new", previous_content="old"),
        b.message_deleted(deleted_message_ids=["m1", "m2"]),
        b.stream_reset(reason="malformed_id", session_id="s", last_event_id="x"),
        b.stream_overflow(session_id="s", max_queue_size=3, last_event_id="e-1"),
    ]
    assert sorted(type(e).TYPE for e in built) == sorted(event_types())
    published = [e for e in built if type(e).TYPE not in HUB_EVENTS]
    await broadcaster.publish_many("test_session", published)
    history = await broadcaster.get_event_history("test_session", limit=50)
    assert [e.type for e in history] == [type(e).TYPE for e in published]
    assert all(e.data["timestamp"].endswith("Z") for e in history)
    # the hub's own, sent outside history
    for event in (e for e in built if type(e).TYPE in HUB_EVENTS):
        (envelope,) = envelopes(broadcaster.encode_ephemeral(event))
        assert envelope["type"] == type(event).TYPE
        assert envelope["data"]["timestamp"].endswith("Z")


async def test_helper_trackers(broadcaster: EnhancedSSEBroadcaster) -> None:
    """ "Using Helper Trackers": thought process and progress of one AI task."""
    session_id, message_id, task_id = "test_session", str(uuid.uuid4()), str(uuid.uuid4())
    thought_tracker = ThoughtProcessTracker(
        message_id=message_id, session_id=session_id, task_id=task_id, broadcaster=broadcaster
    )
    progress_tracker = ProgressTracker(
        message_id=message_id, session_id=session_id, task_id=task_id
    )
    assert progress_tracker.broadcaster is get_sse_broadcaster() is broadcaster
    async with broadcaster.subscribe(session_id) as queue:
        await thought_tracker.start_thinking("Analyzing query: q")
        await thought_tracker.add_step(step="Query understanding", reasoning="Breaking down")
        await thought_tracker.add_step(step="Knowledge retrieval", reasoning="Searching")
        await progress_tracker.update_progress(
            progress=25.0, message="Retrieving context", partial_content="Let me search..."
        )
        await thought_tracker.complete_thinking(conclusion="Successfully generated")
        await progress_tracker.complete("final content")
        await progress_tracker.error("late failure")
        with pytest.raises(ValueError, match="progress"):
            await progress_tracker.update_progress(progress=101.0)
        found = await pending_envelopes(queue)
    assert [
        (e["type"], e["data"].get("stepNumber"), e["data"].get("totalSteps")) for e in found
    ] == [
        ("thought_process_start", None, None),
        ("thought_process_step", 1, None),
        ("thought_process_step", 2, None),
        ("regeneration_progress", None, None),
        ("thought_process_complete", None, 2),
        ("message_regenerated", None, None),
        ("regeneration_error", None, None),
    ]


async def test_session_management(broadcaster: EnhancedSSEBroadcaster) -> None:
    """ "Session Management" and "Session History"."""
    session_id = "test_session"
    await broadcaster.create_session(session_id)
    await broadcaster.broadcast_event(session_id, {"type": "message", "data": {"content": "a"}})
    all_stats = await broadcaster.get_stats()
    session_stats = all_stats["sessionStats"].get(session_id, {})
    assert (session_stats["subscribers"], session_stats["historySize"]) == (0, 1)
    events = await broadcaster.get_event_history(session_id, 50)
    recent = [
        {"type": e.type, "data": e.data, "id": e.id, "timestamp": e.created_at} for e in events
    ]
    assert recent[0]["data"] == {"content": "a"}
    await broadcaster.clear_session(session_id)
    assert await broadcaster.get_event_history(session_id) == []


async def test_the_guides_broadcaster_runs_inside_async_with() -> None:
    """ "Setting Up the SSE Broadcaster": ``EnhancedSSEBroadcaster(config)`` then use it. Under
    trio it runs inside ``async with``; used without it, it says what to write instead."""
    config = BroadcasterConfig(max_queue_size=2000, event_ttl=600.0)
    idle = EnhancedSSEBroadcaster(config)
    event = {"type": "message", "data": {"content": "Hello"}}
    for attempt in (idle.broadcast_event("s", event), idle.add_subscriber("s")):
        with pytest.raises(RuntimeError) as refused:
            await attempt
        assert "async with EnhancedSSEBroadcaster(config) as broadcaster:" in str(refused.value)
    with pytest.raises(RuntimeError, match=r"async with open_broadcaster\(config\)"):
        get_sse_broadcaster()

    async with EnhancedSSEBroadcaster(config) as broadcaster:
        assert broadcaster is get_sse_broadcaster()
        assert broadcaster.config.max_queue_size == 2000
        async with broadcaster.subscribe("s") as queue:
            await broadcaster.broadcast_event("s", event)
            (received,) = await pending_envelopes(queue)
        assert received["data"] == {"content": "Hello"}
    with pytest.raises(RuntimeError, match="shut down"):
        await broadcaster.broadcast_event("s", event)
    with pytest.raises(RuntimeError, match="runs once"):
        async with broadcaster:
            pass
