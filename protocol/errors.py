"""Errors of the protocol layer, saying whose fault it was (as h11 does)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from .pointer import shown


@attrs.frozen
class SchemaError:
    """One way in which a value breaks its schema.

    ``pointer`` is the RFC 6901 JSON pointer of the failing value (``/data/progress``; ``""``
    for the document itself); ``message`` says what is wrong in words a publisher can act on.
    Printed as ``"pointer": message``, the pointer a JSON string (:func:`protocol.pointer.shown`).
    """

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{shown(self.pointer)}: {self.message}"


def json_text(value: Any) -> str:
    """How an error message names a JSON value: as JSON text (RFC 8259), ``null``, ``true``,
    ``"text"``, ``["a", 1]``; not as Python shows it (``None``, ``True``, ``'text'``). A value
    JSON cannot hold (a non-finite number, a Python object) is shown as Python shows it."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


class ProtocolError(Exception):
    """Base of every error raised by ``protocol``."""


class InvalidEvent(ProtocolError, ValueError):
    """The event you tried to publish breaks the schema: fix the event (a 422 to a publisher).

    ``errors`` lists *every* problem found, each with its JSON pointer.
    """

    def __init__(self, errors: Sequence[SchemaError]) -> None:
        self.errors: tuple[SchemaError, ...] = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "invalid event")


class LocalProtocolError(ProtocolError, ValueError):
    """You asked the encoder for something that cannot be framed (e.g. a newline in an id)."""


class RemoteProtocolError(ProtocolError, ValueError):
    """The peer sent a stream that cannot be parsed."""
