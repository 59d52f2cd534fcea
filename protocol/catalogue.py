"""The event catalogue: the built-in event types and a team's own, and every schema around them.

One :class:`Catalogue` is what every tool takes: the validators, the bundle behind the AsyncAPI
document and the TypeScript declarations, the code generator, and the server's ``/schemas/``
routes. :func:`builtin` is Sluice's own; :func:`protocol.event_schemas.load` adds a team's
``--event-schemas`` directories to it.

The per-type dispatch of ``event.json`` (the enum of types, and one ``if``/``then`` branch
per type sending ``data`` to ``events/<type>.json``) is derived here from the event files, so
an event type is one schema file and nothing else names it by hand.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from functools import cache, cached_property
from importlib.resources.abc import Traversable
from typing import Any

import attrs
import jsonschema_rs
from referencing import Registry

import schemas as schema_files

from . import registry
from .validation import Validator

#: What an event type may be called: a valid SSE event name, Python and TypeScript identifier.
TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Where a team's shared definitions (its ``defs.json``) live in the catalogue.
CUSTOM_DEFS = "events/defs.json"
#: The draft every schema is read in.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_file(event_type: str) -> str:
    """The relative name of an event type's data schema: ``events/<type>.json``."""
    return f"events/{event_type}.json"


@attrs.frozen(eq=False, slots=False)
class Catalogue:
    """The schemas of one hub, by relative name, and its event types.

    ``schemas`` holds every schema (``event.json`` with its dispatch derived, a team's event
    schemas under ``events/<type>.json`` and its definitions under ``events/defs.json``), each
    with its ``$id``; treat it as read-only. ``event_types`` lists the built-in types (sorted)
    then ``custom_types`` (sorted).
    """

    schemas: Mapping[str, dict[str, Any]]
    event_types: tuple[str, ...]
    custom_types: tuple[str, ...] = ()
    _validators: dict[str, Validator] = attrs.field(factory=dict, init=False, repr=False)

    def schema(self, name: str) -> dict[str, Any]:
        """One schema by relative name, e.g. ``"envelope.json"``; ``KeyError`` if unknown."""
        return self.schemas[name]

    def names(self) -> list[str]:
        """Every schema's relative name, sorted."""
        return sorted(self.schemas)

    @staticmethod
    def uri(name: str) -> str:
        """The ``$id`` of the schema with this relative name."""
        return registry.uri(name)

    @cached_property
    def registry(self) -> Registry[Any]:
        """An offline ``referencing`` registry of every schema (unknown URIs are refused)."""
        return registry.offline_registry(self.schemas)

    @cached_property
    def _fast_registry(self) -> jsonschema_rs.Registry:
        return jsonschema_rs.Registry([(self.uri(n), s) for n, s in self.schemas.items()])

    def validator(self, name: str) -> Validator:
        """The compiled validator of a schema (``"event-input.json"``), built once and kept."""
        found = self._validators.get(name)
        if found is None:
            found = Validator(self.schema(name), self.uri(name), self.registry, self._fast_registry)
            self._validators[name] = found
        return found

    def check_event_input(self, event: Any) -> None:
        """Validate a publisher's event ``{"type", "data", "ttl"?}``; raise ``InvalidEvent``
        listing every error (an unknown ``type`` names the known ones)."""
        self.validator("event-input.json").check(event)

    def check_envelope(self, envelope: Any) -> None:
        """Validate a wire envelope ``{"type", "data", "id", "timestamp", "ttl"?}``."""
        self.validator("envelope.json").check(envelope)


def _dispatch(event: dict[str, Any], types: Iterable[str]) -> dict[str, Any]:
    """``event.json`` with the enum of ``types`` and one ``if``/``then`` branch per type."""
    body = copy.deepcopy(event)
    types = list(types)
    body["properties"]["type"]["enum"] = types
    body["allOf"] = [
        {
            "if": {"properties": {"type": {"const": t}}, "required": ["type"]},
            "then": {"properties": {"data": {"$ref": event_file(t)}}},
        }
        for t in types
    ]
    return body


def assemble(
    files: Mapping[str, dict[str, Any]],
    custom: Mapping[str, dict[str, Any]] | None = None,
    custom_defs: dict[str, Any] | None = None,
) -> Catalogue:
    """The catalogue of a tree of schema ``files`` (by relative name, as under ``schemas/``)
    plus ``custom`` event schemas by type and a team's ``custom_defs`` document.

    The built-in types are the files under ``events/``. Every schema gets its ``$id`` and
    ``$schema``; the caller has checked names (see :mod:`protocol.event_schemas`).
    """
    builtin_types = sorted(
        name.removeprefix("events/").removesuffix(".json")
        for name in files
        if name.startswith("events/") and name != CUSTOM_DEFS
    )
    bodies = {name: _identified(name, body) for name, body in files.items()}
    custom = custom or {}
    for event_type, body in custom.items():
        bodies[event_file(event_type)] = _identified(event_file(event_type), body)
    if custom_defs is not None:
        bodies[CUSTOM_DEFS] = _identified(CUSTOM_DEFS, custom_defs)
    types = (*builtin_types, *sorted(custom))
    bodies["event.json"] = _dispatch(bodies["event.json"], types)
    return Catalogue(bodies, types, tuple(sorted(custom)))


def _identified(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the ``$schema`` and ``$id`` the hub gives it, first."""
    rest = {k: v for k, v in body.items() if k not in ("$schema", "$id")}
    return {"$schema": DIALECT, "$id": registry.uri(name), **rest}


def from_tree(root: Traversable) -> Catalogue:
    """The catalogue of the schema tree at ``root`` (a copy of ``schemas/``, say)."""
    return assemble(registry.read_tree(root))


@cache
def builtin() -> Catalogue:
    """Sluice's own catalogue: the schemas shipped in the ``schemas`` package."""
    return from_tree(schema_files.root())


def event_types() -> tuple[str, ...]:
    """The built-in event types, sorted."""
    return builtin().event_types


def validator(name: str) -> Validator:
    """The built-in catalogue's validator of a schema (see :meth:`Catalogue.validator`)."""
    return builtin().validator(name)


def check_event_input(event: Any) -> None:
    """Validate a publisher's event against the built-in catalogue (``InvalidEvent``)."""
    builtin().check_event_input(event)


def check_envelope(envelope: Any) -> None:
    """Validate a wire envelope against the built-in catalogue (``InvalidEvent``)."""
    builtin().check_envelope(envelope)
