"""Writes ``protocol/models.py``, the attrs classes of the events, from the JSON Schemas.

Run ``python -m protocol.codegen`` (``nox -s codegen``). Each ``schemas/events/<type>.json``
becomes a frozen, slotted, keyword-only class ``<CamelType>Event`` whose fields are the data
object's properties in snake_case (the camelCase wire key in the field's ``metadata["wire"]``),
guarded by attrs validators that mirror the schema; ``envelope.json`` becomes ``Envelope``.
The generator knows a fixed set of keywords and raises :class:`CodegenError` on any other, so
a schema never says more than its model checks. Its output is already as ``ruff format``
writes it, so a test can compare the checked-in module with :func:`generate` exactly.
"""

from __future__ import annotations

import keyword
import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import constraints, registry

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by referencing

MODELS = Path(__file__).with_name("models.py")
#: The Python client's package: it ships the same models, and the constraints they check with.
CLIENT = Path(__file__).parents[1] / "clients" / "python" / "src" / "sluice_client"
COMMAND = "python -m protocol.codegen"
_WIDTH = 100  # ruff's line-length for this project
_INDENT = "    "


class CodegenError(Exception):
    """A schema uses something the generator cannot turn into a model."""


# -- $ref resolution ------------------------------------------------------------------------

_ANNOTATIONS = frozenset({"title", "description", "$comment"})
_DOCUMENT_ONLY = ("$schema", "$id", "$defs")
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_VALUES = frozenset({"enum", "const", "examples", "default", "required"})


def self_contained(name: str) -> dict[str, Any]:
    """Schema ``name`` (e.g. ``"events/message.json"``) with every ``$ref`` inlined.

    A ``$ref``'s sibling keywords are merged over its target (the sibling's description
    wins); a sibling that contradicts a constraint of the target raises
    :class:`CodegenError`, as does a recursive ``$ref``. ``$schema``, ``$id`` and ``$defs``
    are dropped: nothing is left that needs them.
    """
    resolver = registry.registry().resolver(base_uri=registry.uri(name))
    return inline(registry.schema(name), resolver)


def inline(schema: dict[str, Any], resolver: Resolver[Any]) -> dict[str, Any]:
    """``schema`` with every ``$ref`` inlined, as :func:`self_contained` does for a built-in.

    ``resolver`` is a ``referencing`` resolver based at the schema's URI, over a registry that
    holds every document it may refer to. Raises :class:`CodegenError` as
    :func:`self_contained` does, and ``referencing.exceptions.Unresolvable`` for a ``$ref``
    to a document or fragment the registry does not hold.
    """
    inlined: dict[str, Any] = _inline(schema, resolver, (id(schema),))
    return inlined


def _inline(schema: Any, resolver: Resolver[Any], seen: tuple[int, ...]) -> Any:
    """A copy of ``schema`` with its ``$ref`` merged in; ``seen``: the targets being inlined."""
    if not isinstance(schema, dict):
        return schema  # true / false
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DOCUMENT_ONLY or key == "$ref":
            continue
        if key in _VALUES or key in _ANNOTATIONS:
            out[key] = value
        elif key in _SCHEMA_MAPS:
            out[key] = {k: _inline(sub, resolver, seen) for k, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_inline(sub, resolver, seen) for sub in value]
        else:
            out[key] = _inline(value, resolver, seen) if isinstance(value, dict) else value
    if "$ref" not in schema:
        return out
    resolved = resolver.lookup(schema["$ref"])
    if id(resolved.contents) in seen:
        raise CodegenError(f"recursive $ref {schema['$ref']!r} cannot be inlined")
    target = _inline(resolved.contents, resolved.resolver, (*seen, id(resolved.contents)))
    for key, value in out.items():
        if key in target and key not in _ANNOTATIONS and target[key] != value:
            raise CodegenError(f"$ref {schema['$ref']!r}: {key} {value!r} contradicts the target")
    return {**target, **out}


# -- source text ----------------------------------------------------------------------------


@attrs.frozen
class _Call:
    """A call in the generated source, laid out as ``ruff format`` would."""

    func: str
    args: tuple[_Expr, ...] = ()
    kwargs: tuple[tuple[str, _Expr], ...] = ()


@attrs.frozen
class _Seq:
    """A list, tuple or dict display in the generated source (dict items are ``"k: v"``)."""

    brackets: str  # "[]", "()" or "{}"
    items: tuple[_Expr, ...]


_Expr = str | _Call | _Seq


