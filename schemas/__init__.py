"""The JSON Schemas of the Sluice protocol (Draft 2020-12), shipped as package data.

The ``*.json`` files beside this module are the single source of truth of the protocol;
``protocol`` loads them, nothing here is code but the locator. Adding an event type is one
file in ``events/`` (``protocol.catalogue`` derives the dispatch of ``event.json`` from the
files) and ``nox -s codegen`` (the models, the builders and the TypeScript declarations).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable

#: Every schema's ``$id`` is this base plus its path below this package.
BASE_URI = "https://sluice-sse.dev/schemas/"


def root() -> Traversable:
    """The folder of the built-in schemas."""
    return files(__name__)


def iter_files(top: Traversable | None = None) -> Iterator[tuple[str, Traversable]]:
    """Yield ``(relative_name, file)`` for every schema below ``top`` (default: the built-in
    ones), e.g. ``("events/message.json", ...)``."""
    stack: list[tuple[str, Traversable]] = [("", root() if top is None else top)]
    while stack:
        prefix, folder = stack.pop()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                stack.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".json"):
                yield f"{prefix}{entry.name}", entry
