"""Each call of the hub's REST API as plain data: the request to send and how to read the
answer. Sans-IO: :class:`~sluice_client.Client` and :class:`~sluice_client.AsyncClient` send
the same :class:`Call` (retrying it as :mod:`sluice_client.retry` says) over httpx.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import attrs
import httpx

from .events import Catalogue, EventInput, StreamEvent, to_wire

_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def idempotency_key(key: str | None = None) -> str:
    """``key``, checked, or a new random one (a UUID) when None.

    A key is 1 to 255 visible ASCII characters (the hub's rule); raises ``ValueError`` else.
    """
    if key is None:
        return str(uuid.uuid4())
    if not _KEY.fullmatch(key):
        raise ValueError(f"an Idempotency-Key is 1 to 255 visible ASCII characters, got {key!r}")
    return key


def key_header(key: str) -> str:
    """The ``Idempotency-Key`` field value of ``key``: a structured-field string (RFC 8941
    section 3.3.3), as the IETF httpapi draft "The Idempotency-Key HTTP Header Field" has it."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


@attrs.frozen
class Published:
    """The answer to a publish: ``session_id``, the ``ids`` given to the events in order, and
    the ``idempotency_key`` it was sent with (a retry with it is stored once)."""

    session_id: str
    ids: list[str]
    idempotency_key: str


@attrs.frozen
class Regeneration:
    """The answer to a regenerate: the ``message_id`` the session's events will carry, the
    hub's ``message`` and the ``idempotency_key`` it was sent with."""

    message_id: str
    message: str
    idempotency_key: str


@attrs.frozen
class HistoryPage:
    """A page of a session's history (``schemas/rest/history-response.json``).

    ``events``: the :class:`~sluice_client.StreamEvent` s after the ``after`` asked for, oldest
    first. ``last_event_id``: what to pass as ``after`` for the next page, the hub's
    ``lastEventId`` (the ``after`` given when the page is empty; None to read from the start:
    nothing read yet, or a reset page without events, whose ``after`` is of no use and would
    be reset again on every page). ``reset`` (bool) and
    ``reset_reason`` (``history_exhausted``, ``unknown_epoch``, ``malformed_id``,
    ``foreign_id`` or None): history could not cover the events after ``after`` exactly, as a
    stream's ``stream_reset`` says: refetch your state.
    """

    session_id: str
    events: list[StreamEvent]
    last_event_id: str | None
    reset: bool
    reset_reason: str | None


@attrs.frozen
class Call[T]:
    """One request: ``method``, ``path`` (under the base URL), ``body`` (JSON bytes or None),
    extra ``headers``, and ``parse``, which reads a successful answer into a ``T``."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: bytes | None = None
    headers: dict[str, str] = attrs.Factory(dict)


def _json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def session_path(session_id: str, tail: str = "", *, prefix: str = "/api/sessions") -> str:
    """The path ``{prefix}/{session_id}{tail}``, the id percent-encoded as one segment (RFC 3986
    section 3.3), so that the hub judges the id it was given.

    An id ``.`` or ``..`` goes as ``%2E`` or ``%2E%2E``: left as it is, the URL's dot segments
    would be removed (RFC 3986 section 5.2.4) and ``/api/sessions/../stats`` would ask for
    ``/api/stats``; the hub answers such an id with its ``400 invalid-session-id``. Raises
    ``ValueError`` for an empty id, which no path segment can carry.
    """
    if not session_id:
        raise ValueError("a session id is 1 to 128 characters, got an empty one")
    segment = quote(session_id, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return f"{prefix}/{segment}{tail}"


def publish(
    session_id: str,
    events: EventInput | Sequence[EventInput],
    *,
    ttl: float | None,
    key: str | None,
) -> Call[Published]:
    """``POST /api/sessions/{id}/events``: one event, or a list (a batch, all or nothing)."""
    key = idempotency_key(key)
    if isinstance(events, Sequence):
        doc: Any = [to_wire(event, ttl) for event in events]
    else:
        doc = to_wire(events, ttl)

    def parse(response: httpx.Response) -> Published:
        answer = response.json()
        return Published(answer["sessionId"], list(answer["ids"]), key)

    return Call(
        "POST",
        session_path(session_id, "/events"),
        parse,
        _json(doc),
        {"Content-Type": "application/json", "Idempotency-Key": key_header(key)},
    )


def regenerate(
    session_id: str, query: str, *, message_id: str | None, key: str | None
) -> Call[Regeneration]:
    """``POST /api/chat_actions/regenerate``: the hub's agent answers ``query`` again."""
    key = idempotency_key(key)
    doc = {"sessionId": session_id, "query": query}
    if message_id is not None:
        doc["messageId"] = message_id

    def parse(response: httpx.Response) -> Regeneration:
        answer = response.json()
        return Regeneration(answer["messageId"], answer["message"], key)

    return Call(
        "POST",
        "/api/chat_actions/regenerate",
        parse,
        _json(doc),
        {"Content-Type": "application/json", "Idempotency-Key": key_header(key)},
    )


def _document(response: httpx.Response) -> dict[str, Any]:
    doc: dict[str, Any] = response.json()
    return doc


def history(
    session_id: str, *, after: str | None, limit: int, catalogue: Catalogue
) -> Call[HistoryPage]:
    """``GET /api/sessions/{id}/events?after=&limit=``: the polling fallback, one page of the
    session's history (``limit`` events, 1 to 1000), its events structured by ``catalogue``."""
    query = {"limit": str(limit)} | ({} if after is None else {"after": after})

    def parse(response: httpx.Response) -> HistoryPage:
        answer = response.json()
        return HistoryPage(
            answer["sessionId"],
            [catalogue.event(envelope) for envelope in answer["events"]],
            answer["lastEventId"],
            bool(answer["reset"]),
            answer["resetReason"],
        )

    path = session_path(session_id, "/events") + "?" + urlencode(query)
    return Call("GET", path, parse)


def create_session(session_id: str) -> Call[dict[str, Any]]:
    """``PUT /api/sessions/{id}``: the session's stats (``schemas/rest/session-stats.json``)."""
    return Call("PUT", session_path(session_id), _document)


def session_stats(session_id: str) -> Call[dict[str, Any]]:
    """``GET /api/sessions/{id}/stats``: ``sessionId``, ``subscribers``, ``historySize``,
    ``active`` and the session's counters."""
    return Call("GET", session_path(session_id, "/stats"), _document)


def clear(session_id: str) -> Call[None]:
    """``DELETE /api/sessions/{id}``: drop the session's history."""
    return Call("DELETE", session_path(session_id), lambda response: None)


def stats() -> Call[dict[str, Any]]:
    """``GET /api/stats``: the hub's totals and the sessions the token may read."""
    return Call("GET", "/api/stats", _document)
