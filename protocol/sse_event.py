"""The guide's ``SSEEvent``: an event with its envelope fields, framed by :mod:`protocol.wire`."""

from __future__ import annotations

from typing import Any

import attrs

from .envelope import build_envelope, utc_now
from .wire import encode_envelope

_optional_str = attrs.validators.optional(attrs.validators.instance_of(str))


@attrs.frozen
class SSEEvent:
    """One event as the guide builds it: ``SSEEvent(type="message", data={...}).to_sse_format()``.

    ``type``
        The event type; becomes the SSE ``event:`` field and the envelope's ``type``.
    ``data``
        The event's payload (a JSON object, camelCase keys), the envelope's ``data``.
    ``id``
        The event id; the SSE ``id:`` field and the envelope's ``id``. None or ``""`` for
        events kept out of history (connection, keepalive): no ``id:`` line is written.
    ``timestamp``
        RFC 3339 time the event was made; defaults to now (UTC).
    ``retry``
        Reconnection delay in milliseconds to send with the event, or None.
    ``ttl``
        Seconds the event stays in history, carried in the envelope when set.

    Nothing is validated against the schemas here (``protocol.check_envelope`` does that);
    encoding raises :class:`~protocol.errors.LocalProtocolError` when a value would break the
    framing, e.g. a type containing a newline.
    """

    type: str = attrs.field(validator=attrs.validators.instance_of(str))
    data: dict[str, Any] = attrs.field(validator=attrs.validators.instance_of(dict))
    id: str | None = attrs.field(default=None, validator=_optional_str)
    timestamp: str = attrs.field(factory=utc_now, validator=attrs.validators.instance_of(str))
    retry: int | None = None
    ttl: float | None = None

    def envelope(self) -> dict[str, Any]:
        """The JSON envelope the ``data:`` field carries: ``{type, data, id, timestamp, ttl?}``."""
        return build_envelope(
            self.type, self.data, id=self.id or "", timestamp=self.timestamp, ttl=self.ttl
        )

    def encode(self) -> bytes:
        """The bytes of the event's SSE frame (encode once, send the same bytes to everyone)."""
        return encode_envelope(self.envelope(), retry=self.retry)

    def to_sse_format(self) -> str:
        """The event's SSE frame as text, as the guide's generators yield it."""
        return self.encode().decode()
