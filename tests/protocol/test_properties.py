"""Property tests from the schemas: valid payloads round-trip, every kind of violation is refused.

Payloads come from hypothesis-jsonschema, fed the schemas with every ``$ref`` inlined
(:func:`protocol.codegen.self_contained`) and patterns in Python's spelling. Objects are
composed here from one strategy per property: hypothesis-jsonschema 0.23.1's own object
strategy relies on a Hypothesis internal (``many.more``) that current Hypothesis no longer has.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from protocol import (
    EVENT_CLASSES,
    Envelope,
    InvalidEvent,
    RegenerationProgressEvent,
    envelope_from_wire,
    envelope_to_wire,
    from_wire,
    to_wire,
    validator,
)
from protocol.catalogue import event_types
from protocol.codegen import self_contained
from protocol.constraints import is_date_time, python_pattern
from protocol.converter import converter

EVENT_TYPES = event_types()
DATA = {t: self_contained(f"events/{t}.json") for t in EVENT_TYPES}
_ENVELOPE = self_contained("envelope.json")
#: The envelope's own fields (``type`` and ``data`` are the event's).
OWN = {k: v for k, v in _ENVELOPE["properties"].items() if k not in ("type", "data")}
OWN_REQUIRED = [k for k in _ENVELOPE["required"] if k in OWN]
SETTINGS = settings(max_examples=40, deadline=None)


def _python_patterns(node: Any) -> Any:
    """The schema with each ECMA-262 ``pattern`` in Python's spelling (``$`` is ``\\Z``)."""
    if isinstance(node, dict):
        return {
            k: python_pattern(v) if k == "pattern" and isinstance(v, str) else _python_patterns(v)
            for k, v in node.items()
        }
    return node


@cache
def _values(key: bytes) -> st.SearchStrategy[Any]:
    return from_schema(_python_patterns(orjson.loads(key)))