def _flat(expr: _Expr) -> str:
    if isinstance(expr, str):
        return expr
    if isinstance(expr, _Call):
        parts = [_flat(a) for a in expr.args] + [f"{k}={_flat(x)}" for k, x in expr.kwargs]
        return f"{expr.func}({', '.join(parts)})"
    inner = ", ".join(_flat(item) for item in expr.items)
    if expr.brackets == "()" and len(expr.items) == 1:
        inner += ","
    return expr.brackets[0] + inner + expr.brackets[1]


def _lines(expr: _Expr, lead: str, tail: str, indent: str) -> list[str]:
    """``lead + expr + tail`` on one line if it fits, else exploded with trailing commas."""
    flat = lead + _flat(expr) + tail
    if len(flat) <= _WIDTH or isinstance(expr, str):
        return [flat]
    inner = indent + _INDENT
    if isinstance(expr, _Call):
        head, close = lead + expr.func + "(", ")"
        parts = [("", a) for a in expr.args] + [(k + "=", x) for k, x in expr.kwargs]
    else:
        head, close = lead + expr.brackets[0], expr.brackets[1]
        parts = [("", item) for item in expr.items]
    body = [line for label, part in parts for line in _lines(part, inner + label, ",", inner)]
    return [head, *body, indent + close + tail]


def _literal(value: str | int | float) -> str:
    """A Python literal, quoted the way ruff prefers."""
    if not isinstance(value, str):
        return repr(value)
    quote = "'" if value.count('"') > value.count("'") else '"'
    escaped = value.encode("unicode_escape").decode("ascii").replace(quote, "\\" + quote)
    return quote + escaped + quote


def _docstring(paragraphs: Sequence[str | Sequence[tuple[str, str]]], indent: str) -> list[str]:
    """A docstring: text paragraphs, or ``(head, text)`` items under "Attributes:", wrapped."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            first = indent + ('"""' if not lines else "")
            lines += [*([""] if lines else []), *_wrap(paragraph, first, indent)]
            continue
        lines += ["", indent + "Attributes:"]
        for head, text in paragraph:
            lines += _wrap(f"{head}: {text}", indent + _INDENT, indent + 2 * _INDENT)
    return [*lines, indent + '"""']


def _wrap(text: str, first: str, rest: str) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


# -- schemas to fields ----------------------------------------------------------------------


@attrs.frozen
class _Field:
    name: str
    wire: str
    annotation: str
    checks: tuple[_Expr, ...]
    required: bool
    description: str

    def source(self) -> list[str]:
        validator = _all(self.checks)
        kwargs: list[tuple[str, _Expr]] = [("metadata", f'{{"wire": {_literal(self.wire)}}}')]
        annotation = self.annotation
        if not self.required:
            annotation += " | None"
            kwargs.insert(0, ("default", "None"))
            validator = _Call("v.optional", (validator,))
        kwargs.append(("validator", validator))
        lead = f"{_INDENT}{self.name}: {annotation} = "
        return _lines(_Call("attrs.field", kwargs=tuple(kwargs)), lead, "", _INDENT)

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


def _value(schema: Any, where: str) -> tuple[str, list[_Expr]]:
    """The annotation of a JSON value and the attrs validators that mirror its schema."""
    if not isinstance(schema, dict):
        raise CodegenError(f"{where}: expected a schema object, got {schema!r}")
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise CodegenError(f"{where}: type {kind!r} is not supported (one of {', '.join(_TYPES)})")
    annotation, type_check, allowed = _TYPES[kind]
    unknown = sorted(set(schema) - allowed - _ANNOTATIONS - {"type"})
    if unknown:
        raise CodegenError(f"{where}: keyword(s) not supported for {kind}: {', '.join(unknown)}")
    checks: list[_Expr] = [type_check]
    if "enum" in schema:
        values = schema["enum"]
        if (
            not values
            or len(set(values)) != len(values)
            or any(type(x) is not _ENUM_TYPES[kind] for x in values)
        ):
            raise CodegenError(f"{where}: enum must list distinct {kind} values")
        literals = tuple(_literal(x) for x in values)
        annotation = f"Literal[{', '.join(literals)}]"
        member = _Call("v.in_", (_Seq("()", literals),))
        # only a str equals a str member, but True equals the int member 1: ints keep their check
        checks = [member] if kind == "string" else [type_check, member]
    for key, func in _BOUNDS.items():
        if key in schema:
            checks.append(_Call(func, (_bound(schema[key], annotation, f"{where}/{key}"),)))
    for key, func in _LENGTHS.items():
        if key in schema:
            checks.append(_Call(func, (_count(schema[key], f"{where}/{key}"),)))
    if "pattern" in schema:
        try:
            constraints.python_pattern(schema["pattern"])
        except ValueError as error:
            raise CodegenError(f"{where}: {error}") from None
        checks.append(_Call("constraints.pattern", (_literal(schema["pattern"]),)))
    if "format" in schema:
        if schema["format"] not in _FORMATS:
            raise CodegenError(f"{where}: format {schema['format']!r} is not supported")
        checks.append(_FORMATS[schema["format"]])
    if kind == "array":
        return _array(schema, checks, where)
    return annotation, checks


