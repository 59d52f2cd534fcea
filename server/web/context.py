"""What a route reads from the current request: the hub, the caller, the body; how it answers.

Routes stay thin: they call these, then work on the :class:`~server.hub.Hub` with plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import orjson
import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    ASGISendEvent,
    HTTPScope,
    Scope,
)
from quart import Response, current_app, request
from quart.ctx import AppContext
from quart_trio import QuartTrio
from werkzeug.datastructures import Headers

from protocol import Catalogue, validator

from ..bodies import parse_json
from ..hub import Hub
from ..logs import RESPONSE_SENT
from ..metrics import HubCollector
from ..problems import Problem, http_version_not_supported, method_not_allowed
from ..publishing import check_publisher
from ..security.access import authenticate, check_open, require_right
from ..security.auth import Principal
from ..security.framing import framing_problem
from ..security.limits import check_session_id
from ..settings import Settings
from ..streaming import admission
from ..streaming.admission import (
    ENCODED_SLASH,
    STREAM_METHODS,
    keep_encoded_slashes,
    origin_form,
    stream_path,
    stream_target,
)
from ..streaming.asgi import refuse_websocket, send_problem, serve_stream


class SluiceApp(QuartTrio):
    """The Quart-Trio app with the Sluice settings, and the hub while it serves."""

    settings: Settings
    catalogue: Catalogue  # the built-in event types and the team's own (--event-schemas)
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
        (:func:`~server.security.framing.framing_problem`). ``OPTIONS`` of a stream route (a
        CORS preflight) is answered here too, and the path keeps each ``%2F`` encoded
        (:func:`keep_encoded_slashes`) and is taken in origin form (:func:`origin_form`: a
        stream's path in absolute form was a 404). A WebSocket handshake, on any path, is the
        404 problem of a server without WebSocket
        (:func:`~server.streaming.asgi.refuse_websocket`; Quart answered it with an empty 500
        and logged an error).

        Inside that ``send`` Hypercorn recycles the keep-alive connection and sends the app
        ``http.disconnect``, on which quart-trio cancels the request. The cancel used to land in
        the middle of the recycling and leave the connection without its idle timer: it then
        stayed open until the client closed it, and held every shutdown for the whole
        graceful timeout.
        """
        if scope["type"] not in ("http", "websocket"):
            await super().asgi_app(scope, receive, send)
            return
        hub: Hub | None = getattr(self, "hub", None)
        # Answered here, before Quart: with the CORS headers Quart's answers get after it.
        cors = () if hub is None else hub.cors.stream_headers(scope["headers"])
        if scope["type"] == "websocket":
            await refuse_websocket(send, scope["path"], cors)
            return
        raw_path = origin_form(scope["raw_path"])
        if raw_path != scope["raw_path"] or ENCODED_SLASH.search(raw_path):
            scope = {**scope, "raw_path": raw_path, "path": keep_encoded_slashes(raw_path)}

        async def send_final_shielded(message: ASGISendEvent) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                scope[RESPONSE_SENT] = True  # type: ignore[literal-required]
                with trio.CancelScope(shield=True):
                    await send(message)
            else:
                await send(message)

        problem = framing_problem(scope["headers"])
        version = scope["http_version"]
        if not (version.startswith("1.") or version == "2"):  # (h11 takes HTTP/3.0, HTTP/2.0)
            problem = http_version_not_supported(version)
        if problem is not None:
            await send_problem(send_final_shielded, problem, scope["path"], cors)
            return
        if scope["raw_path"] == b"*" and hub is not None:  # (RFC 9112 §3.2.4)
            await self._send_server_options(hub, scope, send_final_shielded, cors)
            return
        if scope["method"] not in (*STREAM_METHODS, "OPTIONS") and stream_path(scope) is not None:
            problem = method_not_allowed((*STREAM_METHODS, "OPTIONS"))
            await send_problem(send_final_shielded, problem, scope["path"], cors)
            return
        if scope["method"] == "OPTIONS" and hub is not None and stream_path(scope) is not None:
            await _send_options(hub, scope, send_final_shielded, STREAM_METHODS)
            return
        session_ids = stream_target(scope)
        if session_ids is not None and hub is not None:
            await serve_stream(hub, self.logger, session_ids, scope, receive, send_final_shielded)
            return
        await super().asgi_app(scope, receive, send_final_shielded)

    async def _send_server_options(
        self, hub: Hub, scope: HTTPScope, send: ASGISendCallable, cors: Iterable[tuple[str, str]]
    ) -> None:
        """Answer a request whose target is ``*``, the asterisk form, which only an ``OPTIONS``
        of the server as a whole may have (RFC 9112 section 3.2.4, RFC 9110 section 9.3.7): as
        an ``OPTIONS`` of a path is answered, with every method the server takes; any other
        method is a 400 (it was a 404 of the path ``/*``)."""
        if scope["method"] != "OPTIONS":
            problem = Problem(
                400,
                "malformed-request",
                "Bad Request",
                "the target * is for OPTIONS only (RFC 9112 §3.2.4)",
            )
            await send_problem(send, problem, "*", cors)
            return
        methods = {method for rule in self.url_map.iter_rules() for method in rule.methods or ()}
        await _send_options(hub, scope, send, sorted(methods | set(STREAM_METHODS)))

    async def make_default_options_response(self, ctx: AppContext) -> Response:
        """The answer to ``OPTIONS`` (:func:`options_answer`)."""
        assert ctx.url_adapter is not None  # an unknown path raised its 404 before this
        headers = request.headers
        status, answer = options_answer(
            self.hub,
            headers.get("Origin"),
            headers.get("Access-Control-Request-Method"),
            ctx.url_adapter.allowed_methods(),
        )
        response = current_app.response_class(b"", status=status, headers=Headers(answer))
        del response.headers["Content-Type"]  # no content (RFC 9110 sections 8.3 and 8.6)
        del response.headers["Content-Length"]
        return response


