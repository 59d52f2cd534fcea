"""Schemas by relative name, and the offline ``referencing`` registry of them: no network, ever."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from typing import Any

import orjson
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

import schemas

#: Every schema's ``$id`` is this base plus its relative name (``events/message.json``).
BASE_URI = schemas.BASE_URI

#: Control events only the hub sends: a publisher may not forge them, and they are never kept
#: in history, so they carry no id.
HUB_EVENTS = frozenset({"connection", "keepalive", "stream_reset", "stream_overflow"})


def uri(name: str) -> str:
    """The ``$id`` of the schema with this relative name."""
    return BASE_URI + name


def read_tree(root: Traversable) -> dict[str, dict[str, Any]]:
    """Every ``*.json`` below ``root`` by relative name (``"events/message.json"``), parsed."""
    return {name: orjson.loads(f.read_bytes()) for name, f in schemas.iter_files(root)}


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(uri)


def offline_registry(bodies: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Registry[Any]:
    """A registry holding each ``(relative name, schema)`` under its ``$id``; any other URI is
    refused (``referencing.exceptions.NoSuchResource``)."""
    items = bodies.items() if isinstance(bodies, Mapping) else bodies
    resources = [
        (uri(name), Resource.from_contents(body, default_specification=DRAFT202012))
        for name, body in items
    ]
    empty = Registry(retrieve=_refuse)  # type: ignore[call-arg]  # attrs alias of _retrieve
    return empty.with_resources(resources).crawl()
