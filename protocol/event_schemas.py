"""A team's own event types: ``--event-schemas`` directories read into a :class:`Catalogue`.

Each ``*.json`` of a directory other than ``defs.json`` is the ``data`` schema of one event
type named after the file (``invoice_paid.json`` is ``invoice_paid``), in the dialect of
``schemas/events/``; ``defs.json`` holds shared definitions under ``$defs``. The hub assigns
each schema its ``$id`` (``events/<type>.json``; the definitions of every directory together
are ``events/defs.json``), so ``"$ref": "defs.json#/$defs/money"`` names a team's definition
and ``"$ref": "../defs.json#/$defs/timestamp"`` a built-in one; no other ``$ref`` is allowed.

:func:`load` refuses anything the tools cannot carry through (validation, models, TypeScript,
AsyncAPI) with :class:`CatalogueError`, naming the file, the JSON pointer and the rule broken;
the README's "Your own events" lists the rules. Its lenient mode, for the tools that compare
catalogues rather than serve them (``sluice schemas diff``, ``sluice check``), keeps the rules
of the layout (``directory`` to ``refs``) and that every regex compiles in the validators,
and skips those of the generators' subset. Reading
files is the only I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from . import bundle, codegen, constraints, registry, validation
from .catalogue import CUSTOM_DEFS, DIALECT, TYPE_NAME, Catalogue, assemble, builtin, event_file
from .errors import ProtocolError
from .model_fields import CodegenError
from .pointer import pointer_to, tokens

#: The rules of the accepted subset, each refusal names one (the README's table lists them).
#: A lenient :func:`load` keeps the first six (the layout) and, of ``pattern``, that every
#: regex compiles in the validators; it skips the rest.
RULES = (
    "directory",
    "json",
    "schema",
    "type-name",
    "no-redefinition",
    "refs",
    "closed-object",
    "description",
    "field-name",
    "field-types",
    "field-keywords",
    "enum",
    "bounds",
    "pattern",
    "format",
    "array",
)
#: Why a directory with no ``<type>.json`` is refused (a wrong path, an export's folder).
NO_EVENT_SCHEMAS = (
    "holds no event schemas: a catalogue directory holds one <type>.json per event type "
    "(the data schema of that type) and may hold a defs.json"
)
_DEFS_KEYWORDS = frozenset({"$schema", "title", "description", "$comment", "$defs"})
_REF_TARGETS = {registry.uri("defs.json"), registry.uri(CUSTOM_DEFS)}
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)


class CatalogueError(ProtocolError, ValueError):
    """A schema of a team's catalogue that the hub refuses: ``file`` (as found), ``pointer``
    (RFC 6901, into the file; ``""`` for the whole document), what is wrong and ``rule``,
    the name of the rule broken (as the README lists them). One line when printed:
    ``file#pointer: message (rule: name)``, or ``file: not JSON (line L column C: why) (rule:
    json)`` for a file that is not JSON (``line_column``).
    """

    def __init__(
        self,
        file: str,
        pointer: str,
        message: str,
        rule: str,
        *,
        line_column: tuple[int, int] | None = None,
    ) -> None:
        if rule not in RULES:
            raise ValueError(f"no rule named {rule!r}")
        self.file, self.pointer, self.message, self.rule = file, pointer, message, rule
        self.line_column = line_column
        place = file if line_column is not None else f"{file}#{pointer}"
        super().__init__(f"{place}: {message} (rule: {rule})")


def _read(path: Path) -> dict[str, Any]:
    """One file's JSON object; :class:`CatalogueError` for bad JSON (with line and column)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        message = f"not JSON (line {error.lineno} column {error.colno}: {error.msg})"
        position = (error.lineno, error.colno)
        raise CatalogueError(str(path), "", message, "json", line_column=position) from None
    except UnicodeDecodeError as error:
        message = f"not UTF-8 (byte {error.start})"
        raise CatalogueError(str(path), "", message, "json") from None
    except OSError as error:
        raise CatalogueError(str(path), "", f"cannot read: {error.strerror}", "json") from None
    if not isinstance(body, dict):
        raise CatalogueError(str(path), "", "not a JSON object", "schema")
    return body


