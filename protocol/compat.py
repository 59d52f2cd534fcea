"""Compatibility of two event catalogues: every change between them and the side it breaks.

Sans-IO: plain schema dicts in, :class:`Change` objects out. A catalogue here is a mapping of
event type to the JSON Schema (Draft 2020-12) of its ``data`` object, self-contained: every
``$ref`` already resolved against the shared definitions (:func:`protocol.codegen.inline`).

The two sides of a stream read one schema differently:

- **consumers** (code that reads events, e.g. a browser still running the old types) rely on
  what the old schema *promised*: they break when a value the old schema ruled out can arrive;
- **publishers** (code that sends events) rely on what the old schema *accepted*: they break
  when a value the old schema accepted is now refused.

The rules, one :class:`Change` each:

================================================  =======================
change                                            breaks
================================================  =======================
type removed or renamed                           consumers, publishers
type added                                        nothing
required field removed or renamed                 consumers (and publishers
                                                  if the object is closed)
optional field removed                            publishers if the object
                                                  is closed, else nothing
required field added                              publishers
optional field added                              nothing (consumers ignore
                                                  fields they do not know)
required field becomes optional                   consumers
optional field becomes required                   publishers
object closes (``additionalProperties: false``)   publishers
object opens                                      nothing
``type`` widens (``integer`` to ``number``)       consumers
``type`` narrows (``number`` to ``integer``)      publishers
``type`` changes (``string`` to ``integer``)      consumers, publishers
``enum``/``const`` widens, narrows, changes       consumers / publishers / both
range widens, narrows, changes                    consumers / publishers / both
``pattern``/``format``/``uniqueItems`` removed    consumers
``pattern``/``format``/``uniqueItems`` added      publishers
``pattern``/``format`` changed                    consumers, publishers
any other keyword changed (not classified)        consumers, publishers
================================================  =======================

A range is ``minimum``/``exclusiveMinimum`` with ``maximum``/``exclusiveMaximum``,
``minLength`` with ``maxLength``, or ``minItems`` with ``maxItems``, compared by the values it
lets through rather than by its spelling: a length or a count starts at 0 (``minLength: 0`` says
nothing), and an integer's bounds are whole (``exclusiveMinimum: 0`` is ``minimum: 1``).
Annotations (``title``, ``description``, ``$comment``, ``examples``, ``default``) never break
anything and are not listed. A removed type or field whose schema (annotations aside) equals
that of an added one is reported as renamed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import orjson

from .pointer import pointer_to

Schema = Any
"""A JSON Schema: a dict, or ``True``/``False``."""


class Side(enum.Flag):
    """Whom a change breaks: consumers (readers of events), publishers (senders), both, none."""

    NONE = 0
    CONSUMERS = enum.auto()
    PUBLISHERS = enum.auto()
    BOTH = CONSUMERS | PUBLISHERS


@attrs.frozen
class Change:
    """One difference between the old and the new catalogue.

    ``event_type``
        The event type it concerns.
    ``pointer``
        RFC 6901 JSON pointer into the type's ``data`` schema (``/properties/progress``;
        ``""`` for the type as a whole).
    ``description``
        What changed, in words, e.g. ``optional field becomes required``.
    ``breaks``
        The sides it breaks; :attr:`Side.NONE` when compatible for both.
    """

    event_type: str
    pointer: str
    description: str
    breaks: Side

    def __str__(self) -> str:
        where = f"{self.event_type}#{self.pointer}" if self.pointer else self.event_type
        return f"{where}: {self.description} ({verdict(self.breaks)})"


_SIDE_NAMES = ((Side.CONSUMERS, "consumers"), (Side.PUBLISHERS, "publishers"))


def verdict(breaks: Side) -> str:
    """``breaks consumers``, ``breaks publishers``, ``breaks consumers and publishers`` or
    ``compatible``."""
    broken = [name for side, name in _SIDE_NAMES if side in breaks]
    return "breaks " + " and ".join(broken) if broken else "compatible"


def breaking(changes: list[Change]) -> Side:
    """The sides broken by any of ``changes``."""
    broken = Side.NONE
    for change in changes:
        broken |= change.breaks
    return broken


def diff(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> list[Change]:
    """Every change from catalogue ``old`` to ``new`` (event type -> self-contained data schema).

    Ordered by event type, then as found from the top of each schema down.
    """
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    renamed = _renames(removed, added, old, new)
    changes = [
        Change(name, "", f"type renamed to {renamed[name]}", Side.BOTH)
        if name in renamed
        else Change(name, "", "type removed", Side.BOTH)
        for name in removed
    ]
    changes += [
        Change(name, "", "type added", Side.NONE) for name in added if name not in renamed.values()
    ]
    for name in sorted(old.keys() & new.keys()):
        changes += _compare(name, "", old[name], new[name])
    return sorted(changes, key=lambda change: change.event_type)


# -- matching removed and added names ----------------------------------------------------------

_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "$schema", "$id", "$defs"}
)


def _bare(schema: Schema) -> Schema:
    """``schema`` without annotations, at every depth (for comparing meanings)."""
    if isinstance(schema, dict):
        return {k: _bare(v) for k, v in schema.items() if k not in _ANNOTATIONS}
    if isinstance(schema, list):
        return [_bare(item) for item in schema]
    return schema


def _renames(
    removed: list[str], added: list[str], old: Mapping[str, Schema], new: Mapping[str, Schema]
) -> dict[str, str]:
    """Each removed name whose schema equals an added one's, to that added name."""
    renamed: dict[str, str] = {}
    free = list(added)
    for name in removed:
        for candidate in free:
            if _bare(old[name]) == _bare(new[candidate]):
                renamed[name] = candidate
                free.remove(candidate)
                break
    return renamed


