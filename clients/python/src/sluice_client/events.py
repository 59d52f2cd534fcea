"""Events between Python and the hub's JSON: what a publish sends, what a stream delivers.

A publisher may give an event as a model of :mod:`sluice_client.models` (the built-in
catalogue), as a team's own model (``sluice schemas export --python``, or any attrs class
with a ``TYPE`` class attribute naming its wire type), or as a dict ``{"type", "data",
"ttl"?}``. A model's fields go on the wire under their ``metadata["wire"]`` name (camelCase;
the field's name when it has none), and optional fields left at None are omitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .models import EVENT_CLASSES, Event


def _renames(cls: type[Any]) -> dict[str, Any]:
    return {a.name: override(rename=a.metadata.get("wire", a.name)) for a in attrs.fields(cls)}


def _number(value: Any, _: type[float]) -> float:
    """A JSON number as it came (``50`` stays ``50``)."""
    return value if type(value) in (int, float) else float(value)


def make_converter(*, forbid_extra_keys: bool = False) -> Converter:
    """A cattrs converter of models: wire keys from each field's ``metadata["wire"]``, optional
    fields left at None omitted; keys it does not know (from a newer hub) are ignored, or
    refused (``cattrs.errors.ForbiddenExtraKeysError``) with ``forbid_extra_keys``. What
    :mod:`protocol.converter` makes on the hub's side, for a module that ``sluice schemas
    export --python-client`` writes."""
    made = Converter(forbid_extra_keys=forbid_extra_keys)

    def structure_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
        return make_dict_structure_fn(cls, made, **_renames(cls))

    def unstructure_hook(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
        return make_dict_unstructure_fn(cls, made, _cattrs_omit_if_default=True, **_renames(cls))

    made.register_structure_hook_factory(attrs.has, structure_hook)
    made.register_unstructure_hook_factory(attrs.has, unstructure_hook)
    made.register_structure_hook(float, _number)
    return made


#: The converter of models to and from their wire dicts (extra keys from a newer hub are
#: ignored when reading).
converter = make_converter()

#: What ``publish`` accepts: a model (built-in or a team's own) or a wire dict.
EventInput = Event | Mapping[str, Any] | attrs.AttrsInstance


def to_wire(event: EventInput, ttl: float | None = None) -> dict[str, Any]:
    """The wire form ``{"type", "data", "ttl"?}`` of ``event``; ``ttl`` (seconds in history)
    overrides the event's own. Raises ``TypeError`` for anything else than the inputs above."""
    if isinstance(event, Mapping):
        item = dict(event)
    else:
        event_type = getattr(type(event), "TYPE", None)
        if not attrs.has(type(event)) or not isinstance(event_type, str):
            raise TypeError(
                f"an event is a dict or an attrs model with a TYPE, got {type(event).__name__}"
            )
        item = {"type": event_type, "data": converter.unstructure(event)}
    if ttl is not None:
        item["ttl"] = ttl
    return item


def utc_now() -> str:
    """The current time as RFC 3339 in UTC with milliseconds, as the hub writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@attrs.frozen
class StreamEvent:
    """One event read from a session's stream: its envelope.

    ``type`` (str): the wire type. ``data``: the model of that type (built-in, or one of the
    client's ``models``), or the data dict for a type the client has no model of. ``id``
    (str): the event id (what a resume passes as ``last_event_id``). ``timestamp`` (str):
    RFC 3339, when the hub accepted it.
    """

    type: str
    data: Any
    id: str
    timestamp: str


class Catalogue:
    """The models a client structures stream events into, by wire type: the built-in ones and
    ``extra`` (a team's own, each an attrs class with a ``TYPE``), which win on a clash."""

    def __init__(self, extra: Iterable[type[Any]] = ()) -> None:
        self.classes: dict[str, type[Any]] = dict(EVENT_CLASSES)
        for cls in extra:
            event_type = getattr(cls, "TYPE", None)
            if not attrs.has(cls) or not isinstance(event_type, str):
                raise TypeError(f"{cls!r} is not an attrs model with a TYPE")
            self.classes[event_type] = cls

    def event(self, envelope: Mapping[str, Any]) -> StreamEvent:
        """The :class:`StreamEvent` of an envelope ``{"type", "data", "id", "timestamp"}``."""
        event_type = envelope["type"]
        data = envelope["data"]
        cls = self.classes.get(event_type)
        if cls is not None:
            data = converter.structure(data, cls)
        return StreamEvent(event_type, data, envelope.get("id", ""), envelope["timestamp"])
