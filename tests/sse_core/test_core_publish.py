from __future__ import annotations

import re

import pytest
import trio
import trio.testing
from sse_frames import envelopes, message, pending, pending_envelopes

from protocol import InvalidEvent, SchemaError, check_envelope, to_wire
from sse_core import (
    Broadcaster,
    SSEEventBuilder,
    get_sse_broadcaster,
    open_broadcaster,
)
from sse_core.inputs import EventInput

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_publish_builds_a_valid_envelope_encoded_once(bc: Broadcaster) -> None:
    sub = await bc.add_subscriber("s1")
    event_id = await bc.publish("s1", message(1), ttl=30.0)
    (stored,) = await bc.get_event_history("s1")
    assert stored.id == event_id and event_id.startswith(bc.epoch + "-")
    assert stored.envelope == {
        "type": "message",
        "data": {"content": "m1"},
        "id": event_id,
        "timestamp": stored.created_at,
        "ttl": 30.0,
    }
    check_envelope(stored.envelope)
    assert RFC3339_UTC.fullmatch(stored.created_at)
    assert (stored.type, stored.data, stored.ttl) == ("message", {"content": "m1"}, 30.0)
    assert await sub.__anext__() is stored.frame
    assert envelopes(stored.frame) == [stored.envelope]


async def test_ids_are_ordered_within_a_session(bc: Broadcaster) -> None:
    published = [await bc.publish("s1", message(n)) for n in range(12)]
    assert published == sorted(published)
    assert len(set(published)) == 12


async def test_invalid_event_lists_every_problem_and_nothing_is_stored_or_sent(
    bc: Broadcaster,
) -> None:
    sub = await bc.add_subscriber("s1")
    bad = {
        "type": "regeneration_progress",
        "data": {"messageId": "", "progress": 140, "extra": 1},
        "ttl": -1,
    }
    with pytest.raises(InvalidEvent) as caught:
        await bc.publish("s1", bad)
    pointers = {e.pointer for e in caught.value.errors}
    assert {"/data/messageId", "/data/progress", "/ttl"} <= pointers
    assert any("extra" in e.message for e in caught.value.errors)
    assert await bc.get_event_history("s1") == []
    assert sub.qsize() == 0
    assert bc.session_stats("s1")["published"] == 0


async def test_unknown_type_is_invalid(bc: Broadcaster) -> None:
    with pytest.raises(InvalidEvent):
        await bc.publish("s1", {"type": "test_event", "data": {"message": "Hello"}})


async def test_publish_many_is_all_or_nothing_and_prefixes_pointers(bc: Broadcaster) -> None:
    with pytest.raises(InvalidEvent) as caught:
        await bc.publish_many("s1", [message(1), {"type": "message", "data": {}}, message(3)])
    assert [e.pointer for e in caught.value.errors] == ["/1/data"]
    assert await bc.get_event_history("s1") == []
    ids = await bc.publish_many("s1", [message(1), message(2), message(3)])
    assert [e.id for e in await bc.get_event_history("s1")] == ids


@pytest.mark.parametrize(
    "event",
    [
        {"type": "keepalive", "data": {"timestamp": "2026-01-31T12:00:00Z"}},
        SSEEventBuilder.keepalive(),
        SSEEventBuilder.connection(status="connected", session_id="s1"),
        SSEEventBuilder.stream_reset(session_id="s1", reason="history_exhausted"),
        SSEEventBuilder.stream_overflow(session_id="s1", max_queue_size=1),
    ],
)
async def test_a_type_only_the_hub_sends_is_never_published(
    bc: Broadcaster, event: EventInput
) -> None:
    sub = await bc.add_subscriber("s1")
    kind = event["type"] if isinstance(event, dict) else to_wire(event)["type"]
    said = f'"{kind}" is sent by the hub only'
    with pytest.raises(InvalidEvent, match=said) as caught:
        await bc.publish("s1", event)
    assert [e.pointer for e in caught.value.errors] == ["/type"]
    with pytest.raises(InvalidEvent, match=said) as caught:
        await bc.publish_many("s1", [message(1), event])
    assert [e.pointer for e in caught.value.errors] == ["/1/type"]
    with pytest.raises(InvalidEvent, match=said):
        bc.check_event(event)
    assert await bc.get_event_history("s1") == []
    assert sub.qsize() == 0
    bc.encode_ephemeral(event)  # the hub's own frames, outside history


async def test_ttl_argument_overrides_the_events_own(bc: Broadcaster) -> None:
    await bc.publish("s1", {**message(1), "ttl": 5.0}, ttl=7.0)
    await bc.broadcast_event("s1", {**message(2), "ttl": 5.0})
    first, second = await bc.get_event_history("s1")
    assert (first.ttl, second.ttl) == (7.0, 5.0)