def _check_schema(path: Path, body: dict[str, Any]) -> None:
    """A valid Draft 2020-12 schema, read in that dialect, with no ``$id`` of its own."""
    if body.get("$schema", DIALECT) != DIALECT:
        message = f"$schema must be {DIALECT} (or left out)"
        raise CatalogueError(str(path), "/$schema", message, "schema")
    if "$id" in body:
        raise CatalogueError(str(path), "/$id", "the hub assigns $id: leave it out", "refs")
    error = best_match(_META.iter_errors(body))
    if error is not None:
        message = f"not a valid 2020-12 schema: {error.message}"
        raise CatalogueError(str(path), pointer_to(error.absolute_path), message, "schema")


def _refs(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` below ``node``: (pointer of the ``$ref``, its value)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield pointer_to((*path, key)), value
            else:
                yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _refs(item, (*path, index))


def _target(name: str, ref: str) -> tuple[str, str | None]:
    """The document (its URI) ``ref`` (written in the schema ``name``) points into, and the
    key of the ``$defs`` entry it names (None when it names none)."""
    document, fragment = urldefrag(urljoin(registry.uri(name), ref))
    match = re.fullmatch(r"/\$defs/([^/]+)", fragment)
    return document, None if match is None else match[1]


def _check_refs(
    path: Path, name: str, body: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> None:
    """Each ``$ref`` names a definition of the built-in or the team's ``defs.json``."""
    for where, ref in _refs(body):
        document, key = _target(name, ref)
        if document not in _REF_TARGETS or key is None:
            message = (
                f"$ref {ref!r} leaves the catalogue: refer to defs.json#/$defs/<name> (yours) "
                "or ../defs.json#/$defs/<name> (Sluice's)"
            )
            raise CatalogueError(str(path), where, message, "refs")
        if key not in definitions[document]:
            message = f"$ref {ref!r} leaves the catalogue: no definition {key!r} there"
            raise CatalogueError(str(path), where, message, "refs")


#: Keywords whose values are data, not schemas: a ``pattern`` key in them is no regex.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


def _patterns(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, str, bool]]:
    """Every regular expression below the schema ``node``: (its pointer, the regex, whether it
    is a ``pattern``, as a model checks it), from ``pattern`` (also under ``propertyNames``)
    and the keys of ``patternProperties``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                continue
            if key == "pattern" and isinstance(value, str):
                yield pointer_to((*path, key)), value, True
            elif key == "patternProperties" and isinstance(value, dict):
                for regex, schema in value.items():
                    yield pointer_to((*path, key, regex)), regex, False
                    yield from _patterns(schema, (*path, key, regex))
            else:
                yield from _patterns(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _patterns(item, (*path, index))


def _check_patterns(path: Path, body: dict[str, Any], lenient: bool) -> None:
    """Each regex compiles in every engine that will run it: both validators (see
    :func:`protocol.validation.check_pattern`) and, unless ``lenient``, the generated models
    (Python's ``re`` after :func:`protocol.constraints.python_pattern`)."""
    for where, regex, modelled in _patterns(body):
        try:
            validation.check_pattern(regex)
            if modelled and not lenient:
                constraints.python_pattern(regex)
        except ValueError as error:
            raise CatalogueError(str(path), where, str(error), "pattern") from None


class _Reader:
    """What the directories hold so far: event schemas by type, definitions by name.
    ``lenient``: only the layout's rules (see :func:`load`)."""

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.builtin = builtin()
        self.events: dict[str, tuple[Path, dict[str, Any]]] = {}
        self.definitions: dict[str, tuple[Path, Any]] = {}
        self.defs_files: list[tuple[Path, dict[str, Any]]] = []

    def directory(self, directory: Path) -> None:
        if not directory.exists():
            raise CatalogueError(str(directory), "", "does not exist", "directory")
        if not directory.is_dir():
            raise CatalogueError(str(directory), "", "not a directory", "directory")
        files = sorted(directory.glob("*.json"))
        for path in files:
            body = _read(path)
            _check_schema(path, body)
            _check_patterns(path, body, self.lenient)
            if path.name == "defs.json":
                self._defs(path, body)
            else:
                self._event(path, body)
        if all(path.name == "defs.json" for path in files):
            raise CatalogueError(str(directory), "", NO_EVENT_SCHEMAS, "directory")

    def _event(self, path: Path, body: dict[str, Any]) -> None:
        event_type = path.stem
        if TYPE_NAME.fullmatch(event_type) is None:
            message = f"{event_type!r} is not an event type name (^[a-z][a-z0-9_]{{0,63}}$)"
            raise CatalogueError(str(path), "", message, "type-name")
        if event_type in self.builtin.event_types:
            message = f"redefines the built-in type {event_type}: give yours another name"
            raise CatalogueError(str(path), "", message, "no-redefinition")
        if event_type in self.events:
            message = f"{event_type!r} is defined twice (also in {self.events[event_type][0]})"
            raise CatalogueError(str(path), "", message, "no-redefinition")
        self.events[event_type] = (path, body)

    def _defs(self, path: Path, body: dict[str, Any]) -> None:
        unknown = sorted(set(body) - _DEFS_KEYWORDS)
        if unknown:
            message = f"defs.json holds $defs (and annotations), not {', '.join(unknown)}"
            raise CatalogueError(str(path), pointer_to([unknown[0]]), message, "refs")
        builtin_defs = self.builtin.schema("defs.json")["$defs"]
        taken = {bundle.definition_component(n) for n in builtin_defs}
        for key, definition in body.get("$defs", {}).items():
            where = pointer_to(("$defs", key))
            if bundle.definition_component(key) in taken and not self.lenient:
                message = f"{key!r} is (or is named like) a built-in definition"
                raise CatalogueError(str(path), where, message, "no-redefinition")
            why = bundle.undeclarable(bundle.definition_component(key))
            if why is not None and not self.lenient:
                raise CatalogueError(str(path), where, f"{key!r} {why}", "field-name")
            if key in self.definitions:
                message = f"{key!r} is defined twice (also in {self.definitions[key][0]})"
                raise CatalogueError(str(path), where, message, "no-redefinition")
            self.definitions[key] = (path, definition)
        self.defs_files.append((path, body))

    def catalogue(self) -> Catalogue:
        custom_defs = {"$defs": {key: body for key, (_, body) in self.definitions.items()}}
        targets = {
            registry.uri("defs.json"): self.builtin.schema("defs.json")["$defs"],
            registry.uri(CUSTOM_DEFS): custom_defs["$defs"],
        }
        for path, body in self.defs_files:
            _check_refs(path, CUSTOM_DEFS, body, targets)
        for event_type, (path, body) in self.events.items():
            _check_refs(path, event_file(event_type), body, targets)
        return assemble(
            self.builtin.schemas,
            {t: body for t, (_, body) in self.events.items()},
            {"title": "Shared definitions of the team's own events", **custom_defs},
        )


def load(directories: Sequence[str | Path], *, lenient: bool = False) -> Catalogue:
    """The built-in catalogue plus the event types of ``directories``, in that order.

    Raises :class:`CatalogueError` (one line: file, JSON pointer, what, rule) for a missing
    directory or one that holds no event schema (only ``defs.json``, or no ``*.json``: a
    wrong path, an export's folder), invalid JSON, a schema that is not valid Draft 2020-12,
    a ``$ref`` that leaves the catalogue, a regex one of the engines cannot compile, a keyword
    or shape the generators cannot express, a name clash with a built-in (or control) type,
    another directory or a built-in definition, or a file name that is not a valid type name.

    ``lenient`` keeps the rules of the layout (``directory``, ``json``, ``schema``,
    ``type-name``, ``no-redefinition`` of types and definitions across files, ``refs``) and
    that every regex compiles in both validators (``pattern``), and skips those of the
    generators' subset (``closed-object`` onwards, and the names the TypeScript and AsyncAPI
    components share): the catalogue of such a directory validates and compares, but
    :mod:`protocol.codegen`, the bundle and the TypeScript export may fail
    on it.
    """
    if not directories:
        return builtin()
    reader = _Reader(lenient)
    for directory in directories:
        reader.directory(Path(directory))
    catalogue = reader.catalogue()
    if lenient:
        return catalogue
    classes: dict[str, str] = {}  # the name of every class of the models, to where it is
    for event_type in catalogue.custom_types:
        try:
            places = codegen.class_places(event_type, catalogue)
            for name, where in places:
                if name in classes:
                    message = f"{where}: its class name {name} is also that of {classes[name]}"
                    raise CodegenError(message, rule="field-name")
        except CodegenError as error:
            raise _located(reader, event_type, error) from None
        classes.update(places)
    try:
        components = bundle.components(catalogue, "#/")
    except KeyError as error:  # two names that make one TypeScript and AsyncAPI name
        files = [path for path, _ in [*reader.defs_files, *reader.events.values()]]
        raise CatalogueError(str(files[-1]), "", error.args[0], "no-redefinition") from None
    _check_interface_names(reader, set(components))
    return catalogue


def _check_interface_names(reader: _Reader, components: set[str]) -> None:
    """Each object nested in a team's schema declares a TypeScript interface of a name no
    component nor other nested object has (:func:`protocol.bundle.nested_objects`)."""
    places: list[tuple[Path, str, tuple[str, ...], Any]] = [
        (path, bundle.data_component(t), (), body) for t, (path, body) in reader.events.items()
    ]
    places += [
        (path, bundle.definition_component(key), ("$defs", key), body)
        for key, (path, body) in reader.definitions.items()
    ]
    taken = {name: "the name of another schema's" for name in components}
    taken[bundle.EVENT_MAP] = "that of the declarations' map of event types"
    for path, component, under, body in sorted(places, key=lambda p: (str(p[0]), p[2])):
        for name, inner in bundle.nested_objects(body, component):
            where = pointer_to((*under, *inner))
            if name in taken:
                message = f"its TypeScript interface name {name} is also {taken[name]}"
                raise CatalogueError(str(path), where, message, "field-name")
            taken[name] = f"that of the object at {path.name}#{where}"


def _located(reader: _Reader, event_type: str, error: CodegenError) -> CatalogueError:
    """The generator's complaint about ``event_type`` (``events/<type>.json/properties/x:
    ...``, a pointer into its schema with the ``$ref``\\ s inlined) as a
    :class:`CatalogueError` of the file that holds what it points at: the type's own, or past
    a ``$ref`` the team's ``defs.json`` (``#/$defs/address/properties/geo``)."""
    name = event_file(event_type)
    path, body = reader.events[event_type]
    text = str(error).removesuffix(f" (rule: {error.rule})")
    where, _, message = text.removeprefix(name).partition(": ")
    if not text.startswith(name):
        where, message = "", text
    file, pointer = _written_at(reader, (path, name, body), where)
    return CatalogueError(str(file), pointer, message, error.rule or "schema")


def _written_at(reader: _Reader, schema: tuple[Path, str, Any], where: str) -> tuple[Path, str]:
    """The file and pointer where the schema at ``where`` is written. ``where`` points into
    the event schema ``schema`` (its file, its name in the catalogue, its body) read with its
    ``$ref``\\ s inlined; it is followed through each ``$ref`` to a team's definition that
    holds the rest of the way. ``(file, where)`` when ``where`` is in the file itself, or goes
    past a built-in definition."""
    path, name, node = schema
    file, walked = path, []
    for token in tokens(where):
        if isinstance(node, dict) and token not in node and isinstance(node.get("$ref"), str):
            document, key = _target(name, node["$ref"])
            if document != registry.uri(CUSTOM_DEFS) or key not in reader.definitions:
                return path, where
            (file, node), name, walked = reader.definitions[key], CUSTOM_DEFS, ["$defs", key]
        if not isinstance(node, dict) or token not in node:
            return path, where
        node, walked = node[token], [*walked, token]
    return file, pointer_to(walked)
