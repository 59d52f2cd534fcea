"""JSON Schemas to the fields of attrs models: the subset of JSON Schema the generator accepts.

A data schema is a closed object whose properties each become one field, guarded by attrs
validators that mirror the schema. A field (or an array's ``items``) that is itself a closed
object becomes a class of its own, a :class:`Nested`, at any depth, named after the path to
it: ``OrderPlacedEvent``'s field ``order`` is ``OrderPlacedEventOrder``, the items of its
field ``items`` are ``OrderPlacedEventItemsItem``. Anything outside the subset raises
:class:`CodegenError` naming the rule it breaks (the README's "Your own events" lists the
rules), so a schema never says more than its model checks.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from . import constraints
from .bundle import camel
from .pointer import pointer_to
from .source_text import INDENT, WIDTH, Call, Expr, Seq, lines, literal

#: Keywords that only annotate a schema.
ANNOTATIONS = frozenset({"title", "description", "$comment"})


class CodegenError(Exception):
    """A schema uses something the generator cannot turn into a model.

    ``rule`` names the rule of the accepted subset it breaks (the README lists them), or is
    empty for a fault of the built-in schemas' own layout.
    """

    def __init__(self, message: str, *, rule: str = "") -> None:
        super().__init__(f"{message} (rule: {rule})" if rule else message)
        self.rule = rule


@attrs.frozen
class Field:
    name: str
    wire: str
    annotation: str
    checks: tuple[Expr, ...]
    required: bool
    description: str

    def source(self) -> list[str]:
        validator = all_of(self.checks)
        kwargs: list[tuple[str, Expr]] = [("metadata", f'{{"wire": {literal(self.wire)}}}')]
        annotation = self.annotation
        if not self.required:
            annotation += " | None"
            kwargs.insert(0, ("default", "None"))
            validator = Call("v.optional", (validator,))
        kwargs.append(("validator", validator))
        lead = f"{INDENT}{self.name}: {annotation} = "
        call = Call("attrs.field", kwargs=tuple(kwargs))
        if len(lead) + len(call.func) + 1 <= WIDTH:
            return lines(call, lead, "", INDENT)
        inner = INDENT * 2  # no room for the call's head: ruff format puts it in parentheses
        return [lead + "(", *lines(call, inner, "", inner), INDENT + ")"]

    def doc(self) -> tuple[str, str]:
        head = f"{self.name} (``{self.wire}``{', required' if self.required else ''})"
        return head, self.description


_TYPES: dict[str, tuple[str, str, frozenset[str]]] = {
    "string": (
        "str",
        "v.instance_of(str)",
        frozenset({"enum", "minLength", "maxLength", "pattern", "format"}),
    ),
    "integer": (
        "int",
        "constraints.integer",
        frozenset({"enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
    ),
    "number": (
        "float",
        "constraints.number",
        frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
    ),
    "boolean": ("bool", "v.instance_of(bool)", frozenset()),
    "array": (
        "list",
        "v.instance_of(list)",
        frozenset({"items", "minItems", "maxItems", "uniqueItems"}),
    ),
}
#: The kinds of value a field may hold: the scalars, ``array`` and ``object`` (a nested class).
KINDS = (*_TYPES, "object")
_ENUM_TYPES = {"string": str, "integer": int}
_BOUNDS = {
    "minimum": "v.ge",
    "exclusiveMinimum": "v.gt",
    "maximum": "v.le",
    "exclusiveMaximum": "v.lt",
}
_LENGTHS = {"minLength": "v.min_len", "maxLength": "v.max_len"}
_COUNTS = {"minItems": "v.min_len", "maxItems": "v.max_len"}
_FORMATS = {"date-time": "constraints.date_time"}


@attrs.frozen
class Nested:
    """The class of a nested object: its ``name``, its ``fields``, the docstring's
    ``description`` and ``where`` its schema is (``events/<type>.json/properties/order``)."""

    name: str
    fields: tuple[Field, ...]
    description: str
    where: str


@attrs.frozen
class Nesting:
    """Where the class of an object found below a model goes: ``name`` is the class name it
    takes, ``label`` names the value in a docstring (``OrderPlacedEvent.items``), ``found``
    collects every class of the model, innermost first, and ``taken`` maps each class name
    given so far to where its schema is."""

    name: str
    label: str
    found: list[Nested] = attrs.field(factory=list)
    taken: dict[str, str] = attrs.field(factory=dict)

    def field(self, wire: str, python: str) -> Nesting:
        """The nesting of the value of this class's field ``wire`` (attribute ``python``)."""
        return Nesting(self.name + camel(wire), f"{self.name}.{python}", self.found, self.taken)

    def item(self) -> Nesting:
        """The nesting of the items of an array held here."""
        return Nesting(self.name + "Item", f"an item of {self.label}", self.found, self.taken)

    def add(self, nested: Nested) -> None:
        other = self.taken.get(nested.name)
        if other is not None:
            raise CodegenError(
                f"{nested.where}: its class name {nested.name} is also that of {other}",
                rule="field-name",
            )
        self.taken[nested.name] = nested.where
        self.found.append(nested)


