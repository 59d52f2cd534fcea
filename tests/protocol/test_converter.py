"""The converter: camelCase on the wire, snake_case in Python, validation before cattrs."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import pytest

import protocol
from protocol import (
    EVENT_CLASSES,
    Envelope,
    InvalidEvent,
    MessageDeletedEvent,
    MessageEvent,
    RegenerationProgressEvent,
    envelope_from_wire,
    envelope_to_wire,
    from_wire,
    to_wire,
)
from protocol.converter import converter

TS = "2026-01-31T12:00:00Z"


def test_to_wire_renames_to_camel_case_and_omits_absent_fields() -> None:
    event = RegenerationProgressEvent(message_id="m-1", progress=40, partial_content="Hel")
    assert to_wire(event) == {
        "type": "regeneration_progress",
        "data": {"messageId": "m-1", "progress": 40, "partialContent": "Hel"},
    }
    assert type(to_wire(event)["data"]["progress"]) is int  # 40 stays 40, not 40.0


def test_from_wire_picks_the_class_by_type() -> None:
    event = from_wire({"type": "message_deleted", "data": {"deletedMessageIds": ["a", "b"]}})
    assert event == MessageDeletedEvent(deleted_message_ids=["a", "b"])
    assert from_wire({"type": "message", "data": {"content": "hi"}, "ttl": 5}) == MessageEvent(
        content="hi"
    )


def test_from_wire_validates_before_cattrs_can_coerce() -> None:
    with pytest.raises(InvalidEvent) as caught:
        from_wire({"type": "regeneration_progress", "data": {"messageId": 7, "progress": "50"}})
    assert [e.pointer for e in caught.value.errors] == ["/data/messageId", "/data/progress"]


def test_snake_case_keys_are_not_the_wire() -> None:
    with pytest.raises(InvalidEvent, match="'message_id' was unexpected"):
        from_wire({"type": "regeneration_progress", "data": {"message_id": "m", "progress": 1}})


@pytest.mark.parametrize("wire", [{"type": "nope", "data": {}}, {"type": 1, "data": {}}])
def test_an_unknown_type_is_an_invalid_event_naming_the_known_types(wire: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        from_wire(wire)
    (error,) = caught.value.errors
    assert error.pointer == "/type"
    assert all(f'"{t}"' in error.message for t in EVENT_CLASSES)


@pytest.mark.parametrize("wire", [None, [], "message", {"data": {}}, {"type": "message"}])
def test_malformed_input_is_an_invalid_event(wire: Any) -> None:
    with pytest.raises(InvalidEvent):
        from_wire(wire)


@pytest.mark.parametrize("value", [42, None, {"type": "message", "data": {}}, object()])
def test_to_wire_of_anything_but_a_model_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="not an event model"):
        to_wire(value)


def _envelope() -> Envelope:
    event = RegenerationProgressEvent(message_id="m", progress=12.5, session_id="s")
    return Envelope(type=event.TYPE, data=event, id="e:1-7", timestamp=TS)


def test_envelope_round_trip() -> None:
    envelope = _envelope()
    wire = envelope_to_wire(envelope)
    assert wire == {
        "type": "regeneration_progress",
        "data": {"messageId": "m", "progress": 12.5, "sessionId": "s"},
        "id": "e:1-7",
        "timestamp": TS,
    }
    assert envelope_from_wire(wire) == envelope
    with_ttl = attrs.evolve(envelope, ttl=30)
    assert envelope_to_wire(with_ttl)["ttl"] == 30
    assert envelope_from_wire(envelope_to_wire(with_ttl)) == with_ttl


def test_envelope_from_wire_validates_the_data_by_type() -> None:
    wire = {**envelope_to_wire(_envelope()), "type": "message"}
    with pytest.raises(InvalidEvent) as caught:
        envelope_from_wire(wire)
    assert {e.pointer for e in caught.value.errors} == {"/data"}


def test_an_envelope_type_must_be_its_data_type() -> None:
    event = MessageEvent(content="hi")
    with pytest.raises(ValueError, match="'type' must be 'message'"):
        Envelope(type="keepalive", data=event, id="", timestamp=TS)
    with pytest.raises(TypeError):
        Envelope(type="message", data={"content": "hi"}, id="", timestamp=TS)  # type: ignore[arg-type]


def test_the_converter_is_the_one_cattrs_converter_of_the_models() -> None:
    event = converter.structure({"messageId": "m", "progress": 1}, RegenerationProgressEvent)
    assert converter.unstructure(event) == {"messageId": "m", "progress": 1}


def test_the_package_exports_the_models_and_the_converter_functions() -> None:
    for name in ["Event", "EVENT_CLASSES", "Envelope", "to_wire", "from_wire", "envelope_to_wire"]:
        assert name in protocol.__all__
    for cls in EVENT_CLASSES.values():
        assert getattr(protocol, cls.__name__) is cls
        assert cls.__name__ in protocol.__all__
    assert protocol.converter.converter is converter  # protocol.converter is the module


def test_protocol_imports_neither_trio_nor_a_web_framework() -> None:
    code = "import sys, protocol; print(sorted({'trio', 'quart', 'hypercorn'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
