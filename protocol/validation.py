"""Schema validators, compiled once: a fast accept, and a detailed list of every error.

The fast path (``is_valid``) runs jsonschema-rs with formats checked; only when it refuses is
the slower ``jsonschema`` validator run to list every error with its JSON pointer. Both see the
same schemas through the same offline registry, and judge ``date-time`` alike (the detailed one
through :func:`protocol.constraints.is_date_time`). The fast path decides: where the engines
still read a schema differently (Python's ``$`` also matches before a final newline, ECMA-262's
does not), the error list is the fast engine's own.

A message names the values it quotes as JSON (``null is not of type 'object'``): the fast
engine writes them so; the detailed one's messages, which show them as Python does (``None``,
``True``, ``'text'``), are rewritten in :func:`_message`, the one place errors are worded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry

from . import constraints, registry
from .errors import InvalidEvent, SchemaError, json_text
from .pointer import pointer_to


def _format_checker() -> FormatChecker:
    """Draft 2020-12's format checks, with ``date-time`` judged as the fast path does."""
    checker = FormatChecker(())
    checker.checkers = {
        **Draft202012Validator.FORMAT_CHECKER.checkers,
        "date-time": (_is_date_time, ()),
    }
    return checker


def _is_date_time(instance: object) -> bool:
    return not isinstance(instance, str) or constraints.is_date_time(instance)


_FORMATS = _format_checker()


#: The keywords whose ``jsonschema`` message starts with the failing value as Python shows it
#: (``None is not of type 'object'``).
_VALUE_FIRST = frozenset(
    {
        "anyOf", "contains", "enum", "exclusiveMaximum", "exclusiveMinimum", "format",
        "maxItems", "maxLength", "maxProperties", "maximum", "minItems", "minLength",
        "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern", "type",
        "uniqueItems",
    }
)  # fmt: skip
#: The keywords whose message ends with the keyword's own value (``... the maximum of 100``).
_BOUND_LAST = frozenset(
    {"enum", "exclusiveMaximum", "exclusiveMinimum", "maximum", "minimum", "multipleOf", "not"}
)


def _message(error: ValidationError) -> str:
    """``jsonschema``'s message of ``error`` with the JSON values it names written as JSON
    (:func:`~protocol.errors.json_text`): ``null is not of type 'object'``, ``"q" is not one
    of ["a", "b"]``, ``true was expected``. Names stay as ``jsonschema`` quotes them (types,
    properties, formats, patterns). The values are replaced only where the message has the
    form the keyword is known to give; any other message is kept as it is."""
    message, value, keyword = error.message, error.instance, error.validator
    shown = repr(value)
    if keyword in _VALUE_FIRST and message.startswith(shown + " "):
        message = json_text(value) + message[len(shown) :]
    elif keyword is None and message == f"False schema does not allow {shown}":
        message = f"False schema does not allow {json_text(value)}"
    own = error.validator_value
    if keyword == "const" and message == f"{own!r} was expected":
        message = f"{json_text(own)} was expected"
    elif keyword in _BOUND_LAST:
        written = str(own) if keyword == "multipleOf" else repr(own)
        if message.endswith(" " + written):
            message = message[: -len(written)] + json_text(own)
    return message


def _describe(error: ValidationError) -> SchemaError:
    return SchemaError(pointer_to(error.absolute_path), _message(error))


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that say something: the deepest ones under ``if/then`` and combinators."""
    if error.context:
        return [leaf for sub in error.context for leaf in _leaves(sub)]
    return [error]


class Validator:
    """Validates instances against one schema (``body``, whose ``$id`` is ``uri``), ``$ref``\\ s
    resolved through the catalogue's offline registries (see ``Catalogue.validator``)."""

    __slots__ = ("_detailed", "_fast", "uri")

    def __init__(
        self,
        body: dict[str, Any],
        uri: str,
        registry: Registry[Any],
        fast_registry: jsonschema_rs.Registry,
    ) -> None:
        self.uri = uri
        self._detailed = Draft202012Validator(body, registry=registry, format_checker=_FORMATS)
        self._fast = jsonschema_rs.validator_for(
            body, validate_formats=True, registry=fast_registry, base_uri=uri
        )

    def is_valid(self, instance: Any) -> bool:
        """True when ``instance`` satisfies the schema (fast path, formats checked)."""
        return bool(self._fast.is_valid(instance))

    def errors(self, instance: Any) -> list[SchemaError]:
        """Every error, sorted by pointer; empty when valid (as :meth:`is_valid` decides)."""
        return [] if self.is_valid(instance) else self._explain(instance)

    def check(self, instance: Any) -> None:
        """Raise :class:`InvalidEvent` listing every error unless ``instance`` is valid."""
        if not self.is_valid(instance):
            raise InvalidEvent(self._explain(instance))

    def _explain(self, instance: Any) -> list[SchemaError]:
        """Why the fast path refused ``instance``: every error, sorted by pointer."""
        found = detailed_errors(self._detailed, instance)
        if not found:  # the engines read the schema differently: the fast one's own errors
            found = sorted(
                {
                    SchemaError(pointer_to(error.instance_path), error.message)
                    for error in self._fast.iter_errors(instance)
                },
                key=lambda e: (e.pointer, e.message),
            )
        return found


