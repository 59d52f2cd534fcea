"""Where the contract tools read an event catalogue: a directory, or a running hub.

A catalogue here is what :mod:`protocol.compat` and :mod:`protocol.stream_contract` take: a
mapping of event type to the self-contained JSON Schema of its ``data`` object (every ``$ref``
inlined). It is made from schema *documents* by relative name, as a hub serves them under
``/schemas/`` (``events/message.json``, ``defs.json``, ...):

- :func:`read_directory`: a team's directory (``--event-schemas DIR``) with the built-in
  schemas, read by the hub's own loader (:func:`protocol.event_schemas.load`) in its lenient
  mode, which keeps the layout's rules and skips the generators' subset (a diff must read an
  open object to say that it closes); or a directory that ``sluice schemas export`` wrote,
  which holds every document of a catalogue as a hub serves them (``event.json``,
  ``events/<type>.json``...), read as they are.
- :func:`read_hub`: every document listed by a hub's ``GET /schemas/`` index.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from protocol import codegen, registry
from protocol import event_schemas as loader
from protocol.catalogue import CUSTOM_DEFS, TYPE_NAME, event_file
from protocol.model_fields import CodegenError

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


def is_export(directory: Path) -> bool:
    """True when ``directory`` is what ``sluice schemas export`` wrote (it holds ``event.json``
    and ``events/``) rather than a directory of event schemas."""
    return (directory / "event.json").is_file() and (directory / _EVENTS).is_dir()


def read_directory(directory: Path) -> tuple[Documents, dict[str, str]]:
    """The documents of the catalogue in ``directory`` (see the module's text), and the file
    each document of the directory was read from, by name.

    Raises :class:`CatalogueError` (``file: why``, one line) for a missing directory, a file
    that is not JSON (with its line and column) or not an object, and for an event schema
    directory, every refusal of :func:`protocol.event_schemas.load`'s lenient mode: a file
    name that is not a type name, a type that redefines a built-in one, a ``$ref`` that
    leaves the catalogue...
    """
    if is_export(directory):
        files = {p.relative_to(directory).as_posix(): p for p in sorted(directory.rglob("*.json"))}
        documents = {name: _json_object(p.read_bytes(), str(p)) for name, p in files.items()}
        return documents, {name: str(path) for name, path in files.items()}
    try:
        catalogue = loader.load([directory], lenient=True)
    except loader.CatalogueError as error:
        raise CatalogueError(f"{error.file}: {error.message}") from None
    own = [CUSTOM_DEFS, *(event_file(event_type) for event_type in catalogue.custom_types)]
    origins = {name: str(directory / name.removeprefix(_EVENTS)) for name in own}
    return dict(catalogue.schemas), origins


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
    documents, origins = read_directory(Path(source))
    return event_schemas(documents, origins)
