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

from ..hub import Hub
from ..logs import RESPONSE_SENT
from ..metrics import HubCollector
from ..problems import Problem, method_not_allowed
from ..security.access import authenticate, check_open, forbid_unless
from ..security.auth import Principal
from ..security.framing import framing_problem
from ..security.limits import check_session_id
from ..settings import Settings
from ..streaming import admission
from ..streaming.admission import STREAM_METHODS, stream_path, stream_target
from ..streaming.asgi import send_problem, serve_stream


class SluiceApp(QuartTrio):
    """The Quart-Trio app with the Sluice settings, and the hub while it serves."""

    settings: Settings
    metrics: HubCollector
    hub: Hub
    startup_error: str | None = None  # why the hub could not open, when it could not

    async def asgi_app(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """Quart's ASGI entry, with the last ``send`` of each response shielded and marked in
        the scope (:data:`~server.logs.RESPONSE_SENT`, for the access log); a ``GET`` or
        ``HEAD`` of a stream route goes to :func:`~server.streaming.asgi.serve_stream` instead,
        once serving, and conflicting framing headers are refused first
        (:func:`~server.security.framing.framing_problem`).

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
                scope[RESPONSE_SENT] = True  # type: ignore[literal-required]
                with trio.CancelScope(shield=True):
                    await send(message)
            else:
                await send(message)

        problem = framing_problem(scope["headers"])
        if problem is not None:
            await send_problem(send_final_shielded, problem, scope["path"])
            return
        if scope["method"] not in (*STREAM_METHODS, "OPTIONS") and stream_path(scope):
            problem = method_not_allowed(STREAM_METHODS)
            await send_problem(send_final_shielded, problem, scope["path"])
            return
        session_id = stream_target(scope)
        hub: Hub | None = getattr(self, "hub", None)
        if session_id is not None and hub is not None:
            await serve_stream(hub, self.logger, session_id, scope, receive, send_final_shielded)
            return
        await super().asgi_app(scope, receive, send_final_shielded)


def current_hub() -> Hub:
    """The hub of the app serving this request; a 503 problem once it shuts down.

    Call it again after an ``await`` (reading the body) before starting work on the hub.
    """
    return check_open(cast(SluiceApp, current_app).hub)


def caller(hub: Hub) -> Principal:
    """The authenticated caller; raises a 401 problem without a valid token."""
    return authenticate(hub, request)


def session_access(session_id: str, *, publish: bool = False) -> tuple[Hub, str, Principal]:
    """The hub, the checked session id and the caller, who may read ``session_id`` (or, with
    ``publish``, publish to it); a 400, 401, 403 or 503 problem otherwise."""
    session_id = check_session_id(session_id)
    hub = current_hub()
    principal = caller(hub)
    if publish:
        forbid_unless(principal.may_publish(session_id), f"no right to publish to {session_id}")
    else:
        forbid_unless(principal.may_subscribe(session_id), f"no right to read {session_id}")
    return hub, session_id, principal


def resume_point() -> str | None:
    """Where this request's stream resumes (see :func:`server.admission.resume_point`)."""
    return admission.resume_point(request)


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