def check_pattern(ecma: str) -> None:
    """Raise :class:`ValueError` (saying which engine, and why) unless the regular expression
    ``ecma`` (a ``pattern``, or a ``patternProperties`` key) compiles in both validators: the
    fast one (jsonschema-rs, ECMA-262 as JSON Schema 2020-12 section 6.4 reads it) and the
    detailed one (``jsonschema``, which searches with Python's ``re`` as written).
    """
    try:
        jsonschema_rs.validator_for({"pattern": ecma}, validate_formats=True)
    except jsonschema_rs.ValidationError:
        message = f"pattern {ecma!r} is not an ECMA-262 regular expression (jsonschema-rs)"
        raise ValueError(message) from None
    constraints.check_python_re(ecma, ecma)


def detailed_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """The ``jsonschema`` validator of a self-contained schema (no ``$ref`` to other
    documents), formats judged as everywhere in the protocol; build it once per schema."""
    return Draft202012Validator(schema, format_checker=_FORMATS)


def detailed_errors(detailed: Draft202012Validator, instance: Any) -> list[SchemaError]:
    """Every error of ``instance`` (the deepest under combinators), sorted by pointer."""
    found = {_describe(leaf) for error in detailed.iter_errors(instance) for leaf in _leaves(error)}
    return sorted(found, key=lambda e: (e.pointer, e.message))


def hub_only_errors(event: Any, under: str = "") -> list[SchemaError]:
    """The error of a publisher's ``event`` whose type only the hub may send
    (:data:`~protocol.registry.HUB_EVENTS`; none otherwise); ``under`` is the event's own
    pointer, which prefixes the error's (``/2`` for the third event of a batch)."""
    kind = event.get("type") if isinstance(event, dict) else None
    if kind not in registry.HUB_EVENTS:
        return []
    others = ", ".join(sorted(registry.HUB_EVENTS))
    return [
        SchemaError(
            pointer_to(["type"], under),
            f"{json_text(kind)} is sent by the hub only: a publisher cannot send {others}",
        )
    ]


def unknown_type_errors(
    errors: Sequence[SchemaError], events: Sequence[Any], event_types: Sequence[str], *, batch: bool
) -> list[SchemaError]:
    """``errors`` of a publisher's ``events`` (one, or a ``batch`` whose pointers start with
    the event's index: ``/2/type``), where each event whose ``type`` is not in ``event_types``
    (the catalogue's) has its errors at ``/type`` (the schema's enum lists every type) made
    one naming the types a publisher may send: ``event_types`` but
    :data:`~protocol.registry.HUB_EVENTS`. Other errors are kept, in order.
    """
    unknown = {
        pointer_to([i, "type"] if batch else ["type"]): event["type"]
        for i, event in enumerate(events)
        if isinstance(event, dict)
        and "type" in event
        and not (isinstance(event["type"], str) and event["type"] in event_types)
    }
    if not unknown:
        return list(errors)
    allowed = ", ".join(json_text(t) for t in event_types if t not in registry.HUB_EVENTS)
    found: list[SchemaError] = []
    replaced: set[str] = set()
    for error in errors:
        if error.pointer not in unknown:
            found.append(error)
        elif error.pointer not in replaced:  # once per event
            replaced.add(error.pointer)
            shown = json_text(unknown[error.pointer])
            message = f"{shown} is not a type a publisher may send: {allowed}"
            found.append(SchemaError(error.pointer, message))
    return found