def values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against one property's schema."""
    return _values(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


def objects(properties: dict[str, Any], required: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Closed objects: every required property, any of the optional ones."""
    return st.fixed_dictionaries(
        {k: values(s) for k, s in properties.items() if k in required},
        optional={k: values(s) for k, s in properties.items() if k not in required},
    )


def event_data(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = DATA[event_type]
    return objects(schema["properties"], schema["required"])


wire_events = st.sampled_from(EVENT_TYPES).flatmap(
    lambda t: event_data(t).map(lambda data: {"type": t, "data": data})
)
wire_envelopes = st.builds(
    lambda event, own: {**event, **own}, wire_events, objects(OWN, OWN_REQUIRED)
)


def _exact(value: Any) -> bytes:
    """JSON bytes, so that ``50`` and ``50.0`` differ."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@SETTINGS
@given(data=st.data())
def test_every_valid_payload_structures_and_unstructures_unchanged(
    event_type: str, data: st.DataObject
) -> None:
    payload = data.draw(event_data(event_type))
    wire = {"type": event_type, "data": payload}
    assert validator("event-input.json").is_valid(wire), validator("event-input.json").errors(wire)
    event = from_wire(wire)
    assert type(event) is EVENT_CLASSES[event_type]
    assert event == converter.structure(payload, EVENT_CLASSES[event_type])
    assert _exact(to_wire(event)) == _exact(wire)
    assert to_wire(event) == wire


@SETTINGS
@given(wire_envelopes)
def test_every_valid_envelope_round_trips(wire: dict[str, Any]) -> None:
    envelope = envelope_from_wire(wire)
    assert envelope.data == from_wire({"type": wire["type"], "data": wire["data"]})
    assert _exact(envelope_to_wire(envelope)) == _exact(wire)


# -- violations -----------------------------------------------------------------------------

_TRICKY = ["", " ", "!", "/", "\n", "\r", "\x00", "é", "\u2028"]
_FINITE = {"allow_nan": False, "allow_infinity": False}


def _wrong_type(kind: str) -> st.SearchStrategy[Any]:
    others = {
        "string": st.integers() | st.booleans() | st.lists(st.text(), max_size=2),
        "integer": st.floats(**_FINITE).filter(lambda x: not x.is_integer())
        | st.text()
        | st.booleans(),
        "number": st.text() | st.booleans() | st.lists(st.integers(), max_size=2),
        "boolean": st.integers() | st.text(),
        "array": st.text() | st.integers() | st.dictionaries(st.text(), st.integers(), max_size=2),
    }
    return others[kind]


def _violating(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that break ``schema`` by its constraint ``kind`` (a keyword of the schema)."""
    integer = schema["type"] == "integer"
    if kind == "type":
        return _wrong_type(schema["type"])
    if kind == "enum":
        return st.text().filter(lambda s: s not in schema["enum"])
    if kind in ("minimum", "exclusiveMinimum"):
        bound = schema[kind]
        if integer:
            return st.integers(max_value=bound - (kind == "minimum"))
        return st.floats(max_value=bound, exclude_max=kind == "minimum", **_FINITE)
    if kind in ("maximum", "exclusiveMaximum"):
        bound = schema[kind]
        if integer:
            return st.integers(min_value=bound + (kind == "maximum"))
        return st.floats(min_value=bound, exclude_min=kind == "maximum", **_FINITE)
    if kind == "minLength":
        return st.text(max_size=schema[kind] - 1)
    if kind == "maxLength":
        return st.text(min_size=schema[kind] + 1, max_size=schema[kind] + 8)
    if kind == "pattern":
        regex = python_pattern(schema["pattern"])
        parts = st.tuples(st.text(max_size=4), st.sampled_from(_TRICKY), st.text(max_size=4))
        return parts.map("".join).filter(lambda s: not re.search(regex, s))
    if kind == "format":
        assert schema["format"] == "date-time"
        return st.text(max_size=30).filter(lambda s: not is_date_time(s))
    if kind == "minItems":
        return st.lists(values(schema["items"]), max_size=schema[kind] - 1)
    if kind == "maxItems":
        return st.lists(values(schema["items"]), min_size=schema[kind] + 1)
    if kind == "uniqueItems":
        return values(schema["items"]).map(lambda item: [item, item])
    if kind == "items":
        return _wrong_type(schema["items"]["type"]).map(lambda bad: [bad])
    raise AssertionError(f"no violation for {kind}")


_PROPERTY_KINDS = {
    "type",
    "enum",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
}
_ANNOTATIONS = {"title", "description", "$comment"}

#: Every (owner, wire key, schema) by the kind of constraint it has; owner None: the envelope.
TARGETS: dict[str, list[tuple[str | None, str, dict[str, Any]]]] = {}
for _owner, _properties in [*((t, DATA[t]["properties"]) for t in EVENT_TYPES), (None, OWN)]:
    for _key, _schema in _properties.items():
        for _kind in set(_schema) & _PROPERTY_KINDS:
            TARGETS.setdefault(_kind, []).append((_owner, _key, _schema))


def test_every_constraint_in_the_schemas_has_a_violation_here() -> None:
    found = {
        k
        for p in [*(DATA[t]["properties"] for t in EVENT_TYPES), OWN]
        for s in p.values()
        for k in s
    }
    assert found - _ANNOTATIONS <= _PROPERTY_KINDS  # else: teach _violating the new keyword
    assert set(TARGETS) == found - _ANNOTATIONS


def _broken(data: st.DataObject, kind: str) -> tuple[dict[str, Any], str, str | None]:
    """A wire event or envelope with one value breaking a ``kind`` constraint, where, whose."""
    owner, key, schema = data.draw(st.sampled_from(TARGETS[kind]))
    bad = data.draw(_violating(kind, schema), label=f"{key} breaking {kind}")
    if owner is None:
        return {**data.draw(wire_envelopes), key: bad}, f"/{key}", owner
    wire = {"type": owner, "data": {**data.draw(event_data(owner)), key: bad}}
    return wire, f"/data/{key}", owner


@pytest.mark.parametrize("kind", sorted(TARGETS))
@SETTINGS
@given(data=st.data())
def test_each_kind_of_violation_is_refused_with_the_failing_path(
    kind: str, data: st.DataObject
) -> None:
    wire, pointer, owner = _broken(data, kind)
    with pytest.raises(InvalidEvent) as caught:
        (envelope_from_wire if owner is None else from_wire)(wire)
    pointers = [e.pointer for e in caught.value.errors]
    assert any(p == pointer or p.startswith(pointer + "/") for p in pointers), pointers


def _owners() -> st.SearchStrategy[tuple[str | None, dict[str, Any], list[str]]]:
    events = [(t, DATA[t]["properties"], DATA[t]["required"]) for t in EVENT_TYPES]
    return st.sampled_from([*events, (None, OWN, OWN_REQUIRED)])


def _valid(data: st.DataObject, owner: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid wire event (or envelope) and the object that holds the owner's fields."""
    if owner is None:
        wire = data.draw(wire_envelopes)
        return wire, wire
    wire = {"type": owner, "data": data.draw(event_data(owner))}
    return wire, wire["data"]


@SETTINGS
@given(data=st.data())
def test_a_missing_required_field_is_refused_by_name(data: st.DataObject) -> None:
    owner, _, required = data.draw(_owners().filter(lambda o: o[2]))
    wire, fields = _valid(data, owner)
    missing = data.draw(st.sampled_from(required))
    del fields[missing]
    with pytest.raises(InvalidEvent) as caught:
        (envelope_from_wire if owner is None else from_wire)(wire)
    expected = SchemaErrorLike("" if owner is None else "/data", f"{missing!r} is a required")
    assert any(expected.matches(e) for e in caught.value.errors), caught.value.errors


@SETTINGS
@given(data=st.data())
def test_an_unknown_field_is_refused_by_name(data: st.DataObject) -> None:
    owner, properties, _ = data.draw(_owners())
    wire, fields = _valid(data, owner)
    taken = {*properties, *fields}
    extra = data.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in taken))
    fields[extra] = data.draw(st.integers() | st.text())
    with pytest.raises(InvalidEvent) as caught:
        (envelope_from_wire if owner is None else from_wire)(wire)
    expected = SchemaErrorLike("" if owner is None else "/data", f"{extra!r} was unexpected")
    assert any(expected.matches(e) for e in caught.value.errors), caught.value.errors


@attrs.frozen
class SchemaErrorLike:
    pointer: str
    says: str

    def matches(self, error: Any) -> bool:
        return bool(error.pointer == self.pointer and self.says in error.message)


# -- the models refuse the same values ------------------------------------------------------


def _attribute(cls: type[Any], wire_key: str) -> str:
    (name,) = [f.name for f in attrs.fields(cls) if f.metadata["wire"] == wire_key]
    return name


@pytest.mark.parametrize("kind", sorted(TARGETS))
@SETTINGS
@given(data=st.data())
def test_models_built_in_python_refuse_each_kind_of_violation(
    kind: str, data: st.DataObject
) -> None:
    owner, key, schema = data.draw(st.sampled_from(TARGETS[kind]))
    bad = data.draw(_violating(kind, schema), label=f"{key} breaking {kind}")
    wire, _ = _valid(data, owner)
    model: Any = envelope_from_wire(wire) if owner is None else from_wire(wire)
    with pytest.raises((TypeError, ValueError)):
        attrs.evolve(model, **{_attribute(type(model), key): bad})


@SETTINGS
@given(data=st.data())
def test_models_need_their_required_fields_and_know_no_others(data: st.DataObject) -> None:
    owner, _, required = data.draw(_owners())
    wire, _ = _valid(data, owner)
    model: Any = envelope_from_wire(wire) if owner is None else from_wire(wire)
    cls = type(model)
    fields = attrs.asdict(model, recurse=False)
    if required:
        missing = _attribute(cls, data.draw(st.sampled_from(required)))
        with pytest.raises(TypeError, match=missing):
            cls(**{k: v for k, v in fields.items() if k != missing})
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(**fields, not_in_the_schema=1)


def test_a_progress_of_150_is_refused_in_python_too() -> None:
    with pytest.raises(ValueError, match="'progress' must be <= 100"):
        RegenerationProgressEvent(message_id="m", progress=150)
    with pytest.raises(TypeError, match="'progress' must be a number"):
        RegenerationProgressEvent(message_id="m", progress="50")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'id'"):
        Envelope(
            type="regeneration_progress",
            data=RegenerationProgressEvent(message_id="m", progress=1),
            id="1\n",
            timestamp="2026-01-31T12:00:00Z",
        )
