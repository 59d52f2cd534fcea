"""The guide's request-response pattern: ``POST /api/chat_actions/regenerate``.

The answer comes at once with the new ``messageId``; the agent runs as the hub's background
work and reports ``message_regenerating``, the thought process, ``regeneration_progress``...,
then ``message_regenerated`` (or ``regeneration_error``) on the session. Shutdown cancels it.
"""

from __future__ import annotations

import uuid
from functools import partial

from quart import Blueprint, Response

from sse_core import EventTooLarge
from sse_core.idempotency import KeyReused, check

from ..agent import AgentRequest, check_query, run_agent
from ..problems import Problem
from ..security.access import check_backplane, require_right
from ..security.limits import query_too_large
from .context import caller, check_request, current_hub, json_body, json_response
from .idempotency import request_claim, reused

blueprint = Blueprint("chat_actions", __name__, url_prefix="/api/chat_actions")


@blueprint.post("/regenerate")
async def regenerate() -> Response:
    """Start regenerating a message; the result arrives over SSE.

    The body is checked by :func:`~server.web.context.check_request`: a malformed
    ``sessionId`` is a 400 ``invalid-session-id``, any other error a 422 ``invalid-request``;
    a query that does not fit in the events that carry it is a 413 ``event-too-large``
    (:func:`~server.agent.check_query`), and starts nothing.

    With an ``Idempotency-Key`` (see :mod:`server.web.idempotency`) a repeat gets the first
    answer's ``messageId`` and starts no second run.
    """
    hub = current_hub()
    principal = caller(hub, write=True)
    doc = check_request(await json_body(), "rest/regenerate-request.json")
    session_id = doc["sessionId"]
    require_right(principal.may_publish(session_id), f"no right to publish to {session_id}")
    hub = current_hub()  # still open after reading the body?
    check_backplane(hub, "regenerate")  # a run started now could store none of its events
    message_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    agent_request = AgentRequest(
        query=doc["query"], session_id=session_id, user_id=principal.subject
    )
    regenerating = doc.get("messageId", "")
    try:
        check_query(
            hub.broadcaster,
            agent_request,
            message_id=message_id,
            task_id=task_id,
            regenerating=regenerating,
        )
    except EventTooLarge as error:
        raise query_too_large(error, "/query") from None
    claim = request_claim(hub, principal, session_id, doc)
    if claim is not None:
        recorded = await hub.broadcaster.backplane.record(claim, (message_id,))
        if recorded is not None:  # a repeat: the first one's answer, no second run
            try:
                (message_id,) = check(claim, recorded)
            except KeyReused as error:
                raise reused(error) from None
            return _started(message_id)
        try:
            hub = current_hub()  # still open?
        except Problem:
            await hub.broadcaster.backplane.discard(claim.key)  # the work never started
            raise
    hub.start_soon(
        "regenerate",
        partial(run_agent, message_id=message_id, task_id=task_id, regenerating=regenerating),
        hub.agent,
        hub.broadcaster,
        agent_request,
    )
    return _started(message_id)


def _started(message_id: str) -> Response:
    return json_response(
        {
            "success": True,
            "messageId": message_id,
            "message": "Regeneration started, listen for SSE events",
        }
    )
