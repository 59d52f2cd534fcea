"""Writes ``protocol/models.py`` and ``protocol/builders.py`` from the schemas.

Run ``python -m protocol.codegen`` (``nox -s codegen``). Each event type of the catalogue
(``schemas/events/<type>.json``) becomes a frozen, slotted, keyword-only class
``<CamelType>Event`` whose fields are the data object's properties in snake_case (the camelCase
wire key in the field's ``metadata["wire"]``), guarded by attrs validators that mirror the
schema (:mod:`protocol.model_fields`), each object nested in it a class of its own defined
before it (``<CamelType>Event`` and the path's field names, ``Item`` for an array's items:
``OrderPlacedEventOrder``); ``envelope.json`` becomes ``Envelope``; and each type
gets a builder, a static method of ``EventBuilders`` named after it. The same generator writes
the module of a team's own types for ``sluice schemas export --python`` (:func:`generate_export`).
Output is already as ``ruff format`` writes it, so a test compares the checked-in modules with
:func:`generate` and :func:`generate_builders` exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from . import constraints
from .catalogue import Catalogue, builtin, event_file
from .model_fields import (
    ANNOTATIONS,
    CodegenError,
    Field,
    Nested,
    Nesting,
    class_name,
    description,
    fields,
)
from .source_text import INDENT, WIDTH, Call, Seq, docstring, lines, literal

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by referencing

MODELS = Path(__file__).with_name("models.py")
BUILDERS = Path(__file__).with_name("builders.py")
#: The Python client's package: it ships the same models, and the constraints they check with.
CLIENT = Path(__file__).parents[1] / "clients" / "python" / "src" / "sluice_client"
COMMAND = "python -m protocol.codegen"
#: The file ``sluice schemas export DIR --python`` writes.
EXPORT_MODULE = "sluice_events.py"


# -- $ref resolution ------------------------------------------------------------------------

_DOCUMENT_ONLY = ("$schema", "$id", "$defs")
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_VALUES = frozenset({"enum", "const", "examples", "default", "required"})


def self_contained(name: str, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """Schema ``name`` (e.g. ``"events/message.json"``) with every ``$ref`` inlined.

    A ``$ref``'s sibling keywords are merged over its target (the sibling's description
    wins); a sibling that contradicts a constraint of the target raises
    :class:`CodegenError`, as does a recursive ``$ref``. ``$schema``, ``$id`` and ``$defs``
    are dropped: nothing is left that needs them. ``catalogue`` defaults to the built-in one.
    """
    catalogue = builtin() if catalogue is None else catalogue
    resolver = catalogue.registry.resolver(base_uri=catalogue.uri(name))
    return inline(catalogue.schema(name), resolver)


def inline(schema: dict[str, Any], resolver: Resolver[Any]) -> dict[str, Any]:
    """``schema`` with every ``$ref`` inlined, as :func:`self_contained` does for a catalogue's.

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
        if key in _VALUES or key in ANNOTATIONS:
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
        raise CodegenError(f"recursive $ref {schema['$ref']!r} cannot be inlined", rule="refs")
    target = _inline(resolved.contents, resolved.resolver, (*seen, id(resolved.contents)))
    for key, value in out.items():
        if key in target and key not in ANNOTATIONS and target[key] != value:
            raise CodegenError(
                f"$ref {schema['$ref']!r}: {key} {value!r} contradicts the target", rule="refs"
            )
    return {**target, **out}


# -- the models -----------------------------------------------------------------------------

_EVENT_DECORATOR = "@attrs.frozen(kw_only=True)"


@attrs.frozen
class _Model:
    """A class to write: its ``name``, ``fields`` and ``source``, and the classes of the
    objects nested in it (``nested``, innermost first: each is defined before its use)."""

    name: str
    fields: list[Field]
    source: list[str]
    nested: list[_Model] = attrs.field(factory=list)
    where: str = ""

    def sources(self) -> list[list[str]]:
        """The source of the nested classes then of this one, one list of lines each."""
        return [*(model.source for model in self.nested), self.source]

    def names(self) -> list[str]:
        """The class names it defines, nested ones first."""
        return [*(model.name for model in self.nested), self.name]

    def places(self) -> list[tuple[str, str]]:
        """Each class it defines with where its schema is, nested ones first."""
        return [(model.name, model.where) for model in [*self.nested, self]]

    def annotations(self) -> list[str]:
        return [f.annotation for model in [*self.nested, self] for f in model.fields]


