"""The stream routes ``GET /sse/{id}`` and ``GET /agent_network_sse/{id}`` as a plain ASGI handler.

Quart's request and response machinery costs as much per body chunk as the rest of the stream
path together, so :class:`~server.web.context.SluiceApp` hands these two routes to
:func:`serve_stream` before Quart sees them. Everything a stream does is shared with the Quart
routes: the checks (:func:`~server.streaming.admission.admit_stream`), the problem bodies, and
the body itself (:meth:`~server.hub.Hub.stream`); only the ASGI messages are written here. Each
coalesced batch of frames goes out as one ``http.response.body`` message.

Every other method and path (``HEAD``, a path with more segments, the run endpoint) stays with
Quart, which answers it as before.

Under ``sluice serve`` the front (:mod:`server.streaming.front`) serves a new connection's
admitted stream before Hypercorn sees it; the streams that reach the app (a refused one, one on
a kept-alive connection, every one under the ``hypercorn`` command) are served here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing

import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
)
from werkzeug.datastructures import Headers
from werkzeug.sansio.request import Request

from ..hub import Hub
from ..problems import MEDIA_TYPE, Problem, internal_error
from .admission import admit_stream, resume_point
from .body import HEADERS

PREFIXES = ("/sse/", "/agent_network_sse/")
_START: HTTPResponseStartEvent = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()],
}
_END: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}


def stream_session(scope: HTTPScope) -> str | None:
    """The session id when ``scope`` is a ``GET`` of a stream route this handler serves."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path = scope["path"]
    for prefix in PREFIXES:
        if path.startswith(prefix):
            session_id = path[len(prefix) :]
            return session_id if session_id and "/" not in session_id else None
    return None


def _request(scope: HTTPScope) -> Request:
    """The request's headers, cookies and query, read as Quart reads them."""
    headers = Headers()
    for name, value in scope["headers"]:
        headers.add(name.decode("latin1").title(), value.decode("latin1"))
    return Request(
        scope["method"],
        scope["scheme"],
        scope.get("server"),
        "",
        scope["path"],
        scope["query_string"],
        headers,
        None,
    )


def open_stream(hub: Hub, session_id: str, scope: HTTPScope) -> AsyncGenerator[bytes]:
    """The body of an admitted stream (the parsed request is not kept while it streams)."""
    request = _request(scope)
    session_id, principal = admit_stream(hub, session_id, request)
    return hub.stream(session_id, principal, resume_point(request))


async def _send_problem(send: ASGISendCallable, problem: Problem, instance: str) -> None:
    body = problem.encode(instance)
    headers = [(name.lower().encode(), value.encode()) for name, value in problem.headers.items()]
    headers += [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _cancel_on_disconnect(receive: ASGIReceiveCallable, scope: trio.CancelScope) -> None:
    """Cancel ``scope`` (the stream: its subscription is freed at once) when the client goes."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def serve_stream(
    hub: Hub,
    logger: logging.Logger,
    session_id: str,
    scope: HTTPScope,
    receive: ASGIReceiveCallable,
    send: ASGISendCallable,
) -> None:
    """Answer a stream request: a problem, or the session's stream until either side ends it.

    An unexpected exception before the stream starts is logged to ``logger`` (the app's) and
    answered with a 500 problem, as Quart answers it.
    """
    try:
        body = open_stream(hub, session_id, scope)
    except Problem as problem:
        await _send_problem(send, problem, scope["path"])
        return
    except Exception:  # as Quart answers (and logs) an unexpected exception
        logger.exception("Exception on request GET %s", scope["path"])
        await _send_problem(send, internal_error(), scope["path"])
        return
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_cancel_on_disconnect, receive, nursery.cancel_scope)
        await send(_START)
        async with aclosing(body):
            async for chunk in body:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # Hypercorn recycles the connection inside this send and reports a disconnect, which
        # cancels the nursery: shielded, so that the recycling completes.
        with trio.CancelScope(shield=True):
            await send(_END)
        nursery.cancel_scope.cancel()