# -- comparing two schemas of one value --------------------------------------------------------


def _compare(event_type: str, pointer: str, old: Schema, new: Schema) -> Iterator[Change]:
    """The changes from ``old`` to ``new``, the schemas of the value at ``pointer``."""

    def change(where: str, description: str, breaks: Side) -> Change:
        return Change(event_type, pointer + where, description, breaks)

    old, new = _as_object(old), _as_object(new)
    if old is None or new is None:  # a false schema: nothing, or everything, is accepted
        if _bare(old) != _bare(new):
            yield change("", "schema changed (not classified)", Side.BOTH)
        return
    typed = _type_change(old, new)
    if typed is not None:
        yield change(pointer_to(["type"]), *typed)
        if typed[1] == Side.BOTH:
            return  # a different kind of value: what it holds no longer compares
    yield from _value_changes(old, new, change)
    if {"properties", "required", "additionalProperties"} & (old.keys() | new.keys()):
        yield from _object_changes(event_type, pointer, old, new)
    if old.get("items", True) != new.get("items", True):
        yield from _compare(
            event_type, pointer_to(["items"], pointer), old.get("items"), new.get("items")
        )
    for key in sorted((old.keys() | new.keys()) - _KNOWN - _ANNOTATIONS):
        if _bare(old.get(key)) != _bare(new.get(key)):
            yield change(pointer_to([key]), f"{key} changed (not classified)", Side.BOTH)


def _as_object(schema: Schema) -> dict[str, Any] | None:
    """A schema as a dict (``True`` and absent are ``{}``); None for ``False``."""
    if schema is None or schema is True:
        return {}
    if schema is False:
        return None
    return dict(schema)


def _widening(narrower: bool, wider: bool) -> Side:
    """The sides broken by a change that lets fewer values through (``narrower``) and/or more
    (``wider``)."""
    return (Side.PUBLISHERS if narrower else Side.NONE) | (Side.CONSUMERS if wider else Side.NONE)


def _verb(breaks: Side) -> str:
    return {Side.CONSUMERS: "widens", Side.PUBLISHERS: "narrows"}.get(breaks, "changes")


