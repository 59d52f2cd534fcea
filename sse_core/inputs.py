"""What a publisher hands the broadcaster, checked: session ids, and events made drafts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocol import (
    Catalogue,
    InvalidEvent,
    SchemaError,
    is_session_id,
    pointer_to,
    session_id_rule,
    to_wire,
)
from protocol.models import Event

from .events import Draft

#: What ``publish`` accepts: a generated ``protocol.models`` event, or the wire dict
#: ``{"type", "data", "ttl"?}`` (checked against the schema, so any mapping is let in).
EventInput = Event | Mapping[str, Any]

#: The JSON values other than an object, as parsed: a publisher may send one where an event
#: belongs, and is told why it is no event (``42 is not of type 'object'``).
_NOT_OBJECTS = (type(None), bool, int, float, str, list)


def check_session_id(session_id: str) -> None:
    """Raises ``ValueError`` for a malformed session id (the schema's rule)."""
    if not is_session_id(session_id):
        raise ValueError(f"invalid session id {session_id!r}: {session_id_rule()}")


def draft_of(event: EventInput, ttl: float | None, timestamp: str, catalogue: Catalogue) -> Draft:
    """``event`` validated against ``catalogue`` and made a draft accepted at ``timestamp``;
    ``ttl`` (seconds) overrides the event's own. Raises ``protocol.InvalidEvent`` listing
    every problem (a JSON value that is not an object, say ``42``, is an invalid event at
    pointer ``""``), ``TypeError`` for a Python object that is neither an event model nor a
    mapping."""
    if isinstance(event, Mapping):
        item = dict(event)
    elif isinstance(event, _NOT_OBJECTS):
        raise InvalidEvent(catalogue.validator("event-input.json").errors(event))
    else:
        try:
            item = to_wire(event)
        except TypeError:
            kind = type(event).__name__
            message = f"an event is a protocol.models event or a mapping, not {kind}"
            raise TypeError(message) from None
    if ttl is not None:
        item["ttl"] = ttl
    catalogue.check_event_input(item)
    return Draft(type=item["type"], data=item["data"], timestamp=timestamp, ttl=item.get("ttl"))


def drafts_of(
    events: Sequence[EventInput], ttl: float | None, timestamp: str, catalogue: Catalogue
) -> list[Draft]:
    """:func:`draft_of` each event; ``InvalidEvent`` lists the problems of all of them, each
    pointer prefixed with the event's index (``/2/data/progress``)."""
    drafts: list[Draft] = []
    errors: list[SchemaError] = []
    for index, event in enumerate(events):
        try:
            drafts.append(draft_of(event, ttl, timestamp, catalogue))
        except InvalidEvent as invalid:
            errors.extend(
                SchemaError(pointer_to([index]) + e.pointer, e.message) for e in invalid.errors
            )
    if errors:
        raise InvalidEvent(errors)
    return drafts
