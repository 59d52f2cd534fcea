"""Where the contract tools read an event catalogue: a directory, or a running hub.

A catalogue here is what :mod:`protocol.compat` and :mod:`protocol.stream_contract` take: a
mapping of event type to the self-contained JSON Schema of its ``data`` object (every ``$ref``
inlined). It is made from schema *documents* by relative name, as a hub serves them under
``/schemas/`` (``events/message.json``, ``defs.json``, ...):

- :func:`read_directory`: the built-in schemas plus a team's directory (``--event-schemas
  DIR``), where each ``<type>.json`` other than ``defs.json`` is the ``data`` schema of one
  type, taken as ``events/<type>.json``, and ``defs.json`` as ``events/defs.json``; so a
  schema refers to its directory's definitions as ``defs.json#/$defs/x`` and to the built-in
  ones as ``../defs.json#/$defs/x``, as the built-in event schemas do.
- :func:`read_hub`: every document listed by a hub's ``GET /schemas/`` index.

:func:`read_directory` is a provisional reader for these tools alone: fold it into the shared
catalogue loader (the one ``sluice serve --event-schemas`` uses) once that exists, and keep
:func:`event_schemas` taking that loader's documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from protocol import builtin, codegen, registry
from protocol.model_fields import CodegenError

#: A valid event type name: an SSE event name and a Python and TypeScript identifier.
TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_EVENTS = "events/"
Documents = dict[str, dict[str, Any]]


class CatalogueError(Exception):
    """A catalogue cannot be read: the message is one line naming the file or URL and why."""


def event_schemas(
    documents: Documents, origins: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Each event type of ``documents`` (``events/<type>.json``) -> its self-contained schema.

    A document's URI is its ``$id``, or :data:`protocol.registry.BASE_URI` plus its name.
    Raises :class:`CatalogueError` for a ``$ref`` that leaves ``documents`` or cannot be
    inlined, naming the document by its entry in ``origins`` (its file or URL) if it has one.
    """
    uris = {name: body.get("$id") or registry.uri(name) for name, body in documents.items()}
    resources: Registry[Any] = Registry().with_resources(
        (uris[name], Resource.from_contents(body, default_specification=DRAFT202012))
        for name, body in documents.items()
    )
    found: dict[str, dict[str, Any]] = {}
    for name, body in sorted(documents.items()):
        event_type = name.removeprefix(_EVENTS).removesuffix(".json")
        if not name.startswith(_EVENTS) or not TYPE_NAME.fullmatch(event_type):
            continue  # the envelope, the REST payloads
        if event_type == "defs":
            continue  # a directory's shared definitions
        try:
            found[event_type] = codegen.inline(body, resources.resolver(base_uri=uris[name]))
        except Unresolvable as error:
            where = (origins or {}).get(name, name)
            raise CatalogueError(f"{where}: $ref {error.ref!r} leaves the catalogue") from None
        except CodegenError as error:
            raise CatalogueError(f"{(origins or {}).get(name, name)}: {error}") from None
    return found


def read_directory(directory: Path) -> Documents:
    """The built-in documents plus the event schemas of ``directory`` (see the module's text).

    Raises :class:`CatalogueError` for a missing directory, a file that is not JSON (with its
    line and column) or not an object, a file name that is not a type name, or a type that
    redefines a built-in one.
    """
    if not directory.is_dir():
        raise CatalogueError(f"{directory}: not a directory")
    documents: Documents = dict(builtin().schemas)
    for path in sorted(directory.glob("*.json")):
        stem = path.stem
        if stem != "defs" and not TYPE_NAME.fullmatch(stem):
            raise CatalogueError(
                f"{path}: {stem!r} is not an event type name (^[a-z][a-z0-9_]{{0,63}}$)"
            )
        name = _EVENTS + path.name
        if name in documents:
            raise CatalogueError(f"{path}: redefines the built-in type {stem}")
        documents[name] = _json_object(path.read_bytes(), str(path))
    return documents


async def read_hub(client: httpx.AsyncClient, base_url: str) -> Documents:
    """Every schema document a hub at ``base_url`` lists under ``GET /schemas/``.

    Raises :class:`CatalogueError` when the hub cannot be reached or an answer is not the
    index or a schema.
    """
    index_url = urljoin(base_url.rstrip("/") + "/", "schemas/")
    index = await _get_json(client, index_url)
    entries = index.get("schemas")
    if not isinstance(entries, list):
        raise CatalogueError(f"{index_url}: not a Sluice schema index (no schemas list)")
    documents: Documents = {}
    for entry in entries:
        if not isinstance(entry, dict) or not {"name", "url"} <= entry.keys():
            raise CatalogueError(f"{index_url}: an entry without name and url: {entry!r}")
        documents[entry["name"]] = await _get_json(client, urljoin(index_url, entry["url"]))
    return documents


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise CatalogueError(f"{url}: unreachable: {error or type(error).__name__}") from None
    if response.status_code != 200:
        raise CatalogueError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
    return _json_object(response.content, url)


def _json_object(data: bytes, source: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise CatalogueError(f"{source}: not JSON ({where}: {error.msg})") from None
    if not isinstance(value, dict):
        raise CatalogueError(f"{source}: not a JSON object")
    return value


def is_hub(source: str) -> bool:
    """True when ``source`` is a hub's base URL rather than a directory."""
    return source.startswith(("http://", "https://"))


async def read_catalogue(client: httpx.AsyncClient, source: str) -> dict[str, dict[str, Any]]:
    """The catalogue (:func:`event_schemas`) of a hub's base URL or of a directory.

    Raises :class:`CatalogueError` (see :func:`read_directory` and :func:`read_hub`).
    """
    if is_hub(source):
        documents = await read_hub(client, source)
        base = urljoin(source.rstrip("/") + "/", "schemas/")
        return event_schemas(documents, {name: urljoin(base, name) for name in documents})
    directory = Path(source)
    documents = read_directory(directory)
    origins = {
        name: str(directory / name.removeprefix(_EVENTS))
        for name in documents
        if name not in builtin().schemas
    }
    return event_schemas(documents, origins)