# -- type --------------------------------------------------------------------------------------


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows by its ``type`` keyword; None when it does not say."""
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _covers(kinds: frozenset[str] | None, kind: str) -> bool:
    if kinds is None:
        return True
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _type_change(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, Side] | None:
    before, after = _types(old), _types(new)
    if before == after:
        return None
    wider = after is None or any(not _covers(before, kind) for kind in after)
    narrower = before is None or any(not _covers(after, kind) for kind in before)
    breaks = _widening(narrower, wider)
    if breaks is Side.NONE:  # e.g. ["number", "integer"] to "number": the same values
        return None
    return f"type {_verb(breaks)} ({_show_types(before)} -> {_show_types(after)})", breaks


def _show_types(kinds: frozenset[str] | None) -> str:
    return "any" if kinds is None else "|".join(sorted(kinds))


# -- enum, ranges, pattern, format -------------------------------------------------------------


def _value_changes(
    old: dict[str, Any], new: dict[str, Any], change: Callable[[str, str, Side], Change]
) -> Iterator[Change]:
    """The changes of what a value may be: ``enum``/``const``, ranges, pattern, format."""
    enum_change = _enum_change(old, new)
    if enum_change is not None:
        yield change(
            pointer_to(["enum" if "enum" in old or "enum" in new else "const"]), *enum_change
        )
    for keys in _RANGES:
        range_change = _range_change(old, new, keys)
        if range_change is not None:
            yield change(pointer_to([range_change[0]]), *range_change[1:])
    for key in ("pattern", "format", "uniqueItems"):
        before, after = old.get(key, False), new.get(key, False)
        if before == after:
            continue
        breaks = _widening(narrower=bool(after), wider=bool(before))
        if not before or not after:
            what = f"{key} {'added' if after else 'removed'} ({_show(after or before)})"
        else:
            what = f"{key} changed ({_show(before)} -> {_show(after)})"
        yield change(pointer_to([key]), what, breaks)


def _show(value: Any) -> str:
    return orjson.dumps(value).decode()


def _allowed(schema: dict[str, Any]) -> dict[bytes, Any] | None:
    """The values ``enum`` and ``const`` allow, keyed by their JSON; None when unrestricted."""
    allowed: dict[bytes, Any] | None = None
    if "enum" in schema:
        allowed = {_key(value): value for value in schema["enum"]}
    if "const" in schema:
        const = {_key(schema["const"]): schema["const"]}
        allowed = const if allowed is None else {k: v for k, v in const.items() if k in allowed}
    return allowed


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _enum_change(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, Side] | None:
    before, after = _allowed(old), _allowed(new)
    if before == after:
        return None
    wider = after is None or (before is not None and not after.keys() <= before.keys())
    narrower = after is not None and (before is None or not before.keys() <= after.keys())
    breaks = _widening(narrower, wider)
    return f"enum {_verb(breaks)} ({_show_values(before)} -> {_show_values(after)})", breaks


def _show_values(allowed: dict[bytes, Any] | None) -> str:
    if allowed is None:
        return "any value"
    return ", ".join(key.decode() for key in allowed)


# a range: (lower bound, its exclusive form, upper bound, its exclusive form)
_RANGES = (
    ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"),
    ("minLength", None, "maxLength", None),
    ("minItems", None, "maxItems", None),
)
#: The keywords the rules classify; a change of any other is "not classified".
_KNOWN = frozenset(
    {"type", "enum", "const", "pattern", "format", "uniqueItems", "items"}
    | {"properties", "required", "additionalProperties"}
    | {key for keys in _RANGES for key in keys if key}
)
_INF = float("inf")
Bound = tuple[float, bool]


def _bounds(schema: dict[str, Any], keys: tuple[str | None, ...]) -> tuple[Bound, Bound]:
    """The tightest bounds of one range: ``(low, excluded)`` and ``(high, included)``.

    Ordered as tuples, a greater ``low`` and a smaller ``high`` let fewer values through
    (at an equal value, an excluded bound is tighter than an included one). Two spellings of
    the same values give the same bounds: a length or a count (JSON Schema 2020-12 validation,
    sections 6.3 and 6.4) is a whole number from 0, and so is every bound of an ``integer``
    value, made inclusive (``exclusiveMinimum: 0`` is ``[1``, ``maximum: 9.5`` is ``9]``).
    """
    lower, exclusive_lower, upper, exclusive_upper = keys
    counted = lower != "minimum"
    lows: list[Bound] = [(0 if counted else -_INF, False)]
    highs: list[Bound] = [(_INF, True)]
    lows += [(schema[k], k == exclusive_lower) for k in (lower, exclusive_lower) if k in schema]
    highs += [(schema[k], k == upper) for k in (upper, exclusive_upper) if k in schema]
    low, high = max(lows), min(highs)
    if counted or schema.get("type") == "integer":
        return _whole_low(low), _whole_high(high)
    return low, high


def _whole_low(low: Bound) -> Bound:
    """The least whole number above (``excluded``) or at ``low``, as an included bound."""
    value, excluded = low
    if not math.isfinite(value):
        return low
    return (math.floor(value) + 1 if excluded else math.ceil(value), False)


def _whole_high(high: Bound) -> Bound:
    """The greatest whole number at (``included``) or below ``high``, as an included bound."""
    value, included = high
    if not math.isfinite(value):
        return high
    return (math.floor(value) if included else math.ceil(value) - 1, True)


def _range_change(
    old: dict[str, Any], new: dict[str, Any], keys: tuple[str | None, ...]
) -> tuple[str, str, Side] | None:
    (low0, high0), (low1, high1) = _bounds(old, keys), _bounds(new, keys)
    if (low0, high0) == (low1, high1):
        return None
    wider = low1 < low0 or high1 > high0
    narrower = low1 > low0 or high1 < high0
    breaks = _widening(narrower, wider)
    where = next(k for k in keys if k is not None and old.get(k) != new.get(k))
    shown = f"{_show_range(low0, high0)} -> {_show_range(low1, high1)}"
    return where, f"range {_verb(breaks)} ({shown})", breaks


def _show_range(low: Bound, high: Bound) -> str:
    left = "(" if low[1] or low[0] == -_INF else "["
    right = "]" if high[1] and high[0] != _INF else ")"
    return f"{left}{_number(low[0])}, {_number(high[0])}{right}"


def _number(value: float) -> str:
    return "inf" if value == _INF else "-inf" if value == -_INF else repr(value)


# -- objects -----------------------------------------------------------------------------------


def _object_changes(
    event_type: str, pointer: str, old: dict[str, Any], new: dict[str, Any]
) -> Iterator[Change]:
    props0: dict[str, Any] = old.get("properties", {})
    props1: dict[str, Any] = new.get("properties", {})
    required0, required1 = set(old.get("required", ())), set(new.get("required", ()))
    closed0 = old.get("additionalProperties", True) is False
    closed1 = new.get("additionalProperties", True) is False

    def field(name: str) -> str:
        return pointer_to(["properties", name], pointer)

    removed = [name for name in props0 if name not in props1]
    added = [name for name in props1 if name not in props0]
    renamed = _renames(removed, added, props0, props1)
    for name in removed:
        kind = "required" if name in required0 else "optional"
        breaks = _widening(narrower=closed1, wider=name in required0)
        if name in renamed:
            gone = f"{kind} field renamed to {renamed[name]}"
            breaks |= Side.PUBLISHERS if renamed[name] in required1 else Side.NONE
            yield Change(event_type, field(name), gone, breaks)
        else:
            yield Change(event_type, field(name), f"{kind} field removed", breaks)
    for name in added:
        if name in renamed.values():
            continue
        if name in required1:
            yield Change(event_type, field(name), "required field added", Side.PUBLISHERS)
        else:
            yield Change(event_type, field(name), "optional field added", Side.NONE)
    kept = [name for name in props0 if name in props1]
    for name in kept + sorted((required0 | required1) - props0.keys() - props1.keys()):
        if name in required0 and name not in required1:
            yield Change(event_type, field(name), "required field becomes optional", Side.CONSUMERS)
        elif name in required1 and name not in required0:
            yield Change(
                event_type, field(name), "optional field becomes required", Side.PUBLISHERS
            )
        if name in props0 and name in props1:
            yield from _compare(event_type, field(name), props0[name], props1[name])
    if closed1 and not closed0:
        yield Change(
            event_type,
            pointer_to(["additionalProperties"], pointer),
            "object closes",
            Side.PUBLISHERS,
        )
    elif closed0 and not closed1:
        yield Change(
            event_type, pointer_to(["additionalProperties"], pointer), "object opens", Side.NONE
        )
    elif not closed0 and old.get("additionalProperties") != new.get("additionalProperties"):
        yield from _compare(
            event_type,
            pointer_to(["additionalProperties"], pointer),
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        )
