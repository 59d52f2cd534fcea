"""What a route reads from the current request: the hub, the caller, the body; how it answers.

Routes stay thin: they call these, then work on the :class:`~server.hub.Hub` with plain values.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
import trio
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope
from quart import Response, current_app, request
from quart_trio import QuartTrio

from .auth import Principal, Unauthorized, token_from
from .hub import Hub
from .metrics import HubCollector
from .problems import Problem
from .settings import Settings


class SluiceApp(QuartTrio):
    """The Quart-Trio app with the Sluice settings, and the hub while it serves."""

    settings: Settings
    metrics: HubCollector
    hub: Hub

    async def asgi_app(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """Quart's ASGI entry, with the last ``send`` of each response shielded.

        Inside that ``send`` Hypercorn recycles the keep-alive connection and sends the app
        ``http.disconnect``, on which quart-trio cancels the request. The cancel used to land in
        the middle of the recycling and leave the connection without its idle timer: it then
        stayed open until the client closed it, and held every shutdown for the whole
        graceful timeout.
        """
        if scope["type"] != "http":
            await super().asgi_app(scope, receive, send)
            return

        async def send_final_shielded(message: ASGISendEvent) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                with trio.CancelScope(shield=True):
                    await send(message)
            else:
                await send(message)

        await super().asgi_app(scope, receive, send_final_shielded)


def current_hub() -> Hub:
    """The hub of the app serving this request; a 503 problem once it shuts down.

    Call it again after an ``await`` (reading the body) before starting work on the hub.
    """
    hub = cast(SluiceApp, current_app).hub
    if hub.closing:
        raise Problem(
            503,
            "shutting-down",
            "Shutting down",
            "the server is shutting down",
            headers={"Retry-After": "1"},
        )
    return hub


def caller(hub: Hub) -> Principal:
    """The authenticated caller; raises a 401 problem without a valid token."""
    try:
        token = token_from(request.headers.get("Authorization"), request.cookies, request.args)
        return hub.authenticator.authenticate(token)
    except Unauthorized as error:
        raise Problem(
            401,
            "unauthorized",
            "Unauthorized",
            str(error),
            headers={"WWW-Authenticate": 'Bearer realm="sluice"'},
        ) from None


def forbid_unless(allowed: bool, detail: str) -> None:
    """Raise a 403 problem with ``detail`` unless ``allowed``."""
    if not allowed:
        raise Problem(403, "forbidden", "Forbidden", detail)


def resume_point() -> str | None:
    """Where a stream resumes: the ``Last-Event-ID`` header, else the ``lastEventId`` parameter.

    The header wins: a browser sends it on every reconnect, while the URL keeps the first value.
    """
    return request.headers.get("Last-Event-ID") or request.args.get("lastEventId") or None


async def json_body() -> Any:
    """The request body parsed as JSON (413 above the body limit, 400 if not JSON)."""
    body = await request.get_data()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Problem(
            400, "invalid-json", "Invalid JSON", f"the body is not JSON: {error}"
        ) from None


def json_response(doc: Any, status: int = 200, content_type: str = "application/json") -> Response:
    """``doc`` as a JSON response."""
    return current_app.response_class(orjson.dumps(doc), status=status, content_type=content_type)
