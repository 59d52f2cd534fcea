"""A publish request on plain values: the publisher's checks, the events' checks, the publish.

``POST /api/sessions/{sessionId}/events`` is answered the same way on every path that serves it
(the Quart route, :mod:`server.web.sessions`, and the front's fast path for kept-alive
publishers, :mod:`server.streaming.publishes`): both call :func:`check_publisher` and
:func:`publish_events`.
"""

from __future__ import annotations

import logging
from typing import Any

from protocol import InvalidEvent, SchemaError, hub_only_errors, pointer_to, unknown_type_errors
from sse_core import EventTooLarge
from sse_core.idempotency import Claim

from . import logs
from .hub import Hub
from .problems import Problem
from .security.access import Request, authenticate, check_open, require_right
from .security.auth import Principal
from .security.limits import check_session_id, event_too_large

log = logging.getLogger("sluice.publish")

MAX_BATCH = 1000
PREFIX = "/api/sessions/"
SUFFIX = "/events"


def publish_session(method: str, path: str) -> str | None:
    """The session id when ``method`` and ``path`` are a publish, else ``None``."""
    if method != "POST" or not path.startswith(PREFIX) or not path.endswith(SUFFIX):
        return None
    session_id = path[len(PREFIX) : -len(SUFFIX)]
    return session_id if session_id and "/" not in session_id else None


def check_publisher(hub: Hub, session_id: str, request: Request) -> tuple[str, Principal]:
    """The checked session id and the caller allowed to publish to it: in order the session id
    (400), the hub open (503), the write's origin and token (403, 401), the right (403)."""
    session_id = check_session_id(session_id)
    check_open(hub)
    principal = authenticate(hub, request, write=True)
    require_right(principal.may_publish(session_id), f"no right to publish to {session_id}")
    return session_id, principal


def _invalid(errors: list[SchemaError], detail: str) -> Problem:
    return Problem(422, "invalid-event", "Invalid event", detail, errors=errors)


def _events(doc: Any) -> tuple[list[Any], bool]:
    """The events of the JSON document ``doc`` and whether it was a batch: 422 for an empty or
    too long batch or a control event."""
    batch = isinstance(doc, list)
    events: list[Any] = doc if batch else [doc]
    if batch and not 1 <= len(events) <= MAX_BATCH:
        raise _invalid(
            [SchemaError("", f"a batch holds 1 to {MAX_BATCH} events, got {len(events)}")],
            "the batch is empty or too long",
        )
    reserved = [
        error
        for i, event in enumerate(events)
        for error in hub_only_errors(event, pointer_to([i] if batch else []))
    ]
    if reserved:
        raise _invalid(reserved, "control events cannot be published")
    return events, batch


async def publish_events(
    hub: Hub, session_id: str, doc: Any, *, claim: Claim | None = None
) -> dict[str, Any]:
    """Publish the event (or array of events) ``doc``, a parsed body, to the checked
    ``session_id``, all or nothing: the answer's document ``{"sessionId", "ids"}`` (201).
    ``claim`` is the request's ``Idempotency-Key`` claim.

    Raises a :class:`~server.problems.Problem`: 413 (an event over ``--max-event-bytes``,
    which the broadcaster holds), 422 (an empty or too long batch, a control event, every
    schema error), 503 (shutting down); ``sse_core.idempotency.KeyReused`` for a key sent
    again with another body; ``BackplaneUnavailable`` when the backplane cannot be reached.
    """
    events, batch = _events(doc)
    broadcaster = check_open(hub).broadcaster
    try:
        if batch:
            ids = await broadcaster.publish_many(session_id, events, claim=claim)
        else:
            ids = [await broadcaster.publish(session_id, events[0], claim=claim)]
    except EventTooLarge as error:
        raise event_too_large(error) from None
    except InvalidEvent as error:
        types = broadcaster.catalogue.event_types
        errors = unknown_type_errors(error.errors, events, types, batch=batch)
        logs.event(
            log,
            "publish_error",
            logging.WARNING,
            session_id=session_id,
            errors=[str(e) for e in errors],
        )
        raise _invalid(errors, "nothing was published: fix every error listed") from None
    return {"sessionId": session_id, "ids": ids}
