"""Validation: every error with its JSON pointer, and the fast and detailed engines agree."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import (
    InvalidEvent,
    SchemaError,
    check_envelope,
    check_event_input,
    is_session_id,
    unknown_type_errors,
    validator,
)
from protocol.catalogue import event_types
from protocol.registry import HUB_EVENTS
from protocol.validation import detailed_errors, detailed_validator

TS = "2026-01-31T12:00:00Z"


def _errors(instance: Any, schema: str = "event-input.json") -> list[SchemaError]:
    return validator(schema).errors(instance)


def test_progress_150_names_the_pointer_and_the_missing_message_id() -> None:
    event = {"type": "regeneration_progress", "data": {"progress": 150}}
    with pytest.raises(InvalidEvent) as caught:
        check_event_input(event)
    assert caught.value.errors == (
        SchemaError("/data", "'messageId' is a required property"),
        SchemaError("/data/progress", "150 is greater than the maximum of 100"),
    )
    assert "/data/progress" in str(caught.value)
    assert "messageId" in str(caught.value)


def test_every_error_is_reported_not_only_the_first() -> None:
    event = {
        "type": "stream_overflow",
        "data": {"sessionId": "bad id!", "maxQueueSize": 0, "timestamp": "yesterday", "x": 1},
        "ttl": -1,
    }
    pointers = [e.pointer for e in _errors(event)]
    assert pointers == ["/data", "/data/maxQueueSize", "/data/sessionId", "/data/timestamp", "/ttl"]
    assert "'x' was unexpected" in _errors(event)[0].message


def test_a_publisher_is_told_the_types_it_may_send() -> None:
    events = [
        {"type": "message", "data": {}},
        {"type": "regenerated", "data": {}},
        {"type": 7, "data": {}},
        {"type": "connection", "data": {}},
    ]
    errors = [
        SchemaError(f"/{i}{error.pointer}", error.message)
        for i, event in enumerate(events)
        for error in _errors(event)
    ]
    assert [e.pointer for e in errors] == ["/0/data", "/1/type", "/2/type", *["/3/data"] * 3]
    errors.insert(3, SchemaError("/2/type", "7 is not of type 'string'"))  # two of one event
    told = unknown_type_errors(errors, events, event_types(), batch=True)
    publishable = [t for t in event_types() if t not in HUB_EVENTS]
    allowed = ", ".join(f'"{t}"' for t in publishable)
    assert told == [
        *[e for e in errors if e.pointer.startswith("/0/")],
        SchemaError("/1/type", f'"regenerated" is not a type a publisher may send: {allowed}'),
        SchemaError("/2/type", f"7 is not a type a publisher may send: {allowed}"),
        *[e for e in errors if e.pointer.startswith("/3/")],  # hub_only_errors says why
    ]
    assert unknown_type_errors(errors[:1], events[:1], event_types(), batch=True) == errors[:1]
    (single,) = unknown_type_errors(_errors(events[1]), [events[1]], event_types(), batch=False)
    assert single.pointer == "/type"
    assert not any(f'"{t}"' in single.message for t in HUB_EVENTS)


def test_unknown_type_names_every_known_type() -> None:
    (error,) = _errors({"type": "regenerated", "data": {}})
    assert error.pointer == "/type"
    for known in event_types():
        assert f'"{known}"' in error.message


@pytest.mark.parametrize(
    "timestamp",
    [
        "yesterday",
        "2026-01-31",
        "2026-01-31T12:00:00",  # no offset
        "2026-01-31 12:00:00Z",
        "2026-02-30T12:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-01-31T12:00:60Z",  # a leap second only at 23:59 UTC
        "2026-01-31T12:00:00Z\n",
        "2026-01-31T12:00:00+05:60",
    ],
)
def test_date_time_format_is_really_checked(timestamp: str) -> None:
    (error,) = _errors({"type": "keepalive", "data": {"timestamp": timestamp}})
    assert error.pointer == "/data/timestamp"


@pytest.mark.parametrize(
    "timestamp",
    [TS, "2026-01-31t12:00:00.123z", "2024-02-29T23:59:60Z", "1998-12-31T15:59:60.5-08:00"],
)
def test_every_rfc3339_date_time_is_accepted(timestamp: str) -> None:
    check_event_input({"type": "keepalive", "data": {"timestamp": timestamp}})


def test_additional_properties_are_refused_wherever_the_payload_is_closed() -> None:
    (error,) = _errors({"type": "keepalive", "data": {"timestamp": TS, "extra": 1}})
    assert (error.pointer, error.message) == (
        "/data",
        "Additional properties are not allowed ('extra' was unexpected)",
    )
    (error,) = _errors({"type": "keepalive", "data": {"timestamp": TS}, "id": "1"})
    assert error.pointer == ""
    assert "'id' was unexpected" in error.message
    (error,) = _errors({"type": "message", "data": {"content": "hi", "message_id": "m"}})
    assert "'message_id' was unexpected" in error.message  # snake_case is not the wire


def test_envelopes_are_checked_with_their_own_schema() -> None:
    envelope = {"type": "keepalive", "data": {"timestamp": TS}, "id": "", "timestamp": TS}
    check_envelope(envelope)
    with pytest.raises(InvalidEvent) as caught:
        check_envelope({**envelope, "id": "1\n2", "ttl": 0})
    assert [e.pointer for e in caught.value.errors] == ["/id", "/ttl"]


def test_a_trailing_newline_is_refused_with_its_pointer() -> None:
    """Python's ``$`` matches before a final newline, ECMA-262's (the schemas') does not:
    the fast engine refuses, and the error still names the field."""
    event = {"type": "connection", "data": {"status": "connected", "sessionId": "s\n"}}
    event["data"]["timestamp"] = TS
    assert not validator("event-input.json").is_valid(event)
    (error,) = _errors(event)
    assert error.pointer == "/data/sessionId"


def _ev(event_type: str, **data: Any) -> dict[str, Any]:
    return {"type": event_type, "data": data}


# Valid and invalid instances of every kind, for the two engines to judge.
CORPUS: list[Any] = [
    _ev("connection", status="connected", sessionId="s-1", timestamp=TS),
    _ev("connection", status="connected", sessionId="s-1", timestamp=TS, userId="u"),
    _ev("connection", status="open", sessionId="s-1", timestamp=TS),
    _ev("connection", status="connected", sessionId="", timestamp=TS),
    _ev("connection", status="connected", sessionId="a" * 129, timestamp=TS),
    _ev("connection", status="connected", sessionId="s", timestamp=TS, userId=""),
    _ev("keepalive", timestamp="2026-01-31T23:59:60+00:00"),
    _ev("keepalive", timestamp="0000-01-01T00:00:00Z"),
    _ev("keepalive", timestamp="2023-02-29T00:00:00Z"),
    _ev("keepalive", timestamp="2026-01-31T12:00:00.Z"),
    _ev("keepalive", timestamp=1),
    _ev("keepalive"),
    _ev("error", message="boom", code="c" * 128, originalEvent="message"),
    _ev("error", message="boom", code="c" * 129),
    _ev("error", message=""),
    _ev("message", content="", role="assistant", messageId="m", timestamp=TS),
    _ev("message", content="hi", role="robot"),
    _ev("message", content=None),
    _ev("status_update", status="running", progress=0),
    _ev("status_update", status="running", progress=100.0),
    _ev("status_update", status="running", progress=-0.001),
    _ev("status_update", status="running", progress=True),
    _ev("status_update", status="running", progress="50"),
    _ev("thought_process_start", messageId="m", sessionId="s", taskId="t", thinkingAbout="x"),
    _ev("thought_process_start", messageId="m", sessionId="s", taskId="t"),
    _ev("thought_process_step", messageId="m", step="s", reasoning="r", stepNumber=1),
    _ev("thought_process_step", messageId="m", step="s", reasoning="r", stepNumber=0),
    _ev("thought_process_step", messageId="m", step="s", reasoning="r", stepNumber=1.0),
    _ev("thought_process_step", messageId="m", step="s", reasoning="r", stepNumber=1.5),
    _ev("thought_process_complete", messageId="m", conclusion="c", totalSteps=0),
    _ev("thought_process_complete", messageId="m", conclusion="c", totalSteps=-1),
    _ev("message_regenerating", messageId="m" * 256, originalMessageId="o", userQuery="q"),
    _ev("message_regenerating", messageId="m" * 257),
    _ev("regeneration_progress", messageId="m", progress=40, partialContent="p"),
    _ev("regeneration_progress", progress=150),
    _ev("message_regenerated", messageId="m", content="c", taskId="t"),
    _ev("regeneration_error", messageId="m", error="timeout", sessionId="s"),
    _ev("regeneration_error", messageId="m", error=""),
    _ev("message_edited", messageId="m", content="c", previousContent="b"),
    _ev("message_deleted", deletedMessageIds=["a", "b"]),
    _ev("message_deleted", deletedMessageIds=[]),
    _ev("message_deleted", deletedMessageIds=["a", "a"]),
    _ev("message_deleted", deletedMessageIds=["a", ""]),
    _ev("message_deleted", deletedMessageIds="a"),
    _ev("stream_reset", reason="unknown_epoch", sessionId="s", timestamp=TS, lastEventId=""),
    _ev("stream_reset", reason="expired", sessionId="s", timestamp=TS),
    _ev("stream_overflow", sessionId="s", maxQueueSize=1, timestamp=TS, lastEventId="e"),
    _ev("stream_overflow", sessionId="s", maxQueueSize=1, timestamp=TS, lastEventId="e\r"),
    {"type": "message", "data": {"content": "hi"}, "ttl": 31536000},
    {"type": "message", "data": {"content": "hi"}, "ttl": 31536000.5},
    {"type": "message", "data": {"content": "hi"}, "ttl": 1e-9},
    {"type": "message", "data": {"content": "hi"}, "ttl": 0},
    {"type": "message"},
    {"type": "nope", "data": {}},
    {"data": {}},
    [],
    "event",
    None,
]


@pytest.mark.parametrize("instance", CORPUS)
def test_fast_and_detailed_engines_agree(instance: Any) -> None:
    check = validator("event-input.json")
    detailed = list(check._detailed.iter_errors(instance))
    assert check.is_valid(instance) == (not detailed), detailed
    assert check.is_valid(instance) == (not check.errors(instance))


def test_the_corpus_holds_valid_and_invalid_instances_of_every_type() -> None:
    check = validator("event-input.json")
    valid_types = {e["type"] for e in CORPUS if check.is_valid(e)}
    assert valid_types == set(event_types())
    assert sum(not check.is_valid(e) for e in CORPUS) > len(event_types())


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("alice:chat", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("s\n", False),
        ("semi;colon", False),
        (42, False),
    ],
)
def test_session_ids_follow_the_schema_to_the_last_character(value: object, ok: bool) -> None:
    assert is_session_id(value) is ok


@pytest.mark.parametrize(
    ("schema", "instance", "message"),
    [
        ({"type": "object"}, None, "null is not of type 'object'"),
        ({"type": "object"}, True, "true is not of type 'object'"),
        ({"type": ["string", "null"]}, False, "false is not of type 'string', 'null'"),
        ({"type": "object"}, ["a", None], "[\"a\", null] is not of type 'object'"),
        ({"enum": ["a", None, 1]}, "it's", '"it\'s" is not one of ["a", null, 1]'),
        ({"const": True}, False, "true was expected"),
        ({"const": None}, 1, "null was expected"),
        ({"maximum": 100}, 150, "150 is greater than the maximum of 100"),
        ({"exclusiveMinimum": 0.5}, 0.5, "0.5 is less than or equal to the minimum of 0.5"),
        ({"multipleOf": 0.5}, 0.7, "0.7 is not a multiple of 0.5"),
        ({"minLength": 2}, "é", '"é" is too short'),
        ({"maxItems": 0}, [None], "[null] is expected to be empty"),
        ({"uniqueItems": True}, [True, True], "[true, true] has non-unique elements"),
        ({"pattern": "^a"}, "b\n", "\"b\\n\" does not match '^a'"),
        ({"format": "date-time"}, "noon", "\"noon\" is not a 'date-time'"),
        ({"not": {"const": None}}, None, 'null should not be valid under {"const": null}'),
        ({"minProperties": 1}, {}, "{} should be non-empty"),
        ({"required": ["type"]}, {}, "'type' is a required property"),  # a name, as 'object'
        ({"properties": {"a": False}}, {"a": None}, "False schema does not allow null"),
    ],
)
def test_a_message_names_a_json_value_as_json(
    schema: dict[str, Any], instance: Any, message: str
) -> None:
    """Not as Python shows it (None, True, 'text'): the forms of ``jsonschema``'s messages
    that are rewritten are pinned here, so that a release that changes one fails this test."""
    (error,) = detailed_errors(detailed_validator(schema), instance)
    assert error.message == message