@pytest.mark.parametrize("session_id", ["", "a b", "x" * 129, "s/1", "é"])
async def test_malformed_session_id_is_a_value_error(bc: Broadcaster, session_id: str) -> None:
    with pytest.raises(ValueError, match="session id"):
        await bc.publish(session_id, message(1))
    with pytest.raises(ValueError, match="session id"):
        await bc.add_subscriber(session_id)


async def test_encode_ephemeral_is_validated_and_kept_out_of_history(bc: Broadcaster) -> None:
    frame = bc.encode_ephemeral(
        {"type": "keepalive", "data": {"timestamp": "2026-01-31T12:00:00Z"}}
    )
    assert not frame.startswith(b"id:")
    (envelope,) = envelopes(frame)
    assert envelope["id"] == "" and RFC3339_UTC.fullmatch(envelope["timestamp"])
    check_envelope(envelope)
    with pytest.raises(InvalidEvent):
        bc.encode_ephemeral({"type": "keepalive", "data": {"timestamp": "yesterday"}})
    assert bc.sessions() == []


async def test_publish_and_subscribe_need_an_open_broadcaster() -> None:
    async with open_broadcaster() as bc:
        await bc.shutdown()
        with pytest.raises(RuntimeError, match="shut down"):
            await bc.publish("s1", message(1))
        with pytest.raises(RuntimeError, match="shut down"):
            await bc.add_subscriber("s1")
    with pytest.raises(RuntimeError, match="not open"):
        await Broadcaster().publish("s1", message(1))


async def test_get_sse_broadcaster_is_the_innermost_open_one() -> None:
    with pytest.raises(RuntimeError):
        get_sse_broadcaster()
    async with open_broadcaster() as outer:
        assert get_sse_broadcaster() is outer
        async with open_broadcaster() as inner:
            assert get_sse_broadcaster() is inner
        assert get_sse_broadcaster() is outer
    with pytest.raises(RuntimeError):
        get_sse_broadcaster()


async def test_get_sse_broadcaster_from_a_task_started_outside_the_block() -> None:
    found: list[Broadcaster] = []
    async with trio.open_nursery() as nursery:
        opened = trio.Event()

        async def elsewhere() -> None:
            await opened.wait()
            found.append(get_sse_broadcaster())

        nursery.start_soon(elsewhere)
        async with open_broadcaster() as bc:
            opened.set()
            await trio.testing.wait_all_tasks_blocked()
    assert found == [bc]


async def test_receive_batch_coalesces_everything_pending(
    bc: Broadcaster, autojump_clock: trio.testing.MockClock
) -> None:
    sub = await bc.add_subscriber("s1")
    for n in range(5):
        await bc.publish("s1", message(n))
    chunk = await sub.receive_batch()
    assert [e["data"]["content"] for e in envelopes(chunk)] == [f"m{n}" for n in range(5)]
    assert sub.qsize() == 0
    with trio.move_on_after(1) as waited:
        await sub.receive_batch()
    assert waited.cancelled_caught
    await bc.publish("s1", message(5))
    assert [e["data"]["content"] for e in await pending_envelopes(sub)] == ["m5"]
    assert await pending(sub) == b""


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (42, "42 is not of type 'object'"),
        (None, "null is not of type 'object'"),
        (True, "true is not of type 'object'"),
        ("message", "\"message\" is not of type 'object'"),
        (
            [message(1)],
            '[{"type": "message", "data": {"content": "m1"}}] is not of type \'object\'',
        ),
    ],
)
async def test_a_json_value_that_is_no_object_is_an_invalid_event(
    bc: Broadcaster, event: object, message: str
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        await bc.publish("s1", event)  # type: ignore[arg-type]
    assert caught.value.errors == (SchemaError("", message),)
    with pytest.raises(InvalidEvent) as caught:
        await bc.publish_many("s1", [{"type": "message", "data": {"content": "ok"}}, event])  # type: ignore[list-item]
    assert caught.value.errors == (SchemaError("/1", message),)
    with pytest.raises(InvalidEvent):
        bc.encode_ephemeral(event)  # type: ignore[arg-type]
    assert await bc.get_event_history("s1") == []


@pytest.mark.parametrize("event", [object(), {1, 2}, b"{}", (1, 2)])
async def test_an_object_that_is_neither_a_model_nor_a_mapping_is_a_type_error(
    bc: Broadcaster, event: object
) -> None:
    not_an_event = r"an event is a protocol\.models event or a mapping, not"
    with pytest.raises(TypeError, match=not_an_event):
        await bc.publish("s1", event)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=not_an_event):
        await bc.publish_many("s1", [event])  # type: ignore[list-item]
    assert await bc.get_event_history("s1") == []