def _array(schema: dict[str, Any], checks: list[_Expr], where: str) -> tuple[str, list[_Expr]]:
    if "items" not in schema:
        raise CodegenError(f"{where}: an array needs items")
    item_annotation, item_checks = _value(schema["items"], f"{where}/items")
    for key, func in _COUNTS.items():
        if key in schema:
            checks.append(_Call(func, (_count(schema[key], f"{where}/{key}"),)))
    unique = schema.get("uniqueItems", False)
    if unique not in (True, False) or (unique and item_annotation.startswith("list")):
        raise CodegenError(f"{where}: uniqueItems is supported for arrays of scalars only")
    if unique:
        checks.append("constraints.unique_items")
    deep = _Call(
        "v.deep_iterable",
        kwargs=(("member_validator", _all(item_checks)), ("iterable_validator", _all(checks))),
    )
    return f"list[{item_annotation}]", [deep]


def _all(checks: Sequence[_Expr]) -> _Expr:
    return checks[0] if len(checks) == 1 else _Call("v.and_", tuple(checks))


def _bound(value: Any, annotation: str, where: str) -> str:
    """A bound as a literal of the field's type (``0.0`` for a number), so mypy sees one type."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodegenError(f"{where}: expected a number, got {value!r}")
    if annotation == "float":
        if float(value) != value:
            raise CodegenError(f"{where}: {value!r} is not exact as a float")
        value = float(value)
    elif not isinstance(value, int):
        raise CodegenError(f"{where}: an integer's bound must be an integer, got {value!r}")
    return _literal(value)


def _count(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CodegenError(f"{where}: expected a non-negative integer, got {value!r}")
    return _literal(value)


def _snake(wire: str, where: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", wire).lower()
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise CodegenError(f"{where}: {wire!r} does not make a Python attribute name")
    return name


_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})


def _fields(schema: dict[str, Any], where: str, special: Sequence[str] = ()) -> Iterator[_Field]:
    """The fields of a closed object schema, in schema order; ``special`` ones are skipped."""
    unknown = sorted(set(schema) - _OBJECT_KEYWORDS - _ANNOTATIONS)
    if unknown:
        raise CodegenError(f"{where}: keyword(s) not supported for an object: {', '.join(unknown)}")
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        raise CodegenError(f"{where}: only closed objects (additionalProperties: false) are models")
    properties: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    if not set(required) <= set(properties):
        raise CodegenError(f"{where}: required names unknown properties")
    names: set[str] = set()
    for wire, sub in properties.items():
        if wire in special:
            continue
        here = f"{where}/properties/{wire}"
        name = _snake(wire, here)
        if name in names:
            raise CodegenError(f"{here}: {name!r} is the Python name of two properties")
        names.add(name)
        annotation, checks = _value(sub, here)
        yield _Field(
            name, wire, annotation, tuple(checks), wire in required, _description(sub, here)
        )


def _description(schema: dict[str, Any], where: str) -> str:
    description = schema.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CodegenError(f"{where}: a description is required (it becomes the docstring)")
    return " ".join(description.split())


def _class_name(event_type: str) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", event_type)) + "Event"
    if not name.isidentifier():
        raise CodegenError(f"event type {event_type!r} does not make a class name")
    return name


# -- the module -----------------------------------------------------------------------------

_HEADER = f'''\
"""The typed events of the Sluice protocol: one attrs class per event type, and the envelope.

