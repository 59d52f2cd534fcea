"""The session REST API: publish, the polling fallback (of one session, or of several at once),
session create/stats/clear, hub stats."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from quart import Blueprint, Response, current_app, request

from sse_core import HistoryPage
from sse_core.idempotency import KeyReused

from ..hub import Hub
from ..problems import Problem, query_parameter
from ..publishing import publish_events
from ..security.access import check_backplane, require_right
from ..security.limits import check_session_list
from .context import caller, current_hub, json_body, json_response, session_access
from .idempotency import request_claim, reused

blueprint = Blueprint("sessions", __name__, url_prefix="/api")

MAX_PAGE = 1000
#: A page size as written in a URL: ASCII digits (``str.isdigit`` also takes ``²`` and ``٣``),
#: leading zeros allowed, at most four digits after them (``int`` refuses over 4,300).
_LIMIT = re.compile(r"0*([0-9]{1,4})")


def _session(session_id: str, *, publish: bool = False) -> tuple[Hub, str]:
    """The hub and the checked session id, for a caller with the right to read (or publish)."""
    hub, session_id, _ = session_access(session_id, publish=publish)
    return hub, session_id


@blueprint.post("/sessions/<session_id>/events")
async def publish(session_id: str) -> Response:
    """Publish one event ``{"type", "data", "ttl"?}`` or an array of them, all or nothing
    (:func:`~server.publishing.publish_events`).

    With an ``Idempotency-Key`` (see :mod:`server.web.idempotency`) a repeat gets the first
    answer and publishes nothing.
    """
    hub, session_id, principal = session_access(session_id, publish=True)
    doc = await json_body()
    claim = request_claim(hub, principal, session_id, doc)
    try:
        answer = await publish_events(hub, session_id, doc, claim=claim)
    except KeyReused as error:
        raise reused(error) from None
    return json_response(answer, 201)


def _limit(raw: str | None) -> int:
    """The ``limit=`` of a polling request: 100 without one; a 400 problem unless an integer
    from 1 to ``MAX_PAGE`` written in ASCII digits."""
    if raw is None:
        return 100
    match = _LIMIT.fullmatch(raw)
    if match is None or not 1 <= int(match[1]) <= MAX_PAGE:
        raise Problem(
            400,
            "invalid-parameter",
            "Invalid parameter",
            f"limit= must be an integer from 1 to {MAX_PAGE}",
        )
    return int(match[1])


@blueprint.get("/sessions/<session_id>/events")
async def poll(session_id: str) -> Response:
    """The polling fallback: events after ``after=`` (oldest first, at most ``limit=``).

    ``reset`` is true when history no longer reaches back to ``after``: refetch state.
    ``lastEventId`` is the id to pass as ``after=`` next time.
    """
    hub, session_id = _session(session_id)
    after = query_parameter(request.args, "after") or None
    page = await hub.broadcaster.events_after(
        session_id, after=after, limit=_limit(query_parameter(request.args, "limit"))
    )
    reset = page.reset_reason is not None
    last = page.events[-1].id if page.events else (None if reset else after)
    return json_response(
        {
            "sessionId": session_id,
            "events": [event.envelope for event in page.events],
            "reset": reset,
            "resetReason": page.reset_reason,
            "lastEventId": last,
        }
    )


@blueprint.get("/events")
async def poll_sessions() -> Response:
    """The polling fallback of several sessions (``session=a&session=b``, as a stream of them
    takes them; each needs the subscribe right, 403 naming the first refused): the events of
    them all after ``after=`` (one id resumes them all), oldest first, at most ``limit=``, each
    envelope naming its session in ``sessionId``.

    ``resets`` maps each session whose history no longer reaches back to ``after`` to why
    (refetch its state). ``lastEventId`` is the id to pass as ``after=`` next time.
    """
    hub = current_hub()
    session_ids = check_session_list(
        request.args.getlist("session"), hub.settings.max_sessions_per_stream
    )
    principal = caller(hub)
    for session_id in session_ids:
        require_right(principal.may_subscribe(session_id), f"no right to read {session_id}")
    after = query_parameter(request.args, "after") or None
    limit = _limit(query_parameter(request.args, "limit"))
    pages = await hub.broadcaster.backplane.replay_sessions(session_ids, after, limit)
    events = _merged(pages, limit)
    resets = {s: page.reset_reason for s, page in pages.items() if page.reset_reason is not None}
    last = events[-1]["id"] if events else (None if resets else after)
    return json_response(
        {"sessionIds": list(session_ids), "events": events, "resets": resets, "lastEventId": last}
    )


def _merged(pages: Mapping[str, HistoryPage], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` events of ``pages`` (each at most ``limit`` long) in the order
    published, each envelope with its ``sessionId`` first."""
    tagged = [(event, s) for s, page in pages.items() for event in page.events]
    tagged.sort(key=lambda pair: pair[0].position)
    return [{"sessionId": s, **event.envelope} for event, s in tagged[:limit]]


@blueprint.put("/sessions/<session_id>")
async def create(session_id: str) -> Response:
    """Create the session explicitly (publishing creates it too); answers its stats."""
    hub, session_id = _session(session_id, publish=True)
    check_backplane(hub, "write")
    await hub.broadcaster.create_session(session_id)
    return json_response(hub.broadcaster.session_stats(session_id))


@blueprint.get("/sessions/<session_id>/stats")
async def session_stats(session_id: str) -> Response:
    """Figures of one session (``schemas/rest/session-stats.json``)."""
    hub, session_id = _session(session_id)
    return json_response(hub.broadcaster.session_stats(session_id))


@blueprint.delete("/sessions/<session_id>")
async def clear(session_id: str) -> Response:
    """Drop the session's history; its subscribers stay connected."""
    hub, session_id = _session(session_id, publish=True)
    await hub.broadcaster.clear_session(session_id)
    return current_app.response_class(b"", status=204)


@blueprint.get("/stats")
async def stats() -> Response:
    """Hub totals, and the figures of the sessions the caller may read."""
    hub = current_hub()
    principal = caller(hub)
    figures = await hub.broadcaster.get_stats()
    figures["sessionStats"] = {
        sid: s for sid, s in figures["sessionStats"].items() if principal.may_subscribe(sid)
    }
    return json_response(figures)
