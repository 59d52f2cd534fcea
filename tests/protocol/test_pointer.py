"""JSON pointers (RFC 6901): built in one place, the whole document ``""``, shown as JSON."""

from __future__ import annotations

import orjson
import pytest

from protocol import InvalidEvent, SchemaError, check_event_input, pointer_to
from protocol.pointer import shown
from protocol.stream_contract import Violation
from protocol.validation import detailed_errors, detailed_validator


def test_tokens_are_escaped_and_the_root_is_the_empty_pointer() -> None:
    assert pointer_to([]) == ""
    assert pointer_to(["data", "progress"]) == "/data/progress"
    assert pointer_to(["a/b", "m~n", 0]) == "/a~1b/m~0n/0"
    assert pointer_to([""]) == "/"  # the member whose key is "", not the root
    assert pointer_to(["type"], "/2") == "/2/type"


def test_an_error_at_a_key_with_a_slash_or_a_tilde_has_it_escaped() -> None:
    validator = detailed_validator({"additionalProperties": {"type": "string"}})
    errors = detailed_errors(validator, {"a/b": 1, "m~n": 2, "": 3})
    assert [e.pointer for e in errors] == ["/", "/a~1b", "/m~0n"]


def test_an_error_of_the_whole_event_is_at_the_empty_pointer() -> None:
    with pytest.raises(InvalidEvent) as caught:
        check_event_input({"data": {}})
    assert caught.value.errors == (SchemaError("", "'type' is a required property"),)
    assert str(caught.value) == "\"\": 'type' is a required property"


@pytest.mark.parametrize("value", ["", "/", "/data/progress", "/a: b", "/line\nbreak", '/"'])
def test_a_pointer_is_shown_as_a_json_string_that_reads_back(value: str) -> None:
    text = shown(value)
    assert orjson.loads(text) == value
    assert "\n" not in text
    assert str(SchemaError(value, "why")) == f"{text}: why"
    assert str(Violation("e-1", 1, "message", value, "why")) == f"event e-1 {text}: why"
