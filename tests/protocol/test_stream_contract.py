"""``protocol.stream_contract``: each framing and catalogue rule, on parsed events (no I/O)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from protocol import EventStreamParser, codegen, encode_envelope, event_types
from protocol.stream_contract import StreamContract, Violation

TS = "2026-01-31T12:00:00Z"
CATALOGUE = {t: codegen.self_contained(f"events/{t}.json") for t in event_types()}


def envelope(event_type: str = "message", event_id: str = "", **data: Any) -> dict[str, Any]:
    body = data or ({"content": "hi"} if event_type == "message" else {"timestamp": TS})
    return {"type": event_type, "data": body, "id": event_id, "timestamp": TS}


def connection() -> bytes:
    data = {"status": "connected", "sessionId": "s", "timestamp": TS}
    return encode_envelope(envelope("connection", **data))


def violations(*frames: bytes) -> list[str]:
    """Every violation, as printed, of a stream made of ``frames``."""
    contract = StreamContract(CATALOGUE)
    parser = EventStreamParser(strict=True)
    return [
        str(v) for frame in frames for event in parser.feed(frame) for v in contract.check(event)
    ]


def test_a_stream_that_keeps_the_contract_has_no_violation() -> None:
    contract = StreamContract(CATALOGUE)
    parser = EventStreamParser()
    frames = [
        b"retry: 3000\n\n",
        connection(),
        encode_envelope(envelope(event_id="e-000000000001")),
        b": a comment\n\n",
        encode_envelope(envelope("keepalive")),
        encode_envelope(envelope(event_id="e-000000000002")),
    ]
    found = [v for f in frames for event in parser.feed(f) for v in contract.check(event)]
    assert found == []
    assert (contract.position, contract.counted, contract.last_id) == (4, 2, "e-000000000002")


def test_data_against_the_types_schema_with_its_json_pointer() -> None:
    bad = envelope("regeneration_progress", "e-1", messageId="m", progress=150)
    assert violations(encode_envelope(bad)) == [
        'event e-1 "/data/progress": 150 is greater than the maximum of 100'
    ]


def test_a_type_outside_the_catalogue() -> None:
    assert violations(encode_envelope(envelope("order_shipped", "e-1", orderId="o"))) == [
        'event e-1 "/type": "order_shipped" is not a type of the catalogue'
    ]


def test_the_catalogue_given_is_the_one_checked() -> None:
    contract = StreamContract({**CATALOGUE, "order_shipped": {"type": "object"}})
    (event,) = EventStreamParser().feed(encode_envelope(envelope("order_shipped", "e-1", a=1)))
    assert contract.check(event) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"extra": 1},
            "event e-1 \"\": Additional properties are not allowed ('extra' was unexpected)",
        ),
        ({"timestamp": "noon"}, 'event e-1 "/timestamp": "noon" is not a \'date-time\''),
        ({"type": 5}, "event e-1 \"/type\": 5 is not of type 'string'"),
    ],
    ids=["extra-field", "timestamp", "type-not-string"],
)
def test_the_envelopes_shape(change: dict[str, Any], expected: str) -> None:
    bad = {**envelope(event_id="e-1"), **change}
    frame = b"id: e-1\nevent: message\ndata: " + orjson.dumps(bad) + b"\n\n"
    assert expected in violations(frame)


def test_data_that_is_not_json_or_not_an_object() -> None:
    not_json, not_object = violations(b"event: message\ndata: {oops\n\n", b"data: [1]\n\n")
    assert not_json.startswith('event #1 (message, no id) "": data is not JSON: ')
    assert not_object == 'event #2 (message, no id) "": data is not a JSON object (an envelope)'


def test_the_event_field_equals_the_envelopes_type() -> None:
    frame = encode_envelope(envelope(event_id="e-1")).replace(b"event: message", b"event: note")
    assert violations(frame) == ["event e-1 \"/type\": the SSE event field is 'note', not the type"]


def test_every_event_kept_in_history_has_an_id() -> None:
    assert violations(connection(), encode_envelope(envelope())) == [
        'event #2 (message, no id) "/id": an event kept in history has no id'
    ]


def test_the_sse_id_field_equals_the_envelopes_id() -> None:
    frame = encode_envelope(envelope(event_id="e-1")).replace(b"id: e-1\n", b"")
    assert violations(frame) == ["event e-1 \"/id\": the SSE id field is '', not the id"]


def test_ids_increase() -> None:
    first = encode_envelope(envelope(event_id="e-000000000002"))
    again = encode_envelope(envelope(event_id="e-000000000002"))
    older = encode_envelope(envelope(event_id="e-000000000001"))
    assert violations(first, again, older) == [
        'event e-000000000002 "/id": does not increase (after e-000000000002)',
        'event e-000000000001 "/id": does not increase (after e-000000000002)',
    ]


def test_an_event_without_an_id_leaves_the_last_event_id_alone() -> None:
    frame = b"id: x\n" + encode_envelope(envelope("keepalive"))
    assert violations(frame) == [
        "event #1 (keepalive, no id) \"/id\": no id, yet the SSE id field sets 'x'"
    ]


def test_a_stream_violation_reads_as_the_stream() -> None:
    assert str(Violation("", 3, "", "", "broke off")) == "stream after event #3: broke off"
    assert str(Violation("", 0, "", "", "unreadable")) == "stream: unreadable"
