"""The schemas as named components of one self-contained document (AsyncAPI, TypeScript).

Every schema file and shared definition becomes one component, its ``$ref``\\ s rewritten to
point at other components (``ref_prefix + name``). The envelope and the publish input, which
the files describe as "an event (``allOf: event.json``, an if/then dispatch on ``type``) plus
fields", become a ``oneOf`` with one branch per event type, each with ``type`` as a ``const``
and ``data`` pointing at that type's data schema: the same instances are valid, and tools
that generate types or documents see a discriminated union.

Names: ``MessageData`` (``events/message.json``), ``MessageEnvelope`` and ``MessageInput``
(one type's envelope and publish input), ``SluiceEvent`` and ``SluiceEventInput`` (their
unions), ``EventType`` (the enum of types), ``SessionId`` (``defs.json#/$defs/sessionId``; a
team's own definitions likewise, from ``events/defs.json``), ``PublishRequest``
(``rest/publish-request.json``), and so on. An object nested in a component (a field's, or an
array's ``items``, at any depth) may be declared under a name of its own, the component's then
each field's in CamelCase, ``Item`` for an array's items: ``OrderPlacedDataOrder``,
``OrderPlacedDataItemsItem``, ``AddressGeo`` (:func:`nested_objects`, :func:`titled`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urljoin

from . import registry
from .catalogue import CUSTOM_DEFS, Catalogue

#: Component of the enum of event types.
EVENT_TYPE = "EventType"
#: The root of the TypeScript declarations (each event type with its envelope): declared
#: beside the components, so no component nor nested object may take its name.
EVENT_MAP = "SluiceEventMap"

# Schemas that are "event.json plus fields": (union name, suffix of one type's branch).
_SPLIT = {
    "envelope.json": ("SluiceEvent", "Envelope"),
    "event-input.json": ("SluiceEventInput", "Input"),
}
_DROPPED_KEYWORDS = ("$schema", "$id", "$defs")


def camel(text: str) -> str:
    """A name's part of a component or class name: ``shipTo`` and ``ship_to`` are ``ShipTo``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def definition_component(key: str) -> str:
    """The component of a shared definition, e.g. ``SessionId`` for ``$defs/sessionId``."""
    return camel(key)


def undeclarable(name: str) -> str | None:
    """Why a component or nested object name (:func:`camel`'s) cannot be declared in the
    TypeScript declarations, or ``None`` when it can: it must start with an ASCII letter (an
    identifier: ``3d`` is none, and json-schema-to-typescript fails on it) and must not be
    :data:`EVENT_MAP`, which the declarations already declare."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
        return f"makes the TypeScript name {name!r}, which does not start with a letter"
    if name == EVENT_MAP:
        return f"makes the TypeScript name {name}, that of the declarations' map of event types"
    return None


def data_component(event_type: str) -> str:
    """The component of an event type's data object, e.g. ``MessageData``."""
    return camel(event_type) + "Data"


def envelope_component(event_type: str) -> str:
    """The component of an event type's envelope, e.g. ``MessageEnvelope``."""
    return camel(event_type) + _SPLIT["envelope.json"][1]


def _definitions_only(name: str) -> bool:
    return name in ("defs.json", CUSTOM_DEFS)


def file_component(name: str) -> str:
    """The component holding a schema file: ``PublishRequest`` for ``rest/publish-request.json``.

    ``KeyError`` for files that are not a component of their own: ``defs.json`` and
    ``events/defs.json`` (only their definitions are) and ``event.json`` (split into
    ``EventType`` and the per-type branches).
    """
    if _definitions_only(name) or name == "event.json":
        raise KeyError(f"{name} is not a component of its own")
    if name in _SPLIT:
        return _SPLIT[name][0]
    folder, _, file = name.rpartition("/")
    stem = file.removesuffix(".json")
    if folder == "events":
        return data_component(stem)
    if folder == "rest":
        return camel(stem)
    raise KeyError(f"{name} is not a component of its own")


def _target(uri: str) -> str:
    """The component a resolved ``$ref`` URI points at."""
    document, fragment = urldefrag(uri)
    name = document.removeprefix(registry.BASE_URI)
    if not fragment:
        return file_component(name)
    match = re.fullmatch(r"/\$defs/([^/]+)", fragment)
    if match is None:
        raise KeyError(f"cannot bundle $ref {uri}: only whole files and $defs entries")
    return definition_component(match[1])