def value_checks(schema: Any, where: str, nesting: Nesting) -> tuple[str, list[Expr]]:
    """The annotation of a JSON value and the attrs validators that mirror its schema; an
    object's class (and those of the objects it holds) is added to ``nesting``."""
    if not isinstance(schema, dict):
        raise CodegenError(
            f"{where}: expected a schema object, got {json.dumps(schema)}", rule="field-types"
        )
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise CodegenError(f"{where}: {_type_refusal(schema)}", rule="field-types")
    if kind == "object":
        return _object(schema, where, nesting)
    annotation, type_check, allowed = _TYPES[kind]
    unknown = sorted(set(schema) - allowed - ANNOTATIONS - {"type"})
    if unknown:
        raise CodegenError(
            f"{where}: keyword(s) not supported for {kind}: {', '.join(unknown)}",
            rule="field-keywords",
        )
    checks: list[Expr] = [type_check]
    if "enum" in schema:
        values = schema["enum"]
        if (
            not values
            or len(set(values)) != len(values)
            or any(type(x) is not _ENUM_TYPES[kind] for x in values)
        ):
            raise CodegenError(f"{where}: enum must list distinct {kind} values", rule="enum")
        literals = tuple(literal(x) for x in values)
        annotation = f"Literal[{', '.join(literals)}]"
        member = Call("v.in_", (Seq("()", literals),))
        # only a str equals a str member, but True equals the int member 1: ints keep their check
        checks = [member] if kind == "string" else [type_check, member]
    for key, func in _BOUNDS.items():
        if key in schema:
            checks.append(Call(func, (_bound(schema[key], annotation, pointer_to([key], where)),)))
    for key, func in _LENGTHS.items():
        if key in schema:
            checks.append(Call(func, (_count(schema[key], pointer_to([key], where)),)))
    if "pattern" in schema:
        try:
            constraints.python_pattern(schema["pattern"])
        except ValueError as error:
            raise CodegenError(f"{where}: {error}", rule="pattern") from None
        checks.append(Call("constraints.pattern", (literal(schema["pattern"]),)))
    if "format" in schema:
        if schema["format"] not in _FORMATS:
            raise CodegenError(
                f"{where}: format {json.dumps(schema['format'])} is not supported"
                f" (only {', '.join(_FORMATS)}; a pattern can check the value's shape)",
                rule="format",
            )
        checks.append(_FORMATS[schema["format"]])
    if kind == "array":
        return _array(schema, checks, where, nesting)
    return annotation, checks


def _object(schema: dict[str, Any], where: str, nesting: Nesting) -> tuple[str, list[Expr]]:
    """A nested object: a class of its own (the rules of the data object's own), its
    docstring the object's description (an array's item may go without one)."""
    members = tuple(fields(schema, where, nesting=nesting))
    text = schema.get("description")
    if isinstance(text, str) and text.strip():
        summary = " ".join(text.split())
    else:
        summary = f"{nesting.label[:1].upper()}{nesting.label[1:]}."
    nesting.add(Nested(nesting.name, members, summary, where))
    return nesting.name, [f"v.instance_of({nesting.name})"]


#: Keywords that give a value a schema without one ``type``; the generators carry none.
_UNTYPED = ("oneOf", "anyOf", "allOf", "not", "if", "const")


def _type_refusal(schema: dict[str, Any]) -> str:
    """Why a field's ``type`` is outside the subset, naming what to write instead."""
    kinds = f"one of {', '.join(KINDS)}"
    if "type" not in schema:
        standing_in = [key for key in _UNTYPED if key in schema]
        instead = f"; keyword(s) not supported: {', '.join(standing_in)}" if standing_in else ""
        return f'a field needs one "type" ({kinds}){instead}'
    kind = schema["type"]
    said = f"type {json.dumps(kind)} is not supported ({kinds})"
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return f'{said}: a field that may be missing is left out of "required", not null'
    return said