def options_answer(
    hub: Hub, origin: str | None, request_method: str | None, methods: Iterable[str]
) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers answering ``OPTIONS`` of a path that takes ``methods``: a CORS
    preflight's (:meth:`~server.security.cors.CorsPolicy.options`), or ``204`` with ``Allow``.

    Raises a 403 :class:`~server.problems.Problem` for a refused preflight.
    """
    answer = hub.cors.options(origin, request_method, methods)
    if answer.refusal is not None:
        raise Problem(
            answer.status, "forbidden", "Forbidden", answer.refusal, headers=dict(answer.headers)
        )
    return answer.status, answer.headers


async def _send_options(
    hub: Hub, scope: HTTPScope, send: ASGISendCallable, methods: Iterable[str]
) -> None:
    """Answer ``OPTIONS`` of a stream route or of ``*`` (which Quart has no route for), whose
    ``methods`` are those given, as Quart answers it for every other route: see
    :func:`options_answer`."""
    request = admission.ScopeRequest(scope)
    try:
        status, headers = options_answer(
            hub,
            request.headers.get("Origin"),
            request.headers.get("Access-Control-Request-Method"),
            methods,
        )
    except Problem as refused:
        await send_problem(send, refused, scope["path"])
        return
    encoded = [(name.lower().encode(), value.encode()) for name, value in headers]
    await send({"type": "http.response.start", "status": status, "headers": encoded})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def current_hub() -> Hub:
    """The hub of the app serving this request; a 503 problem once it shuts down.

    Call it again after an ``await`` (reading the body) before starting work on the hub.
    """
    return check_open(cast(SluiceApp, current_app).hub)


def caller(hub: Hub, *, write: bool = False) -> Principal:
    """The authenticated caller; raises a 401 problem without a valid token, and for a
    ``write`` a 403 problem for a foreign ``Origin`` or a cookie or query token (see
    :func:`~server.security.access.authenticate`)."""
    return authenticate(hub, request, write=write)


def session_access(session_id: str, *, publish: bool = False) -> tuple[Hub, str, Principal]:
    """The hub, the checked session id and the caller, who may read ``session_id`` (or, with
    ``publish``, publish to it, checked as :func:`~server.publishing.check_publisher` checks a
    publisher: a write, whose token must come in the header); a 400, 401, 403 or 503 problem
    otherwise."""
    if publish:
        hub = cast(SluiceApp, current_app).hub
        return hub, *check_publisher(hub, session_id, request)
    session_id = check_session_id(session_id)
    hub = current_hub()
    principal = caller(hub)
    require_right(principal.may_subscribe(session_id), f"no right to read {session_id}")
    return hub, session_id, principal


def resume_point() -> str | None:
    """Where this request's stream resumes (see :func:`server.admission.resume_point`)."""
    return admission.resume_point(request)