def _rewrite(node: Any, base: str, prefix: str) -> Any:
    """A copy of ``node`` with every ``$ref`` (relative to ``base``) pointing at a component."""
    if isinstance(node, dict):
        return {
            key: prefix + _target(urljoin(base, value))
            if key == "$ref" and isinstance(value, str)
            else _rewrite(value, base, prefix)
            for key, value in node.items()
            if key not in _DROPPED_KEYWORDS
        }
    if isinstance(node, list):
        return [_rewrite(item, base, prefix) for item in node]
    return node


def _branch(body: dict[str, Any], event_type: str, prefix: str) -> dict[str, Any]:
    """One event type's branch of an "event.json plus fields" schema."""
    properties = dict(body["properties"])
    properties["type"] = {**properties["type"], "const": event_type}
    properties["data"] = {**properties["data"], "$ref": prefix + data_component(event_type)}
    return {
        **body,
        "title": f"{body['title']}: {event_type}",
        "description": f"{body['description']} (type {event_type})",
        "properties": properties,
    }


def components(catalogue: Catalogue, ref_prefix: str) -> dict[str, dict[str, Any]]:
    """Every schema of ``catalogue`` as a named component; ``$ref``\\ s read
    ``ref_prefix + name``.

    ``ref_prefix`` is where the caller puts the components, e.g. ``"#/components/schemas/"``.
    Raises ``KeyError`` for a ``$ref`` that cannot be expressed between components, or two
    schemas under one component name.
    """
    found: dict[str, dict[str, Any]] = {}

    def add(name: str, schema: dict[str, Any]) -> None:
        if name in found:
            raise KeyError(f"two schemas bundle under the component name {name}")
        found[name] = schema

    types = catalogue.event_types
    add(EVENT_TYPE, {"title": "Event type", **catalogue.schema("event.json")["properties"]["type"]})
    for name, schema in catalogue.schemas.items():
        base = catalogue.uri(name)
        for key, definition in schema.get("$defs", {}).items():
            add(definition_component(key), _rewrite(definition, base, ref_prefix))
        if name == "event.json" or _definitions_only(name):
            continue
        if name not in _SPLIT:
            add(file_component(name), _rewrite(schema, base, ref_prefix))
            continue
        union, suffix = _SPLIT[name]
        if schema.get("allOf") != [{"$ref": "event.json"}]:
            raise KeyError(f"{name} was expected to be allOf event.json plus fields")
        # the dispatch on type that allOf brings in is made explicit by the branches
        body = _rewrite({k: v for k, v in schema.items() if k != "allOf"}, base, ref_prefix)
        for event_type in types:
            add(camel(event_type) + suffix, _branch(body, event_type, ref_prefix))
        add(
            union,
            {
                "title": body["title"],
                "description": body["description"],
                "oneOf": [{"$ref": ref_prefix + camel(t) + suffix} for t in types],
            },
        )
    return found


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object"


def _below(schema: Any) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """The schemas right below ``schema`` that may hold objects: (the part of a name they add,
    their path from ``schema``, the schema), for each property and the ``items``."""
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for key, value in properties.items():
            yield camel(key), ("properties", key), value
    if isinstance(schema.get("items"), dict):
        yield "Item", ("items",), schema["items"]


def nested_objects(schema: Any, name: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Each object nested in ``schema`` (the component ``name``) with the name it is declared
    under and its path from ``schema``, outer ones first: ``("OrderPlacedDataOrder",
    ("properties", "order"))``. An object behind a ``$ref`` is its definition's, not here."""
    for part, path, value in _below(schema):
        if _is_object(value):
            yield name + part, path
        for inner, rest in nested_objects(value, name + part):
            yield inner, (*path, *rest)


def titled(schema: Any, name: str) -> Any:
    """A copy of ``schema`` (the component ``name``) with each object nested in it titled by
    the name :func:`nested_objects` gives it (a title of its own gives way)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for part, path, value in _below(schema):
        if path == ("items",):
            out["items"] = titled(value, name + part)
        else:
            out["properties"] = {**out["properties"], path[1]: titled(value, name + part)}
    if _is_object(schema):
        out["title"] = name
    return out
