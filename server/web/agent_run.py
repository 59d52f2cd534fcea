"""The SSE routes: ``/sse/{session_id}``, the guide's ``/agent_network_sse/{session_id}``, and
the ADK-style run endpoint that streams an agent's work.

Each route checks the session id, the caller and the connection limit, then answers with
:func:`~server.streaming.body.event_stream` as the body (Quart's response timeout off). A ``GET``
of the first two never reaches these routes while the app serves: :mod:`server.streaming.asgi`
answers it with the same checks and body, without Quart's per-chunk cost.

``HEAD`` passes the same checks and answers the same head, with no body: it subscribes to
nothing and starts no run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import Any, cast

import orjson
from quart import Blueprint, Response, current_app, request

from ..agent import AgentRequest, run_agent
from ..hub import Hub
from ..problems import Problem
from ..security.access import check_start_work, forbid_unless
from ..security.auth import Principal
from ..streaming.admission import admit_stream
from ..streaming.body import HEADERS
from .context import SluiceApp, resume_point

blueprint = Blueprint("streams", __name__)

_FINAL_EVENTS = (b"event: message_regenerated\n", b"event: regeneration_error\n")


async def _no_body() -> AsyncGenerator[bytes]:
    return
    yield


def _streaming(
    hub: Hub, session_id: str, principal: Principal, last_event_id: str | None, **options: Any
) -> Response:
    """The stream's response; for ``HEAD`` its head alone: no subscription, nothing started."""
    if request.method == "HEAD":
        return current_app.response_class(_no_body(), status=200, headers=HEADERS)
    body = hub.stream(session_id, principal, last_event_id, **options)
    response = current_app.response_class(body, status=200, headers=HEADERS)
    response.timeout = None  # RESPONSE_TIMEOUT would cut the stream
    return response


def _open(session_id: str, *, publish: bool = False) -> tuple[Hub, str, Principal]:
    """The hub, the checked session id and the caller allowed to read it (and publish to it)."""
    hub = cast(SluiceApp, current_app).hub
    session_id, principal = admit_stream(hub, session_id, request, publish=publish)
    return hub, session_id, principal


@blueprint.get("/sse/<session_id>")
@blueprint.get("/agent_network_sse/<session_id>")
async def stream(session_id: str) -> Response:
    """Stream a session: history after the resume point, then live events."""
    hub, session_id, principal = _open(session_id)
    return _streaming(hub, session_id, principal, resume_point())


def run_finished(message_id: str) -> Callable[[bytes], bool]:
    """Whether a chunk holds the final event (answer or error) of the run of ``message_id``."""
    needle = b'"messageId":' + orjson.dumps(message_id)

    def finished(chunk: bytes) -> bool:
        return needle in chunk and any(
            needle in frame and any(final in frame for final in _FINAL_EVENTS)
            for frame in chunk.split(b"\n\n")
        )

    return finished


@blueprint.get("/apps/<app_name>/users/<user_id>/sessions/<session_id>/run")
async def adk_run(app_name: str, user_id: str, session_id: str) -> Response:
    """Run the agent on ``?query=`` and stream the session until the run's answer (or error).

    ``user_id`` must be the token's subject. Without a resume point the stream starts after
    the session's newest event, so the caller sees this run (and whatever else is published).
    """
    hub, session_id, principal = _open(session_id, publish=True)
    check_start_work(hub, request)
    forbid_unless(
        principal.anonymous or user_id == principal.subject, "user_id must be the token's subject"
    )
    query = request.args.get("query", "").strip()
    if not query:
        raise Problem(400, "invalid-parameter", "Invalid parameter", "query= is required")
    message_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    agent_request = AgentRequest(
        query=query, session_id=session_id, user_id=principal.subject or user_id, app_name=app_name
    )
    start = partial(
        hub.start_soon,
        "adk_run",
        partial(run_agent, message_id=message_id, task_id=task_id),
        hub.agent,
        hub.broadcaster,
        agent_request,
    )
    last_event_id = resume_point() or hub.broadcaster.session_stats(session_id).get("lastEventId")
    return _streaming(
        hub, session_id, principal, last_event_id, on_open=start, until=run_finished(message_id)
    )