def _model(name: str, members: list[Field], paragraphs: list[str], head: list[str]) -> _Model:
    """A class: decorator, docstring (paragraphs, then the fields), ``head`` lines, fields."""
    text = docstring([*paragraphs, [f.doc() for f in members]], INDENT)
    source = [_EVENT_DECORATOR, f"class {name}:", *text, ""]
    if head:
        source += [*head, ""] if members else head
    for member in members:
        source += member.source()
    return _Model(name, members, source)


def _nested_class(nested: Nested) -> _Model:
    """The class of an object nested in an event's data."""
    document, _, pointer = nested.where.partition(".json")
    model = _model(
        nested.name,
        list(nested.fields),
        [nested.description, f"The object at ``{document}.json#{pointer}``."],
        [],
    )
    return attrs.evolve(model, where=nested.where)


def _event_class(event_type: str, catalogue: Catalogue) -> _Model:
    """The model of one event type's data object, with the classes of its nested objects."""
    name = event_file(event_type)
    schema = self_contained(name, catalogue)
    nesting = Nesting(class_name(event_type), class_name(event_type))
    members = list(fields(schema, name, nesting=nesting))
    model = _model(
        nesting.name,
        members,
        [description(schema, name), f"Wire type ``{event_type}``; the data object of ``{name}``."],
        [f"{INDENT}TYPE: ClassVar[str] = {literal(event_type)}"],
    )
    return attrs.evolve(model, nested=[_nested_class(n) for n in nesting.found], where=name)


def class_places(event_type: str, catalogue: Catalogue) -> list[tuple[str, str]]:
    """Each class the model of ``event_type`` defines, nested ones first, with where its
    schema is (``events/<type>.json``, ``events/<type>.json/properties/order``). Raises
    :class:`CodegenError` unless the generator can model ``event_type``'s schema."""
    return _event_class(event_type, catalogue).places()


def _envelope_class(catalogue: Catalogue) -> _Model:
    """``Envelope``: ``event.json``'s type and data (as ``Event``), then the envelope's fields."""
    name = "envelope.json"
    if catalogue.schema(name).get("allOf") != [{"$ref": "event.json"}]:
        raise CodegenError(f"{name}: expected allOf: [event.json] and the envelope's own fields")
    schema = {k: v for k, v in self_contained(name, catalogue).items() if k != "allOf"}
    properties = schema.get("properties", {})
    if not {"type", "data"} <= set(schema.get("required", [])) & set(properties):
        raise CodegenError(f"{name}: type and data must be required properties")
    tagged = [
        ("type", "str", 'constraints.type_of("data")'),
        ("data", "Event", "v.instance_of(Event)"),
    ]
    event = [
        Field(key, key, annotation, (check,), True, description(properties[key], name))
        for key, annotation, check in tagged
    ]
    nesting = Nesting("Envelope", "Envelope")
    own = list(fields(schema, name, special=("type", "data"), nesting=nesting))
    if nesting.found:
        raise CodegenError(f"{nesting.found[0].where}: the envelope's own fields hold no object")
    return _model(
        "Envelope",
        [*event, *own],
        [description(schema, name), f"Schema ``{name}``; ``type`` is always ``data.TYPE``."],
        [],
    )


def _docstring_module(text: str) -> str:
    return '"""' + text + '\n"""\n'


