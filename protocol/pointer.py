"""JSON pointers (RFC 6901): built, and shown in a line of text, in this one place.

A pointer is a string of reference tokens, each written ``/token`` with ``~`` escaped as ``~0``
and ``/`` as ``~1`` (section 3): ``/data/progress``, ``/1/type``. The whole document is the
empty pointer ``""``; ``/`` is not the root but the member whose key is ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

#: The pointer of the whole document.
ROOT = ""


def escape(token: str | int) -> str:
    """One reference token as a pointer writes it (RFC 6901 section 3): ``a/b`` is ``a~1b``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_to(path: Iterable[str | int], under: str = ROOT) -> str:
    """The pointer to the value reached from the one at ``under`` (a pointer) by ``path``,
    the keys of objects and indexes of arrays in order: ``pointer_to(["data", "progress"])`` is
    ``/data/progress``, ``pointer_to(["type"], under="/2")`` is ``/2/type``; no path: ``under``."""
    return under + "".join("/" + escape(token) for token in path)


def tokens(pointer: str) -> list[str]:
    """The reference tokens of ``pointer``, unescaped (RFC 6901 section 4): ``/a~1b/0`` is
    ``["a/b", "0"]``; ``""`` is ``[]``."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def shown(value: str) -> str:
    """How a line of text shows the pointer ``value``: as a JSON string (``"/data/progress"``,
    ``""`` for the whole document), so that no key, whatever it holds (``: ``, a line break),
    can be taken for the end of the pointer."""
    return orjson.dumps(value).decode()
