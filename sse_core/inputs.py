"""What a publisher hands the broadcaster, checked: session ids, and events made drafts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from protocol import (
    Catalogue,
    InvalidEvent,
    SchemaError,
    hub_only_errors,
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


class EventTooLarge(ValueError):
    """An event is larger than ``max_event_bytes`` (see :class:`~sse_core.BroadcasterConfig`):
    nothing of its publish was stored or sent.

    ``errors`` names each event too large, with its size: the pointer ``""`` for the event
    of :meth:`~sse_core.Broadcaster.publish`, ``/2`` for the third of a batch. ``limit`` is
    ``max_event_bytes``.
    """

    def __init__(self, errors: Sequence[SchemaError], limit: int) -> None:
        self.errors: tuple[SchemaError, ...] = tuple(errors)
        self.limit = limit
        super().__init__("; ".join(str(e) if e.pointer else e.message for e in self.errors))


def check_session_id(session_id: str) -> None:
    """Raises ``ValueError`` for a malformed session id (the schema's rule)."""
    if not is_session_id(session_id):
        raise ValueError(f"invalid session id {session_id!r}: {session_id_rule()}")


def draft_of(
    event: EventInput,
    ttl: float | None,
    timestamp: str,
    catalogue: Catalogue,
    max_bytes: int | None = None,
    *,
    kept: bool = True,
) -> Draft:
    """``event`` validated against ``catalogue`` and made a draft accepted at ``timestamp``;
    ``ttl`` (seconds) overrides the event's own. ``kept``: the event is published (kept in
    history, with an id), so a type only the hub sends, outside history
    (``protocol.registry.HUB_EVENTS``: ``connection``, ``keepalive``, ``stream_overflow``,
    ``stream_reset``), is refused, as the publish route refuses it.

    Raises ``protocol.InvalidEvent`` listing every problem (a JSON value that is not an
    object, say ``42``, is an invalid event at pointer ``""``; a hub-only type when ``kept``,
    at ``/type``); :class:`EventTooLarge` when
    its ``{"type", "data", "ttl"?}`` is more than ``max_bytes`` bytes as JSON (None: no
    limit), measured before it is validated; ``TypeError`` for a Python object that is neither
    an event model nor a mapping, or a value JSON cannot hold.
    """
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
    if max_bytes is not None:
        size = len(orjson.dumps(item))
        if size > max_bytes:
            event_type = item.get("type")
            known = event_type in catalogue.event_types
            named = f"the {event_type} event" if known else "the event"
            message = f"{named} is {size} bytes as JSON, at most {max_bytes}"
            raise EventTooLarge([SchemaError("", message)], max_bytes)
    if kept and (reserved := hub_only_errors(item)):
        raise InvalidEvent(reserved)
    catalogue.check_event_input(item)
    return Draft(type=item["type"], data=item["data"], timestamp=timestamp, ttl=item.get("ttl"))


def drafts_of(
    events: Sequence[EventInput],
    ttl: float | None,
    timestamp: str,
    catalogue: Catalogue,
    max_bytes: int | None = None,
) -> list[Draft]:
    """:func:`draft_of` each event; the errors of all of them are raised together, each
    pointer prefixed with the event's index (``/2/data/progress``): :class:`EventTooLarge`
    when any event is too large, else ``InvalidEvent``."""
    drafts: list[Draft] = []
    invalid: list[SchemaError] = []
    large: list[SchemaError] = []
    for index, event in enumerate(events):
        try:
            drafts.append(draft_of(event, ttl, timestamp, catalogue, max_bytes))
        except InvalidEvent as error:
            invalid.extend(_under(index, error.errors))
        except EventTooLarge as error:
            large.extend(_under(index, error.errors))
    if large:
        assert max_bytes is not None
        raise EventTooLarge(large, max_bytes)
    if invalid:
        raise InvalidEvent(invalid)
    return drafts


def _under(index: int, errors: Sequence[SchemaError]) -> list[SchemaError]:
    """``errors`` of the event at ``index`` of a batch, their pointers into the batch."""
    return [SchemaError(pointer_to([index]) + e.pointer, e.message) for e in errors]