Generated from schemas/events/*.json and schemas/envelope.json by ``{COMMAND}``
(``nox -s codegen``). Do not edit: change the schemas and run it again.
"""
'''

_EVENT_DECORATOR = "@attrs.frozen(kw_only=True)"


@attrs.frozen
class _Model:
    name: str
    fields: list[_Field]
    source: list[str]


def _model(name: str, fields: list[_Field], paragraphs: list[str], head: list[str]) -> _Model:
    """A class: decorator, docstring (paragraphs, then the fields), ``head`` lines, fields."""
    docstring = _docstring([*paragraphs, [f.doc() for f in fields]], _INDENT)
    source = [_EVENT_DECORATOR, f"class {name}:", *docstring, ""]
    if head:
        source += [*head, ""] if fields else head
    for field in fields:
        source += field.source()
    return _Model(name, fields, source)


def _event_class(event_type: str) -> _Model:
    """The model of one event type's data object."""
    name = f"events/{event_type}.json"
    schema = self_contained(name)
    return _model(
        _class_name(event_type),
        list(_fields(schema, name)),
        [_description(schema, name), f"Wire type ``{event_type}``; the data object of ``{name}``."],
        [f"{_INDENT}TYPE: ClassVar[str] = {_literal(event_type)}"],
    )


def _envelope_class() -> _Model:
    """``Envelope``: ``event.json``'s type and data (as ``Event``), then the envelope's fields."""
    name = "envelope.json"
    if registry.schema(name).get("allOf") != [{"$ref": "event.json"}]:
        raise CodegenError(f"{name}: expected allOf: [event.json] and the envelope's own fields")
    schema = {k: v for k, v in self_contained(name).items() if k != "allOf"}
    properties = schema.get("properties", {})
    if not {"type", "data"} <= set(schema.get("required", [])) & set(properties):
        raise CodegenError(f"{name}: type and data must be required properties")
    tagged = [
        ("type", "str", 'constraints.type_of("data")'),
        ("data", "Event", "v.instance_of(Event)"),
    ]
    event = [
        _Field(key, key, annotation, (check,), True, _description(properties[key], name))
        for key, annotation, check in tagged
    ]
    return _model(
        "Envelope",
        [*event, *_fields(schema, name, special=("type", "data"))],
        [_description(schema, name), f"Schema ``{name}``; ``type`` is always ``data.TYPE``."],
        [],
    )


def generate() -> str:
    """The source of ``protocol/models.py`` as the schemas say it should be now."""
    types = registry.event_types()
    events = [_event_class(t) for t in types]
    envelope = _envelope_class()
    names = [event.name for event in events]
    annotations = [f.annotation for model in [*events, envelope] for f in model.fields]
    literal = ", Literal" if any("Literal[" in a for a in annotations) else ""
    exported = sorted(["EVENT_CLASSES", "Envelope", "Event", *names], key=_export_order)
    mapping = _Seq("{}", tuple(f"{_literal(t)}: {n}" for t, n in zip(types, names, strict=True)))
    sections = [
        [
            f"from typing import ClassVar{literal}",
            "",
            "import attrs",
            "from attrs import validators as v",
            "",
            "from . import constraints",
            "",
            *_lines(_Seq("[]", tuple(_literal(n) for n in exported)), "__all__ = ", "", ""),
        ],
        *(event.source for event in events),
        ["#: Any event: the union of the classes above.", *_union("Event", names)],
        [
            "#: The model of each wire type.",
            *_lines(mapping, "EVENT_CLASSES: dict[str, type[Event]] = ", "", ""),
        ],
        envelope.source,
    ]
    text = _HEADER + "\n" + "\n\n\n".join("\n".join(lines) for lines in sections) + "\n"
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > _WIDTH:
            raise CodegenError(f"generated line {number} is longer than {_WIDTH}: {line!r}")
    return text


def _union(alias: str, names: Sequence[str]) -> list[str]:
    flat = f"{alias} = {' | '.join(names)}"
    if len(flat) <= _WIDTH:
        return [flat]
    return [f"{alias} = (", f"{_INDENT}{names[0]}", *(f"{_INDENT}| {n}" for n in names[1:]), ")"]


def _export_order(name: str) -> tuple[int, str]:
    """``__all__`` order as ruff's RUF022 wants it: CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def client_files() -> dict[Path, str]:
    """What the Python client ships of the protocol, by path: the generated models, and a copy
    of :mod:`protocol.constraints` (its models' validators) under a do-not-edit line."""
    constraints_source = Path(constraints.__file__).read_text(encoding="utf-8")
    copied = f"# Copied from protocol/constraints.py by ``{COMMAND}``: do not edit.\n"
    return {
        CLIENT / "models.py": generate(),
        CLIENT / "constraints.py": copied + constraints_source,
    }


def main() -> int:
    """Write ``protocol/models.py`` and the client's copies (when the client's sources are
    there: a checkout, not an installed wheel); on a schema the generator cannot model, say
    why, exit 1."""
    try:
        files = {MODELS: generate()}
        if CLIENT.is_dir():
            files |= client_files()
    except CodegenError as error:
        print(f"{COMMAND}: {error}", file=sys.stderr)
        return 1
    for path, source in files.items():
        path.write_text(source, encoding="utf-8")
        print(f"{COMMAND}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
