"""Events between Python and the wire: snake_case attrs models, camelCase JSON dicts.

cattrs coerces rather than validates (``"5"`` would become ``5``), so everything that comes
from the wire is checked against its schema first and refused with :class:`InvalidEvent`,
listing every error, before cattrs sees it. Optional fields left at ``None`` are omitted on
the wire, as the schemas (which have no ``null``) require, and a number keeps its JSON form:
``50`` stays ``50``, not ``50.0``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.orjson import OrjsonConverter
from cattrs.preconf.orjson import make_converter as make_orjson_converter

from .catalogue import check_envelope, check_event_input
from .models import EVENT_CLASSES, Envelope, Event


def _renames(cls: type[attrs.AttrsInstance]) -> dict[str, Any]:
    return {a.name: override(rename=a.metadata.get("wire", a.name)) for a in attrs.fields(cls)}


def _number(value: Any, _: type[float]) -> float:
    """A JSON number as it came (an ``int`` is a valid ``float`` field value)."""
    return value if type(value) in (int, float) else float(value)


def make_converter(*, forbid_extra_keys: bool = True) -> OrjsonConverter:
    """A cattrs converter of generated models: wire keys from each field's
    ``metadata["wire"]``, optional fields left at ``None`` omitted; unknown keys refused
    (``cattrs.errors.ForbiddenExtraKeysError``), or ignored with ``forbid_extra_keys=False``.

    The hooks of :mod:`protocol.models` and of a module written by ``sluice schemas export
    --python``, which calls this for its own ``converter`` with unknown keys ignored: it reads
    what publishers send, and an optional field added to a schema is a compatible change.
    """
    made = make_orjson_converter(forbid_extra_keys=forbid_extra_keys)

    def structure_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
        return make_dict_structure_fn(cls, made, **_renames(cls))

    def unstructure_hook(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
        return make_dict_unstructure_fn(cls, made, _cattrs_omit_if_default=True, **_renames(cls))

    made.register_structure_hook_factory(attrs.has, structure_hook)
    made.register_unstructure_hook_factory(attrs.has, unstructure_hook)
    made.register_structure_hook(float, _number)
    return made


#: The cattrs converter of the models in :mod:`protocol.models`.
converter = make_converter()

# The envelope's data is structured as the class its type names; the other fields as usual.
_envelope_fields = make_dict_structure_fn(
    Envelope,
    converter,
    **{**_renames(Envelope), "data": override(struct_hook=lambda event, _: event)},
)


def _structure_envelope(wire: Mapping[str, Any], _: type[Envelope]) -> Envelope:
    event = converter.structure(wire["data"], EVENT_CLASSES[wire["type"]])
    return _envelope_fields({**wire, "data": event}, Envelope)


converter.register_structure_hook(Envelope, _structure_envelope)


def to_wire(event: Event) -> dict[str, Any]:
    """The wire form ``{"type", "data"}`` of an event, ``data`` with camelCase keys.

    ``event`` is a generated model (of :mod:`protocol.models`, or of a module written by
    ``sluice schemas export --python``): an attrs class with a ``TYPE``. Raises ``TypeError``
    for anything else.
    """
    kind = getattr(type(event), "TYPE", None)
    if not attrs.has(type(event)) or not isinstance(kind, str):
        raise TypeError(f"not an event model (an attrs class with a TYPE): {type(event).__name__}")
    return {"type": kind, "data": converter.unstructure(event)}


def from_wire(wire: Any) -> Event:
    """The event of a publisher's ``{"type", "data", "ttl"?}`` (``ttl`` is not kept).

    Raises :class:`InvalidEvent` listing every schema error, each with its JSON pointer; an
    unknown ``type`` is one of them, naming the known types.
    """
    check_event_input(wire)
    event: Event = converter.structure(wire["data"], EVENT_CLASSES[wire["type"]])
    return event


def envelope_to_wire(envelope: Envelope) -> dict[str, Any]:
    """The wire form of an envelope: ``{"type", "data", "id", "timestamp", "ttl"?}``."""
    wire: dict[str, Any] = converter.unstructure(envelope)
    return wire


def envelope_from_wire(wire: Any) -> Envelope:
    """The envelope of a wire dict (what an SSE ``data:`` line holds), validated first.

    Raises :class:`InvalidEvent` listing every schema error, each with its JSON pointer.
    """
    check_envelope(wire)
    return converter.structure(wire, Envelope)
