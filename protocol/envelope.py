"""The wire envelope every producer builds, and the clock that stamps it.

``{type, data, id, timestamp, ttl?}`` is what an SSE ``data:`` line carries
(``schemas/envelope.json``): the hub's stored events, its ephemeral frames (``connection``,
``keepalive``, ``stream_overflow``) and the guide's ``SSEEvent`` all come from
:func:`build_envelope`.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any


def utc_now() -> str:
    """The current time as RFC 3339 in UTC with milliseconds: ``2026-01-31T12:00:00.000Z``."""
    second, micros = divmod(time.time_ns() // 1000, 1_000_000)
    return f"{_utc_second(second)}.{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=1)
def _utc_second(second: int) -> str:
    """The whole ``second`` (since the epoch) as RFC 3339 in UTC without its fraction (the
    last one's is kept: a publish in each millisecond names the same second)."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def build_envelope(
    type: str, data: Any, *, id: str, timestamp: str, ttl: float | None = None
) -> dict[str, Any]:
    """The envelope ``{"type", "data", "id", "timestamp", "ttl"?}`` as a JSON-ready dict.

    ``data`` is the event's payload as on the wire (camelCase keys); ``id`` is ``""`` for
    events kept out of history (no SSE ``id:`` line); ``timestamp`` is RFC 3339 (see
    :func:`utc_now`); ``ttl`` (seconds in history) is carried only when given. Nothing is
    validated here (``Catalogue.check_envelope`` does that).
    """
    envelope: dict[str, Any] = {"type": type, "data": data, "id": id, "timestamp": timestamp}
    if ttl is not None:
        envelope["ttl"] = ttl
    return envelope
