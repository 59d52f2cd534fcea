"""Every error answer as RFC 9457 ``application/problem+json`` (``schemas/rest/problem.json``).

Routes raise :class:`Problem`; :func:`install` turns it, Quart's HTTP errors (404, 405, 413...)
and any unexpected exception (a logged 500) into a problem body. No HTML page, no traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from urllib.parse import quote

import orjson
from quart import Quart, Response, current_app, request
from werkzeug.exceptions import HTTPException, InternalServerError

from protocol import SchemaError
from sse_core import BackplaneUnavailable

log = logging.getLogger("sluice.server")

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sluice-sse.dev/problems/"


#: What an ``instance`` keeps as it is, besides letters, digits and ``-._~``: the rest of RFC
#: 3986's ``pchar``, ``/``, and the ``%`` of an escape the path kept (``%2F``, see
#: :func:`~server.streaming.admission.keep_encoded_slashes`).
_REFERENCE_SAFE = "/:@!$&'()*+,;=%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def instance_reference(path: str) -> str:
    """``path``, a request path as decoded, written as the URI reference a problem's
    ``instance`` is (RFC 9457 section 3.1.5, RFC 3986 section 4.1): every other character
    UTF-8 percent-encoded (``/sse/é`` is ``/sse/%C3%A9``, a space ``%20``, ``"`` ``%22``), and a
    ``%`` that starts no escape written ``%25``."""
    return quote(_LONE_PERCENT.sub("%25", path), safe=_REFERENCE_SAFE)


class Problem(Exception):
    """An error answered with ``status`` and a problem body of type ``TYPE_BASE + slug``."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Iterable[SchemaError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = dict(headers or {})

    def body(self, instance: str | None = None) -> dict[str, object]:
        """The problem document (``instance`` is the request path, as decoded: written as a
        URI reference, see :func:`instance_reference`)."""
        doc: dict[str, object] = {
            "type": TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            doc["detail"] = self.detail
        if instance is not None:
            doc["instance"] = instance_reference(instance)
        if self.errors:
            doc["errors"] = [{"pointer": e.pointer, "message": e.message} for e in self.errors]
        return doc

    def encode(self, instance: str | None = None) -> bytes:
        """The problem document as JSON bytes."""
        return orjson.dumps(self.body(instance))


def response(problem: Problem, instance: str | None = None) -> Response:
    """A Quart response carrying ``problem``."""
    return current_app.response_class(
        problem.encode(instance),
        status=problem.status,
        headers=problem.headers,
        content_type=MEDIA_TYPE,
    )


#: What became of a request that found the backplane out of reach, by what it asked for: the
#: detail of its 503 problem. A write whose Redis call ran out of time may still be carried out
#: when Redis answers again.
UNREACHABLE_OUTCOMES = {
    "stream": "the event store cannot be reached, so the stream was not opened (nothing was "
    "started); reconnect later",
    "read": "the event store cannot be reached, so nothing could be read; retry later",
    "publish": "the event store cannot be reached; retry later (a publish may or may not have "
    "been stored: retry it with the same Idempotency-Key to have it stored once)",
    "clear": "the event store cannot be reached; retry later (the session's history may or may "
    "not have been cleared)",
    "regenerate": "the event store cannot be reached, so no run was started; retry later (with "
    "an Idempotency-Key, a new one: the first may have been recorded)",
    "write": "the event store cannot be reached; retry later (the change may or may not have "
    "been made)",
}

#: The kind (a key of :data:`UNREACHABLE_OUTCOMES`) of the Quart routes whose kind their
#: method does not say.
_ROUTE_KINDS = {
    "sessions.publish": "publish",
    "sessions.clear": "clear",
    "chat_actions.regenerate": "regenerate",
    "streams.adk_run": "stream",
}


def backplane_unavailable(
    error: BackplaneUnavailable | None = None,
    method: str = "",
    path: str = "",
    *,
    kind: str | None = None,
) -> Problem:
    """The 503 problem of a ``method`` request to ``path`` that found the backplane out of reach
    (or that came while it is known to be), with ``Retry-After: 1``. Its detail says what
    became of the request: that of ``kind`` in :data:`UNREACHABLE_OUTCOMES`; without one, a
    publish's (by its route), a read's (``GET``, ``HEAD``) or a write's. The backplane logs an
    outage once (a warning when it goes, an info line when it is back): a request's is a debug
    line.
    """
    if error is not None:
        log.debug("backplane unavailable on %s %s: %s", method, path, str(error))
    if kind is None:
        kind = _kind(method, path)
    return Problem(
        503,
        "backplane-unavailable",
        "Backplane unavailable",
        UNREACHABLE_OUTCOMES[kind],
        headers={"Retry-After": "1"},
    )


def http_version_not_supported(version: str) -> Problem:
    """The 505 problem of a request in a version of HTTP other than 1.x and 2 (RFC 9110
    §15.6.6); the connection is closed after it."""
    return Problem(
        505,
        "http-version-not-supported",
        "HTTP Version Not Supported",
        f"HTTP/{version} is not served here: send HTTP/1.1",
        headers={"Connection": "close"},
    )


def _kind(method: str, path: str) -> str:
    from .publishing import publish_session  # (it imports this module)

    if publish_session(method, path) is not None:
        return "publish"
    return "read" if method in ("GET", "HEAD") else "write"


#: The problem of each status h11 answers for a request it cannot take (RFC 9112 framing).
_UNREADABLE = {
    400: ("malformed-request", "the request is not valid HTTP/1.1 (RFC 9112)"),
    431: ("request-header-fields-too-large", "the request's header section is too large"),
    501: (
        "not-implemented",
        "the request uses a transfer coding this server does not implement (only chunked)",
    ),
}


def unreadable_request(status: int) -> Problem:
    """The problem answering a request that could not be read as HTTP/1.1 (``status``: h11's
    hint, 400, 431 or 501); the connection is closed after it."""
    slug, detail = _UNREADABLE.get(status, _UNREADABLE[400])
    title = HTTPStatus(status).phrase if status in _UNREADABLE else "Bad Request"
    return Problem(
        status if status in _UNREADABLE else 400,
        slug,
        title,
        detail,
        headers={"Connection": "close"},
    )


def internal_error() -> Problem:
    """The 500 problem of an unexpected exception (logged; its details are never shown)."""
    return Problem(
        500,
        "internal-error",
        "Internal Server Error",
        "the server failed to answer; the error was logged",
    )


def query_parameter(args: Mapping[str, str], name: str) -> str | None:
    """The value of the query parameter ``name`` of ``args`` (werkzeug's multi-valued
    mapping), ``None`` when absent; a 400 ``invalid-parameter`` problem when it is given more
    than once (which of them was meant would be a guess)."""
    getlist = getattr(args, "getlist", None)
    values: list[str] = getlist(name) if getlist is not None else []
    if len(values) > 1:
        raise Problem(
            400, "invalid-parameter", "Invalid parameter", f"{name}= may be given only once"
        )
    return values[0] if values else args.get(name)


def no_websocket() -> Problem:
    """The 404 problem of a WebSocket handshake: the hub serves no WebSocket resource (RFC 6455
    section 4.2.1: a server that has no such service answers 404 and aborts the handshake)."""
    return Problem(
        404,
        "not-found",
        "Not Found",
        "this server has no WebSocket resource: read a stream as Server-Sent Events, with a "
        "GET without Upgrade",
    )


def method_not_allowed(allowed: Iterable[str]) -> Problem:
    """The 405 problem of a route that answers only the ``allowed`` methods (RFC 9110 §15.5.6:
    with an ``Allow`` header)."""
    methods = ", ".join(allowed)
    return Problem(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        f"this route answers {methods}",
        headers={"Allow": methods},
    )


def _from_http(error: HTTPException) -> Problem:
    code = error.code or 500
    name = error.name or "Error"
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return Problem(code, name.lower().replace(" ", "-"), name, error.description, headers=headers)


def install(app: Quart) -> None:
    """Answer :class:`Problem`, HTTP errors and unexpected exceptions with problem+json."""

    @app.errorhandler(Problem)
    async def _problem(problem: Problem) -> Response:
        return response(problem, request.path)

    @app.errorhandler(BackplaneUnavailable)
    async def _unavailable(error: BackplaneUnavailable) -> Response:
        kind = _ROUTE_KINDS.get(request.endpoint or "")
        problem = backplane_unavailable(error, request.method, request.path, kind=kind)
        return response(problem, request.path)

    @app.errorhandler(HTTPException)
    async def _http(error: HTTPException) -> Response:
        if isinstance(error, InternalServerError):  # Quart has logged the exception
            problem = internal_error()
        elif error.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            problem = Problem(
                413,
                "body-too-large",
                "Content Too Large",
                f"the request body exceeds {limit} bytes",
                # The rest of the body is not read: the connection closes after the answer,
                # which says so (RFC 9112 §9.6), as the 408's does.
                headers={"Connection": "close"},
            )
        elif error.code == 408:
            problem = Problem(
                408,
                "request-timeout",
                "Request Timeout",
                f"the request body did not arrive within {app.config['BODY_TIMEOUT']} seconds",
                headers={"Connection": "close"},
            )
        else:
            problem = _from_http(error)
        return response(problem, request.path)