def _models_module(
    header: str,
    events: list[_Model],
    types: Sequence[str],
    imports: list[str],
    tail: tuple[str, list[str]],
) -> str:
    """A module of event classes, their union ``Event`` and ``EVENT_CLASSES``, then the
    ``tail`` section (the name it defines, its lines)."""
    names = [event.name for event in events]
    annotations = [a for model in events for a in model.annotations()]
    classes = [name for event in events for name in event.names()]
    exported = sorted(["EVENT_CLASSES", "Event", *classes, tail[0]], key=_export_order)
    typing = "ClassVar, Literal" if any("Literal[" in a for a in annotations) else "ClassVar"
    mapping = Seq("{}", tuple(f"{literal(t)}: {n}" for t, n in zip(types, names, strict=True)))
    sections = [
        [
            f"from typing import {typing}",
            "",
            "import attrs",
            "from attrs import validators as v",
            "",
            *imports,
            "",
            *lines(Seq("[]", tuple(literal(n) for n in exported)), "__all__ = ", "", ""),
        ],
        *(source for event in events for source in event.sources()),
        ["#: Any event: the union of the classes above.", *_union("Event", names)],
        [
            "#: The model of each wire type.",
            *lines(mapping, "EVENT_CLASSES: dict[str, type[Event]] = ", "", ""),
        ],
        tail[1],
    ]
    return _checked(header + "\n" + "\n\n\n".join("\n".join(s) for s in sections) + "\n")


def _checked(text: str) -> str:
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > WIDTH:
            raise CodegenError(f"generated line {number} is longer than {WIDTH}: {line!r}")
    return text


def generate(catalogue: Catalogue | None = None) -> str:
    """The source of ``protocol/models.py`` as the schemas say it should be now."""
    catalogue = builtin() if catalogue is None else catalogue
    types = catalogue.event_types
    header = _docstring_module(
        "The typed events of the Sluice protocol: one attrs class per event type, and the "
        "envelope.\n\nGenerated from schemas/events/*.json and schemas/envelope.json by "
        f"``{COMMAND}``\n(``nox -s codegen``). Do not edit: change the schemas and run it again."
    )
    events = [_event_class(t, catalogue) for t in types]
    envelope = _envelope_class(catalogue)
    imports = ["from . import constraints"]
    return _models_module(header, events, types, imports, ("Envelope", envelope.source))


#: The package a module of ``sluice schemas export`` imports its validators and converter from,
#: and where from in it: the hub's ``protocol`` (``--python``), or the Python client
#: ``sluice_client`` (``--python-client``), for a backend that installs only the client.
EXPORT_IMPORTS = {
    "protocol": [
        "from protocol import constraints",
        "from protocol.converter import make_converter",
    ],
    "sluice_client": [
        "from sluice_client import constraints",
        "from sluice_client.events import make_converter",
    ],
}


def generate_export(catalogue: Catalogue, package: str = "protocol") -> str:
    """The module ``sluice schemas export DIR --python`` writes: the models of the catalogue's
    own types (``catalogue.custom_types``), their union, ``EVENT_CLASSES`` and a ``converter``
    with their cattrs hooks; it imports only the installed ``package`` (a key of
    :data:`EXPORT_IMPORTS`: ``protocol``, or ``sluice_client`` for ``--python-client``)."""
    types = catalogue.custom_types
    if not types:
        raise CodegenError("the catalogue has no event types of its own to export")
    header = _docstring_module(
        "The typed events of this team's own catalogue: one attrs class per event type, and one\n"
        "per object nested in one (``<Event><Field>``, ``<Event><Field>Item`` for an array's).\n\n"
        f"Generated by ``sluice schemas export DIR --event-schemas ... {_EXPORT_FLAG[package]}``.\n"
        "Do not edit: change the schemas and run it again. ``converter.unstructure(event)`` gives "
        f"the\nwire data (camelCase), ``converter.structure(data, {class_name(types[0])})`` the "
        "model."
    )
    events = [_event_class(t, catalogue) for t in types]
    tail = [
        "#: The cattrs converter of these models: camelCase keys on the wire, as Sluice's own;",
        "#: keys it does not know (an optional field added to a schema since) are ignored.",
        "converter = make_converter(forbid_extra_keys=False)",
    ]
    return _models_module(header, events, types, EXPORT_IMPORTS[package], ("converter", tail))


_EXPORT_FLAG = {"protocol": "--python", "sluice_client": "--python-client"}


def _union(alias: str, names: Sequence[str]) -> list[str]:
    flat = f"{alias} = {' | '.join(names)}"
    if len(flat) <= WIDTH:
        return [flat]
    return [f"{alias} = (", f"{INDENT}{names[0]}", *(f"{INDENT}| {n}" for n in names[1:]), ")"]