def _array(
    schema: dict[str, Any], checks: list[Expr], where: str, nesting: Nesting
) -> tuple[str, list[Expr]]:
    if "items" not in schema:
        raise CodegenError(f"{where}: an array needs items", rule="array")
    items = schema["items"]
    item_annotation, item_checks = value_checks(items, pointer_to(["items"], where), nesting.item())
    for key, func in _COUNTS.items():
        if key in schema:
            checks.append(Call(func, (_count(schema[key], pointer_to([key], where)),)))
    unique = schema.get("uniqueItems", False)
    scalar = items.get("type") not in ("array", "object")
    if unique not in (True, False) or (unique and not scalar):
        raise CodegenError(
            f"{where}: uniqueItems is supported for arrays of scalars only", rule="array"
        )
    if unique:
        checks.append("constraints.unique_items")
    deep = Call(
        "v.deep_iterable",
        kwargs=(("member_validator", all_of(item_checks)), ("iterable_validator", all_of(checks))),
    )
    return f"list[{item_annotation}]", [deep]


def all_of(checks: Sequence[Expr]) -> Expr:
    return checks[0] if len(checks) == 1 else Call("v.and_", tuple(checks))


def _bound(value: Any, annotation: str, where: str) -> str:
    """A bound as a literal of the field's type (``0.0`` for a number), so mypy sees one type."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodegenError(f"{where}: expected a number, got {json.dumps(value)}", rule="bounds")
    if annotation == "float":
        if float(value) != value:
            raise CodegenError(
                f"{where}: {json.dumps(value)} is not exact as a float", rule="bounds"
            )
        value = float(value)
    elif not isinstance(value, int):
        raise CodegenError(
            f"{where}: an integer's bound must be an integer, got {json.dumps(value)}",
            rule="bounds",
        )
    return literal(value)


def _count(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CodegenError(
            f"{where}: expected a non-negative integer, got {json.dumps(value)}", rule="bounds"
        )
    return literal(value)


#: The lower-case names a generated model's class body reads, beside its fields: the modules
#: its fields' validators come from (``attrs``, ``v``, ``constraints``) and the built-in types
#: its annotations and checks name. A field of one of these names would take its place in the
#: class body for the fields after it (``str: str | None`` reads the field just defined), and
#: the module would not import; upper-case names (``ClassVar``, ``Literal``, the classes) are
#: safe, a field's name being lower case.
CLASS_BODY_NAMES = frozenset({"attrs", "v", "constraints", "str", "int", "float", "bool", "list"})


def _snake(wire: str, where: str) -> str:
    """The Python attribute of the property ``wire``: snake_case (``paidAt`` is ``paid_at``),
    an identifier that is no keyword, starts with no ``_`` and is none of
    :data:`CLASS_BODY_NAMES`; else a :class:`CodegenError` (rule ``field-name``)."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", wire).lower()
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise CodegenError(
            f"{where}: {wire!r} does not make a Python attribute name", rule="field-name"
        )
    if name in CLASS_BODY_NAMES:
        raise CodegenError(
            f"{where}: {wire!r} would be the Python attribute {name}, a name the model's class "
            f"body uses ({', '.join(sorted(CLASS_BODY_NAMES))})",
            rule="field-name",
        )
    return name


_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})


def fields(
    schema: dict[str, Any], where: str, special: Sequence[str] = (), *, nesting: Nesting
) -> Iterator[Field]:
    """The fields of a closed object schema, in schema order; ``special`` ones are skipped.
    ``nesting`` is the class's own: the classes of the objects its fields hold go there."""
    unknown = sorted(set(schema) - _OBJECT_KEYWORDS - ANNOTATIONS)
    if unknown:
        raise CodegenError(
            f"{where}: keyword(s) not supported for an object: {', '.join(unknown)}",
            rule="closed-object",
        )
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        raise CodegenError(
            f"{where}: only closed objects (additionalProperties: false) are models",
            rule="closed-object",
        )
    properties: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    if not set(required) <= set(properties):
        raise CodegenError(f"{where}: required names unknown properties", rule="closed-object")
    names: set[str] = set()
    for wire, sub in properties.items():
        if wire in special:
            continue
        here = pointer_to(["properties", wire], where)
        name = _snake(wire, here)
        if name in names:
            raise CodegenError(
                f"{here}: {name!r} is the Python name of two properties", rule="field-name"
            )
        names.add(name)
        annotation, checks = value_checks(sub, here, nesting.field(wire, name))
        yield Field(name, wire, annotation, tuple(checks), wire in required, description(sub, here))


def description(schema: dict[str, Any], where: str) -> str:
    description = schema.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CodegenError(
            f"{where}: a description is required (it becomes the docstring)", rule="description"
        )
    return " ".join(description.split())


def class_name(event_type: str) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", event_type)) + "Event"
    if not name.isidentifier():
        raise CodegenError(
            f"event type {event_type!r} does not make a class name", rule="type-name"
        )
    return name
