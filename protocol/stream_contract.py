"""A stream's contract, checked event by event: the framing and the event catalogue. Sans-IO.

Feed :class:`StreamContract` the :class:`~protocol.wire.ServerSentEvent` objects an
:class:`~protocol.wire.EventStreamParser` dispatches, in order; each call returns the
:class:`Violation` objects of that event. What is checked, per event:

- ``data`` is a JSON envelope of the shape ``envelope.json`` gives (``type``, ``data``, ``id``,
  ``timestamp``, ``ttl``?, nothing else);
- its ``type`` is in the catalogue and its ``data`` valid against that type's schema;
- the SSE ``event`` field equals the envelope's ``type``;
- an event kept in history (every type but :data:`~protocol.registry.HUB_EVENTS`) has an id,
  the SSE ``id`` field equals the envelope's ``id``, and ids increase (compared as text: within
  a hub run the hub's ids, ``<epoch>-<zero-padded sequence>``, sort as text in publish order);
- an event without an id leaves the stream's last event id as it was (no ``id:`` line).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import orjson
from jsonschema import Draft202012Validator

from . import codegen
from .catalogue import builtin
from .errors import SchemaError, json_text
from .pointer import pointer_to, shown
from .registry import HUB_EVENTS
from .validation import detailed_errors, detailed_validator
from .wire import ServerSentEvent


@attrs.frozen
class Violation:
    """One way in which a stream breaks its contract.

    ``event_id``
        The envelope's id (``""`` when it has none, or the data is not an envelope).
    ``position``
        The event's place in the stream, from 1 (events as dispatched, retry-only and
        comment frames not counted).
    ``event_type``
        The envelope's type, or the SSE ``event`` field when the data is not an envelope;
        ``""`` for a violation of the stream as a whole (it broke off, ended early).
    ``pointer``
        RFC 6901 JSON pointer into the envelope (``/data/progress``; ``""``: the whole),
        printed as a JSON string (:func:`protocol.pointer.shown`).
    ``message``
        What is wrong.
    """

    event_id: str
    position: int
    event_type: str
    pointer: str
    message: str

    def __str__(self) -> str:
        if not self.event_type:
            where = f" after event #{self.position}" if self.position else ""
            return f"stream{where}: {self.message}"
        which = f"event {self.event_id}" if self.event_id else f"event #{self.position}"
        if not self.event_id:
            which += f" ({self.event_type}, no id)"
        return f"{which} {shown(self.pointer)}: {self.message}"


def _envelope_shape() -> Draft202012Validator:
    """``envelope.json`` without the dispatch of ``data`` on ``type`` (done per catalogue)."""
    catalogue = builtin()
    body = {k: v for k, v in catalogue.schema("envelope.json").items() if k != "allOf"}
    resolver = catalogue.registry.resolver(base_uri=catalogue.uri("envelope.json"))
    return detailed_validator(codegen.inline(body, resolver))


class StreamContract:
    """Checks the events of one stream against ``catalogue`` (event type -> self-contained
    schema of its ``data``, as :func:`protocol.compat.diff` takes).

    ``position`` counts the events checked, ``counted`` those with an id; ``last_id`` is the
    last event id the stream set (what a client would resume from).
    """

    def __init__(self, catalogue: Mapping[str, dict[str, Any]]) -> None:
        self._shape = _envelope_shape()
        self._data = {name: detailed_validator(schema) for name, schema in catalogue.items()}
        self.position = 0
        self.counted = 0
        self.last_id = ""
        self._last_counted = ""

    def check(self, event: ServerSentEvent) -> list[Violation]:
        """The violations of the next event of the stream (empty when it keeps the contract)."""
        self.position += 1
        previous_id, self.last_id = self.last_id, event.id
        try:
            envelope = orjson.loads(event.data)
        except orjson.JSONDecodeError as error:
            return [self._violation("", event.event, SchemaError("", f"data is not JSON: {error}"))]
        if not isinstance(envelope, dict):
            not_object = SchemaError("", "data is not a JSON object (an envelope)")
            return [self._violation("", event.event, not_object)]
        raw_id = envelope.get("id")
        event_id = raw_id if isinstance(raw_id, str) else ""
        event_type = envelope.get("type")
        name = event_type if isinstance(event_type, str) else event.event
        errors = detailed_errors(self._shape, envelope) + self._data_errors(envelope)
        if event_type != event.event:
            errors.append(
                SchemaError("/type", f"the SSE event field is {event.event!r}, not the type")
            )
        errors += self._id_errors(event, event_id, name, previous_id)
        return [self._violation(event_id, name, error) for error in errors]

    def _data_errors(self, envelope: dict[str, Any]) -> list[SchemaError]:
        event_type = envelope.get("type")
        if not isinstance(event_type, str):
            wrong = SchemaError("/type", f"{json_text(event_type)} is not of type 'string'")
            return [wrong] if "type" in envelope else []  # else the shape says it is missing
        if "data" not in envelope:
            return []  # the shape says it is missing
        validator = self._data.get(event_type)
        if validator is None:
            return [SchemaError("/type", f"{json_text(event_type)} is not a type of the catalogue")]
        return [
            SchemaError(pointer_to(["data"]) + error.pointer, error.message)
            for error in detailed_errors(validator, envelope["data"])
        ]

    def _id_errors(
        self, event: ServerSentEvent, event_id: str, event_type: str, previous_id: str
    ) -> list[SchemaError]:
        if not event_id:
            if event_type not in HUB_EVENTS:
                return [SchemaError("/id", "an event kept in history has no id")]
            if event.id != previous_id:
                return [SchemaError("/id", f"no id, yet the SSE id field sets {event.id!r}")]
            return []
        errors = []
        if event.id != event_id:
            errors.append(SchemaError("/id", f"the SSE id field is {event.id!r}, not the id"))
        if self._last_counted and event_id <= self._last_counted:
            errors.append(SchemaError("/id", f"does not increase (after {self._last_counted})"))
        self.counted += 1
        self._last_counted = event_id
        return errors

    def _violation(self, event_id: str, event_type: str, error: SchemaError) -> Violation:
        return Violation(event_id, self.position, event_type, error.pointer, error.message)
