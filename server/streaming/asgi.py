"""A session's stream as a plain ASGI handler, for the streams that reach Hypercorn.

Quart's request and response machinery costs as much per body chunk as the rest of the stream
path together, so :class:`~server.web.context.SluiceApp` hands a ``GET`` or ``HEAD`` of a stream
route (:func:`~server.streaming.admission.stream_target`) to :func:`serve_stream` before Quart
sees it. The checks (:func:`~server.streaming.admission.admit`), the answer's headers and
problem bodies (:mod:`server.streaming.writer`) and the body (:meth:`~server.hub.Hub.stream`)
are the front's; only the ASGI messages are written here, each coalesced batch of frames as one
``http.response.body`` message (Hypercorn frames it and adds ``Date``).

Under ``sluice serve`` the front (:mod:`server.streaming.front`) serves the streams of new
connections itself; the streams that reach Hypercorn (one on a kept-alive connection, one with
a request body or an upgrade, every one under the ``hypercorn`` command) are served here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import aclosing

import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseStartEvent,
    HTTPScope,
)

from ..hub import Hub
from ..problems import Problem, internal_error, no_websocket
from .admission import admit
from .body import first_chunk
from .writer import StreamResponse, problem_parts


async def send_problem(
    send: ASGISendCallable,
    problem: Problem,
    instance: str,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Answer with ``problem`` (rendered by :func:`~server.streaming.writer.problem_parts`),
    ``headers`` added (e.g. CORS)."""
    status, problem_headers, body = problem_parts(problem, instance)
    encoded = [
        (name.lower().encode(), value.encode()) for name, value in [*problem_headers, *headers]
    ]
    await send({"type": "http.response.start", "status": status, "headers": encoded})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def refuse_websocket(
    send: ASGISendCallable, instance: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """Answer a WebSocket handshake (an ASGI ``websocket`` scope) with the 404 problem of
    :func:`~server.problems.no_websocket`, as an HTTP response (the ASGI WebSocket denial
    response, which Hypercorn implements), ``headers`` added (e.g. CORS)."""
    status, problem_headers, body = problem_parts(no_websocket(), instance)
    encoded = [
        (name.lower().encode(), value.encode()) for name, value in [*problem_headers, *headers]
    ]
    await send({"type": "websocket.http.response.start", "status": status, "headers": encoded})
    await send({"type": "websocket.http.response.body", "body": body, "more_body": False})


async def _cancel_on_disconnect(receive: ASGIReceiveCallable, scope: trio.CancelScope) -> None:
    """Cancel ``scope`` (the stream: its subscription is freed at once) when the client goes."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def serve_stream(
    hub: Hub,
    logger: logging.Logger,
    session_ids: tuple[str, ...],
    scope: HTTPScope,
    receive: ASGIReceiveCallable,
    send: ASGISendCallable,
) -> None:
    """Answer a stream request: a problem, the head alone (``HEAD``: nothing is subscribed),
    or the stream of ``session_ids`` until either side ends it (its head sent once it is
    subscribed: a backplane out of reach is a 503 problem).

    An unexpected exception before the stream starts is logged to ``logger`` (the app's) and
    answered with a 500 problem, as Quart answers it.
    """
    cors = hub.cors.stream_headers(scope["headers"])
    try:
        admitted = admit(hub, session_ids, scope)
    except Problem as problem:
        await send_problem(send, problem, scope["path"], cors)
        return
    except Exception:  # as Quart answers (and logs) an unexpected exception
        logger.exception("Exception on request %s %s", scope["method"], scope["path"])
        await send_problem(send, internal_error(), scope["path"], cors)
        return
    response = StreamResponse(scope["http_version"], admitted.head_only, cors)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 200,
        "headers": response.asgi_headers(),
    }
    if admitted.head_only:
        await send(start)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    body = hub.stream(admitted.session_ids, admitted.principal, admitted.last_event_id)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_cancel_on_disconnect, receive, nursery.cancel_scope)
        async with aclosing(body):
            try:
                first = await first_chunk(body)  # before the head: a 503 if not subscribed
            except Problem as problem:
                with trio.CancelScope(shield=True):  # (as the end below)
                    await send_problem(send, problem, scope["path"], cors)
                nursery.cancel_scope.cancel()
                return
            await send(start)
            await send({"type": "http.response.body", "body": first, "more_body": True})
            del first
            async for chunk in body:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # Hypercorn recycles the connection inside this send and reports a disconnect, which
        # cancels the nursery: shielded, so that the recycling completes.
        with trio.CancelScope(shield=True):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        nursery.cancel_scope.cancel()
