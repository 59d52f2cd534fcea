"""An event's records inside the hub: the draft a publisher's event becomes, the stored
event (envelope and frame, encoded once), and a page of history."""

from __future__ import annotations

from typing import Any, Literal

import attrs
import orjson

from protocol import build_envelope, encode_envelope, frame_envelope_json

#: Why a resume could not continue exactly where the client left off (``stream_reset``).
ResetReason = Literal["history_exhausted", "unknown_epoch", "malformed_id", "foreign_id"]


@attrs.frozen(kw_only=True)
class Draft:
    """A validated event the hub accepted, before the backplane gives it an id.

    ``type`` and ``data`` are the wire form (camelCase keys); ``timestamp`` is when the hub
    accepted it (RFC 3339, UTC); ``ttl`` is the publisher's own time to live, or None for
    the hub's ``event_ttl``.
    """

    type: str
    data: dict[str, Any]
    timestamp: str
    ttl: float | None = None


@attrs.frozen(kw_only=True)
class StoredEvent:
    """An event with its id, as kept in history and handed to every subscriber.

    ``frame`` is its complete SSE frame, encoded once: every subscriber receives this same
    bytes object, and a replay from a store frames the stored envelope bytes as they are.
    ``type`` is the event type. ``position`` orders the events of a session (the backplane's
    sequence); ``accepted_at`` and ``expires_at`` are ``trio.current_time()`` values of this
    process. :attr:`envelope` and the fields after it decode the frame's JSON on each call
    (for readers of history such as polling, not for fan-out).
    """

    id: str
    position: int
    type: str
    frame: bytes
    accepted_at: float
    expires_at: float

    @classmethod
    def build(cls, draft: Draft, *, id: str, position: int, now: float, ttl: float) -> StoredEvent:
        """Make the envelope of ``draft`` under ``id`` and encode its frame.

        ``ttl`` is the time to live to apply (the draft's own, or the hub's default).
        """
        return cls(
            id=id,
            position=position,
            type=draft.type,
            frame=encode_envelope(
                build_envelope(
                    draft.type, draft.data, id=id, timestamp=draft.timestamp, ttl=draft.ttl
                )
            ),
            accepted_at=now,
            expires_at=now + ttl,
        )

    @classmethod
    def framed(
        cls, envelope_json: bytes, *, id: str, type: str, position: int, now: float, ttl: float
    ) -> StoredEvent:
        """The event whose envelope, under ``id``, was encoded to ``envelope_json`` before
        (a store kept those bytes): framed as they are, without decoding them."""
        return cls(
            id=id,
            position=position,
            type=type,
            frame=frame_envelope_json(envelope_json, id=id, type=type),
            accepted_at=now,
            expires_at=now + ttl,
        )

    @property
    def envelope(self) -> dict[str, Any]:
        """The envelope the frame's ``data:`` line carries (``type``, ``data``, ``id``,
        ``timestamp``, ``ttl`` when set), decoded anew on each call."""
        start = self.frame.index(b"data: ") + len(b"data: ")
        envelope: dict[str, Any] = orjson.loads(self.frame[start:-2])
        return envelope

    @property
    def data(self) -> dict[str, Any]:
        """The event's payload, camelCase keys as on the wire."""
        data: dict[str, Any] = self.envelope["data"]
        return data

    @property
    def created_at(self) -> str:
        """When the hub accepted the event (RFC 3339, UTC)."""
        return str(self.envelope["timestamp"])

    @property
    def ttl(self) -> float | None:
        """The publisher's own time to live in seconds, or None (the hub's ``event_ttl``)."""
        ttl: float | None = self.envelope.get("ttl")
        return ttl


@attrs.frozen(kw_only=True)
class HistoryPage:
    """Events of one session read from history, oldest first.

    ``reset_reason`` is None when the page continues exactly after the id asked for (or none
    was asked for); otherwise history could not cover that id and ``events`` is what it holds.
    ``position`` is how far the page reaches in the session's order: its last event's
    position, or the resume point's when nothing newer is held; None when it reaches nothing.
    A subscriber drops live events at or below it (they were replayed or already seen).
    ``epoch`` is the epoch of the store the page was read from (positions count within it).
    """

    events: list[StoredEvent]
    reset_reason: ResetReason | None = None
    position: int | None = None
    epoch: str = ""
