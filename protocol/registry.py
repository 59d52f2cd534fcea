"""Loading the schemas into an offline ``referencing`` registry: no network, ever."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

import schemas

BASE_URI = schemas.BASE_URI

#: Control events only the hub sends: a publisher may not forge them, and they are never kept
#: in history, so they carry no id.
HUB_EVENTS = frozenset({"connection", "keepalive", "stream_reset", "stream_overflow"})


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(uri)


@cache
def load_all() -> dict[str, dict[str, Any]]:
    """Every schema by relative name (``"events/message.json"``), parsed once."""
    return {name: orjson.loads(f.read_bytes()) for name, f in schemas.iter_files()}


def schema(name: str) -> dict[str, Any]:
    """One schema by relative name, e.g. ``"envelope.json"``; ``KeyError`` if unknown."""
    return load_all()[name]


def uri(name: str) -> str:
    """The ``$id`` of the schema with this relative name."""
    return BASE_URI + name


@cache
def registry() -> Registry[Any]:
    """A registry holding every schema under its ``$id``; unknown URIs are refused."""
    resources = [
        (uri(name), Resource.from_contents(body, default_specification=DRAFT202012))
        for name, body in load_all().items()
    ]
    empty = Registry(retrieve=_refuse)  # type: ignore[call-arg]  # attrs alias of _retrieve
    return empty.with_resources(resources).crawl()


def event_types() -> tuple[str, ...]:
    """The known event types, in schema order."""
    return tuple(schema("event.json")["properties"]["type"]["enum"])
