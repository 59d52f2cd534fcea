"""The ADK-style run endpoint: runs the agent on a query and streams the session's events
until the run's answer (or error).

The route admits the stream as every stream is admitted
(:func:`~server.streaming.admission.admit_stream`, with the publish right too) and answers with
the stream body (:meth:`~server.hub.Hub.stream`) and the stream headers
(:data:`~server.streaming.writer.STREAM_HEADERS`), Quart's response timeout off. The session
streams themselves (``/sse/{id}``, ``/agent_network_sse/{id}``) never reach Quart: see
:mod:`server.streaming`.

``HEAD`` passes the same checks and answers the same head, with no body: it subscribes to
nothing and starts no run. A run started with a cookie or query token needs a page of an
allowed origin (:func:`~server.security.access.check_start_work`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from functools import partial
from typing import Any, cast

import orjson
from quart import Blueprint, Response, current_app, request

from sse_core import EventTooLarge

from ..agent import AgentRequest, check_query, run_agent
from ..hub import Hub
from ..problems import Problem, query_parameter
from ..security.access import check_start_work, require_right
from ..security.auth import Principal
from ..security.limits import query_too_large
from ..streaming.admission import admit_stream
from ..streaming.body import first_chunk
from ..streaming.writer import STREAM_HEADERS
from .context import SluiceApp, resume_point

blueprint = Blueprint("streams", __name__)

_FINAL_EVENTS = (b"event: message_regenerated\n", b"event: regeneration_error\n")


async def _no_body() -> AsyncGenerator[bytes]:
    return
    yield


async def _after(first: bytes, body: AsyncGenerator[bytes]) -> AsyncGenerator[bytes]:
    """``first``, then the rest of ``body`` (closed with this generator)."""
    async with aclosing(body):
        yield first
        async for chunk in body:
            yield chunk


async def _streaming(
    hub: Hub, session_id: str, principal: Principal, last_event_id: str | None, **options: Any
) -> Response:
    """The stream's response, once subscribed (a backplane out of reach: the 503 problem);
    for ``HEAD`` its head alone: no subscription, nothing started."""
    if request.method == "HEAD":
        return current_app.response_class(_no_body(), status=200, headers=dict(STREAM_HEADERS))
    body = hub.stream((session_id,), principal, last_event_id, **options)
    first = await first_chunk(body)
    response = current_app.response_class(
        _after(first, body), status=200, headers=dict(STREAM_HEADERS)
    )
    response.timeout = None  # RESPONSE_TIMEOUT would cut the stream
    return response


def _open(session_id: str, *, publish: bool = False) -> tuple[Hub, str, Principal]:
    """The hub, the checked session id and the caller allowed to read it (and publish to it)."""
    hub = cast(SluiceApp, current_app).hub
    session_id, principal = admit_stream(hub, session_id, request, publish=publish)
    return hub, session_id, principal


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

    ``user_id`` must be the token's subject. A query that does not fit in the events that
    carry it is a 413 ``event-too-large`` (:func:`~server.agent.check_query`), for ``HEAD``
    too. Without a resume point the stream starts after the session's newest event, so the
    caller sees this run (and whatever else is published).
    """
    hub, session_id, principal = _open(session_id, publish=True)
    check_start_work(hub, request)
    require_right(
        principal.anonymous or user_id == principal.subject, "user_id must be the token's subject"
    )
    query = (query_parameter(request.args, "query") or "").strip()
    if not query:
        raise Problem(400, "invalid-parameter", "Invalid parameter", "query= is required")
    message_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    agent_request = AgentRequest(
        query=query, session_id=session_id, user_id=principal.subject or user_id, app_name=app_name
    )
    try:
        check_query(hub.broadcaster, agent_request, message_id=message_id, task_id=task_id)
    except EventTooLarge as error:
        raise query_too_large(error, None) from None
    start = partial(
        hub.start_soon,
        "adk_run",
        partial(run_agent, message_id=message_id, task_id=task_id),
        hub.agent,
        hub.broadcaster,
        agent_request,
    )
    last_event_id = resume_point() or hub.broadcaster.session_stats(session_id).get("lastEventId")
    return await _streaming(
        hub, session_id, principal, last_event_id, on_open=start, until=run_finished(message_id)
    )