JSON_MEDIA_TYPE = "application/json"


def _check_json_media_type() -> None:
    """A 415 problem unless the body is declared ``application/json`` (RFC 8259 section 11; a
    ``charset`` parameter is fine if it is UTF-8, JSON's only encoding between systems).

    A browser sends a form-encoded or ``text/plain`` body from any page without a preflight;
    ``application/json`` needs one, which only ``--cors-origins`` pass.
    """
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype != JSON_MEDIA_TYPE or charset not in ("utf-8", "utf8"):
        sent = request.headers.get("Content-Type")
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            f"the body must be sent as Content-Type: {JSON_MEDIA_TYPE}, got "
            + ("none" if sent is None else repr(sent)),
            headers={"Accept-Post": JSON_MEDIA_TYPE},
        )


def _check_content_coding() -> None:
    """A 415 problem, with ``Accept-Encoding: identity``, when the body declares a content
    coding (``Content-Encoding`` other than ``identity``): the hub decodes none, and would read
    compressed bytes as the JSON text (RFC 9110 sections 8.4 and 12.5.3: a server that refuses
    a request for its content coding ought to say so with a 415 and ``Accept-Encoding``)."""
    sent = ", ".join(request.headers.getlist("Content-Encoding"))
    codings = [c.strip().lower() for c in sent.split(",") if c.strip()]
    if any(coding != "identity" for coding in codings):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            f"the body must be sent without a content coding, got Content-Encoding: {sent!r}",
            headers={"Accept-Encoding": "identity"},
        )


async def json_body() -> Any:
    """The request body parsed as JSON: 415 unless sent as ``application/json`` without a
    content coding, 413 above the body limit, 408 when it has not all arrived within
    ``--body-timeout``, 400 if not UTF-8 (naming the first bad byte's offset), not JSON or
    nested too deep (:func:`~server.bodies.parse_json`)."""
    _check_json_media_type()
    _check_content_coding()
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    return parse_json(body)


def check_request(doc: Any, schema: str) -> dict[str, Any]:
    """``doc``, a request body, when it matches the REST ``schema`` (``rest/<name>.json``).

    Its ``sessionId``, when a string, is checked first as every route checks a session id:
    a malformed one is the 400 ``invalid-session-id`` naming it
    (:func:`~server.security.limits.check_session_id`); any other error is a 422
    ``invalid-request`` listing every one.
    """
    if isinstance(doc, dict) and isinstance(doc.get("sessionId"), str):
        check_session_id(doc["sessionId"])
    errors = validator(schema).errors(doc)
    if errors:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            f"the body does not match {schema}; see errors",
            errors=errors,
        )
    checked: dict[str, Any] = doc
    return checked


def json_response(doc: Any, status: int = 200, content_type: str = "application/json") -> Response:
    """``doc`` as a JSON response."""
    return current_app.response_class(orjson.dumps(doc), status=status, content_type=content_type)
