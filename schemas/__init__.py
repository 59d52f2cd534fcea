"""The JSON Schemas of the Sluice protocol (Draft 2020-12), shipped as package data.

The ``*.json`` files beside this module are the single source of truth of the protocol;
``protocol`` loads them, nothing here is code but the locator.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable

#: Every schema's ``$id`` is this base plus its path below this package.
BASE_URI = "https://sluice-sse.dev/schemas/"


def iter_files() -> Iterator[tuple[str, Traversable]]:
    """Yield ``(relative_name, file)`` for every schema, e.g. ``("events/message.json", ...)``."""
    root = files(__name__)
    stack: list[tuple[str, Traversable]] = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                stack.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".json"):
                yield f"{prefix}{entry.name}", entry
