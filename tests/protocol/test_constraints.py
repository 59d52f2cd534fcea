"""The Python checks behind the models judge like jsonschema-rs, the fast path."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.builders import EventBuilders
from protocol.constraints import is_date_time, python_pattern

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_RS_DATE_TIME = jsonschema_rs.validator_for(
    {"$schema": DIALECT, "format": "date-time"}, validate_formats=True
)


def _choice(*options: str) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


# Date-times built from parts near every boundary (days per month, leap years and seconds,
# offsets), and with the separators and suffixes that must be refused.
date_times = st.builds(
    "{}-{}-{}{}{}:{}:{}{}{}{}".format,
    _choice("0000", "1900", "1998", "2000", "2023", "2024", "9999"),
    _choice("00", "01", "02", "04", "12", "13"),
    _choice("00", "01", "28", "29", "30", "31", "32"),
    _choice("T", "t", " ", "_"),
    _choice("00", "09", "15", "23", "24"),
    _choice("00", "59", "60"),
    _choice("00", "59", "60", "61"),
    _choice("", ".1", ".123456789", "."),
    _choice("Z", "z", "+00:00", "-00:00", "-08:00", "+01:00", "+23:59", "+24:00", "-01:60", ""),
    _choice("", "\n", " ", "Z"),
)


@settings(max_examples=300, deadline=None)
@given(date_times)
def test_date_time_is_judged_as_jsonschema_rs_does(value: str) -> None:
    assert is_date_time(value) == _RS_DATE_TIME.is_valid(value)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_judged_as_jsonschema_rs_does(value: str) -> None:
    assert is_date_time(value) == _RS_DATE_TIME.is_valid(value)


@pytest.mark.parametrize(
    ("ecma", "text", "matches"),
    [
        ("^[A-Za-z0-9._:-]{1,128}$", "session-1", True),
        ("^[A-Za-z0-9._:-]{1,128}$", "session-1\n", False),
        ("^[^\\r\\n\\u0000]*$", "id-1", True),
        ("^[^\\r\\n\\u0000]*$", "id-1\n", False),
        ("[$]", "a$", True),
        ("a\\$", "a$", True),
        ("(?:ab)+(?!c)", "abab", True),
    ],
)
def test_patterns_mean_what_ecma_262_says(ecma: str, text: str, matches: bool) -> None:
    assert bool(re.search(python_pattern(ecma), text)) is matches
    rs = jsonschema_rs.validator_for({"$schema": DIALECT, "pattern": ecma})
    assert rs.is_valid(text) is matches


@pytest.mark.parametrize("ecma", ["\\d+", "\\w", "\\s", "\\bx", "a.b", "(?i)x", "(?<n>x)", "[]a]"])
def test_patterns_the_dialects_read_differently_are_refused(ecma: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        python_pattern(ecma)


@pytest.mark.parametrize("ecma", ["[a-", "(a", "^\\p{L}+$", "a\\"])
def test_patterns_python_cannot_compile_are_refused(ecma: str) -> None:
    with pytest.raises(ValueError, match="Python's re cannot compile it"):
        python_pattern(ecma)


def test_a_value_off_its_pattern_is_one_message_naming_the_field() -> None:
    with pytest.raises(ValueError) as raised:
        EventBuilders.connection(status="connected", session_id="bad id")
    assert raised.value.args == (
        "'session_id' must match the pattern "
        "'^(?!(?:[^:]*:)*\\\\.\\\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$': 'bad id'",
    )
    with pytest.raises(ValueError, match="'session_id' must match the pattern"):
        EventBuilders.connection(status="connected", session_id="s\n")  # ECMA $: no newline
    assert EventBuilders.connection(status="connected", session_id="alice:x").session_id
