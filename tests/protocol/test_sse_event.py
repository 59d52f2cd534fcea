"""The guide's SSEEvent: the frame it writes carries the envelope Sluice's wire carries."""

from __future__ import annotations

import orjson
import pytest

from protocol import (
    EventStreamParser,
    LocalProtocolError,
    ServerSentEvent,
    SSEEvent,
    check_envelope,
)


def test_to_sse_format_writes_one_frame_with_the_json_envelope() -> None:
    event = SSEEvent(
        type="message",
        data={"content": "two\nlines"},
        id="e-1",
        timestamp="2026-01-31T12:00:00Z",
        ttl=60.0,
    )
    text = event.to_sse_format()
    assert text.startswith("id: e-1\nevent: message\ndata: {")
    assert text.endswith("\n\n")
    [parsed] = EventStreamParser().feed(text.encode())
    assert (parsed.event, parsed.id) == ("message", "e-1")
    envelope = orjson.loads(parsed.data)
    assert envelope == {
        "type": "message",
        "data": {"content": "two\nlines"},
        "id": "e-1",
        "timestamp": "2026-01-31T12:00:00Z",
        "ttl": 60.0,
    }
    check_envelope(envelope)


def test_default_timestamp_is_an_rfc3339_utc_time_the_schema_accepts() -> None:
    event = SSEEvent(type="keepalive", data={"timestamp": "2026-01-31T12:00:00Z"})
    assert event.timestamp.endswith("Z")
    check_envelope(event.envelope())


def test_event_without_id_writes_no_id_line_and_an_empty_envelope_id() -> None:
    event = SSEEvent("connection", {"status": "connected"}, timestamp="t")
    assert not event.encode().startswith(b"id:")
    assert event.envelope()["id"] == ""


def test_retry_goes_into_the_same_frame() -> None:
    frame = SSEEvent("message", {"content": "x"}, retry=2000).encode()
    parser = EventStreamParser()
    [parsed] = parser.feed(frame)
    assert parsed.retry == parser.retry == 2000
    assert isinstance(parsed, ServerSentEvent)


def test_type_containing_a_newline_raises() -> None:
    with pytest.raises(LocalProtocolError, match="SSE event"):
        SSEEvent("message\ndata: injected", {}).to_sse_format()


def test_fields_are_type_checked() -> None:
    with pytest.raises(TypeError):
        SSEEvent("message", "not a dict")  # type: ignore[arg-type]