def _export_order(name: str) -> tuple[int, str]:
    """``__all__`` order as ruff's RUF022 wants it: CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


# -- the builders ---------------------------------------------------------------------------

_STAMPED = "timestamp"


def _parameter(member: Field) -> tuple[str, str]:
    """A builder's parameter for a model field: ``(signature item, argument passed on)``."""
    annotation, argument = member.annotation, member.name
    if annotation.startswith("list["):  # any sequence will do; the model holds a list
        annotation = "Sequence[" + annotation.removeprefix("list[")
        argument = f"list({member.name})"
        if not member.required:
            argument = f"None if {member.name} is None else list({member.name})"
    if member.name == _STAMPED:
        return f"{_STAMPED}: str | None = None", f"{_STAMPED} or utc_now()"
    if not member.required:
        return f"{member.name}: {annotation} | None = None", argument
    return f"{member.name}: {annotation}", argument


def _builder(event_type: str, model: _Model, summary: str) -> list[str]:
    """One static method: keyword-only parameters (required ones first, ``timestamp`` last)."""
    ordered = sorted(
        model.fields, key=lambda f: (f.name == _STAMPED, not f.required and f.name != _STAMPED)
    )
    signature = [_parameter(f)[0] for f in ordered]
    arguments = tuple(f"{f.name}={_parameter(f)[1]}" for f in model.fields)
    indent = 2 * INDENT
    head = f"{INDENT}def {event_type}(*, {', '.join(signature)}) -> {model.name}:"
    if len(head) > WIDTH:
        head = "\n".join(
            [f"{INDENT}def {event_type}(", f"{indent}*,"]
            + [f"{indent}{item}," for item in signature]
            + [f"{INDENT}) -> {model.name}:"]
        )
    return [
        f"{INDENT}@staticmethod",
        head,
        *docstring([f"``{event_type}``: {summary}"], indent),
        *lines(Call(model.name, tuple(arguments)), indent + "return ", "", indent),
    ]


def generate_builders(catalogue: Catalogue | None = None) -> str:
    """The source of ``protocol/builders.py``: ``EventBuilders``, one builder per event type."""
    catalogue = builtin() if catalogue is None else catalogue
    types = catalogue.event_types
    models = [_event_class(t, catalogue) for t in types]
    summaries = [description(self_contained(event_file(t), catalogue), t) for t in types]
    header = _docstring_module(
        "Builders of the typed events: one static method per event type, named after it.\n\n"
        f"Generated from schemas/events/*.json by ``{COMMAND}`` (``nox -s codegen``).\nDo not "
        "edit: change the schemas and run it again."
    )
    imported = Seq("()", tuple(sorted(m.name for m in models)))
    methods = [_builder(t, m, s) for t, m, s in zip(types, models, summaries, strict=True)]
    uses = {m.annotation.split("[")[0] for model in models for m in model.fields}
    typing = ["from typing import Literal"] if "Literal" in uses else []
    sequence = ["from collections.abc import Sequence"] if "list" in uses else []
    source = [
        *sequence,
        *typing,
        *([""] if sequence or typing else []),
        "from .envelope import utc_now",
        *lines(imported, "from .models import ", "", ""),
        "",
        '__all__ = ["EventBuilders"]',
        "",
        "",
        "class EventBuilders:",
        *docstring(
            [
                "One builder per event type, named after it. Keyword arguments are the model's "
                "snake_case fields (an array may be any sequence); ``timestamp`` is now unless "
                "given. The model's validators check them (``TypeError`` or ``ValueError`` on a "
                "bad value)."
            ],
            INDENT,
        ),
    ]
    for method in methods:
        source += ["", *method]
    return _checked(header + "\n" + "\n".join(source) + "\n")


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
    """Write ``protocol/models.py``, ``protocol/builders.py`` and the client's copies (when the
    client's sources are there: a checkout, not an installed wheel); on a schema the generator
    cannot model, say why, exit 1."""
    try:
        files = {MODELS: generate(), BUILDERS: generate_builders()}
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
