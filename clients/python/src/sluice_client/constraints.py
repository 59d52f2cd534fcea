# Copied from protocol/constraints.py by ``python -m protocol.codegen``: do not edit.
"""JSON Schema constraints checked in Python exactly as the schemas mean them.

The generated models (``protocol/models.py``) guard their fields with these attrs validators,
and the detailed validator checks ``date-time`` with :func:`is_date_time`, so a value is judged
the same way by the models, by ``jsonschema`` and by ``jsonschema-rs`` (the fast path).

Two places where Python's defaults would differ from the schemas:

- ``format: date-time`` is RFC 3339 section 5.6 with leap seconds (second 60 only at 23:59
  UTC) and year 0000, as jsonschema-rs and the JSON Schema test suite have it (the
  ``rfc3339-validator`` package refuses both and accepts a trailing newline).
- ``pattern`` is an ECMA-262 regular expression: there ``$`` matches only at the very end,
  where Python's ``$`` also matches before a final newline. :func:`python_pattern` rewrites it.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from typing import Any

import attrs

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_LAST_MINUTE_OF_DAY = 23 * 60 + 59


def is_date_time(value: str) -> bool:
    """True when ``value`` is an RFC 3339 ``date-time`` (JSON Schema's ``format: date-time``)."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    sign = match.group(7)
    offset_hour, offset_minute = (int(g) for g in match.group(8, 9)) if sign else (0, 0)
    if not (1 <= month <= 12 and offset_hour <= 23 and offset_minute <= 59):
        return False
    days = _DAYS_IN_MONTH[month - 1] + (month == 2 and calendar.isleap(year))
    if not (1 <= day <= days and hour <= 23 and minute <= 59 and second <= 60):
        return False
    if second == 60:  # a leap second is the last second of a UTC day
        offset = (offset_hour * 60 + offset_minute) * (-1 if sign == "-" else 1)
        return (hour * 60 + minute - offset) % (24 * 60) == _LAST_MINUTE_OF_DAY
    return True


# Escapes whose meaning differs between ECMA-262 and Python's re (ASCII or Unicode classes,
# word boundaries): a schema spells such sets out, e.g. [0-9] rather than \d.
_DIALECT_ESCAPES = frozenset("dDwWsSbB")


def python_pattern(ecma: str) -> str:
    """The Python ``re`` spelling of an ECMA-262 ``pattern`` (searched, not anchored).

    ``$`` outside a character class becomes ``\\Z``. Raises :class:`ValueError` for what the two
    dialects read differently and is not rewritten: ``\\d \\w \\s \\b`` (and their negations),
    ``.``, and ``(?`` other than ``(?:``, ``(?=``, ``(?!``; and for a result that Python's ``re``
    cannot compile (``[a-``, ``\\p{L}``), so a model never fails on import.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(ecma):
        char = ecma[i]
        if char == "\\":
            escape = ecma[i : i + 2]
            if escape[1:] in _DIALECT_ESCAPES:
                raise ValueError(f"pattern {ecma!r}: {escape} differs between regex dialects")
            out.append(escape)
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if ecma.startswith("]", i + 1) or ecma.startswith("^]", i + 1):
                raise ValueError(f"pattern {ecma!r}: a class starting with ] is ambiguous")
        elif char == "$":
            char = r"\Z"
        elif char == ".":
            raise ValueError(f"pattern {ecma!r}: . differs between regex dialects, use a class")
        elif char == "(" and ecma.startswith("?", i + 1) and ecma[i + 2 : i + 3] not in ":=!":
            raise ValueError(f"pattern {ecma!r}: only (?: (?= (?! groups are portable")
        out.append(char)
        i += 1
    python = "".join(out)
    check_python_re(python, ecma)
    return python


def check_python_re(python: str, ecma: str) -> None:
    """Raise :class:`ValueError` unless Python's ``re`` compiles ``python`` (the pattern
    ``ecma``, as written or rewritten)."""
    try:
        re.compile(python)
    except re.error as error:
        raise ValueError(f"pattern {ecma!r}: Python's re cannot compile it ({error})") from None


# attrs validators, used by the generated models next to attrs' own (instance_of, ge, le, ...).

type Validator[T] = Callable[[Any, attrs.Attribute[T], T], Any]


def number(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    """A JSON number: an int or a finite float, never a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"'{attribute.name}' must be a number: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be finite: {value!r}")


def integer(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """A JSON integer: an int, never a bool."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'{attribute.name}' must be an integer: {value!r}")


def date_time(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """A string in ``format: date-time`` (see :func:`is_date_time`)."""
    if not is_date_time(value):
        raise ValueError(f"'{attribute.name}' must be an RFC 3339 date-time: {value!r}")


def unique_items(instance: object, attribute: attrs.Attribute[list[Any]], value: list[Any]) -> None:
    """A list of JSON scalars, pairwise distinct (``uniqueItems: true``; ``true`` is not ``1``)."""
    keys = [(isinstance(item, bool), item) for item in value]
    if len(set(keys)) != len(keys):
        raise ValueError(f"'{attribute.name}' must not repeat an item: {value!r}")


def pattern(ecma: str) -> Validator[str]:
    """A validator: the string contains a match of the ECMA-262 ``pattern`` (not anchored).

    Raises ``ValueError`` with one message naming the field, the schema's pattern and the
    value, as :func:`date_time` does (attrs' ``matches_re`` puts the attribute's whole repr
    into the error's text).
    """
    compiled = re.compile(python_pattern(ecma))

    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if not compiled.search(value):
            raise ValueError(f"'{attribute.name}' must match the pattern {ecma!r}: {value!r}")

    return check


def type_of(field: str) -> Validator[str]:
    """A validator: the value is the wire ``TYPE`` of the event held in ``field``.

    This is the envelope's dispatch on ``type`` (``event.json``'s ``if``/``then``). A ``field``
    that holds no event is left to that field's own validator.
    """

    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        expected = getattr(getattr(instance, field), "TYPE", value)
        if value != expected:
            raise ValueError(
                f"'{attribute.name}' must be {expected!r}, the type of {field}: {value!r}"
            )

    return check
