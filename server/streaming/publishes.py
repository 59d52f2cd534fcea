"""Publishes on the front: ``POST /api/sessions/{sessionId}/events`` without Quart or Hypercorn.

Through Hypercorn and Quart a publish cost about a millisecond of CPU (h11 events, Hypercorn's
tasks and send lock, Quart's request and response objects), so that 20 kept-alive publishers
reached ~500 publishes a second. The front (:mod:`server.streaming.front`) answers a plain
publish from a backend itself: :func:`publish_length` says whether it may (HTTP/1.1, a target
without percent-encoding, ``Content-Type: application/json``, a ``Content-Length`` within
``--max-body-bytes``, no ``Origin``, ``Idempotency-Key``, ``Transfer-Encoding``,
``Content-Encoding``, ``Expect`` or upgrade), the front takes it only when the whole body came
with the head, and :func:`answer_publish` makes the whole answer with the route's own checks and
publish (:mod:`server.publishing`), so each status, problem body and header that matters is the
same.
A body that is not JSON, every other request, and each one that does not qualify, is
Hypercorn's and the app's.
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus

import orjson
from hypercorn.typing import HTTPScope

from sse_core import BackplaneUnavailable

from ..bodies import parse_json
from ..hub import Hub
from ..problems import Problem, backplane_unavailable, internal_error
from ..publishing import check_publisher, publish_events, publish_session
from ..security.framing import framing_problem
from .admission import ScopeRequest
from .head import Head
from .writer import http_date, problem_response

log = logging.getLogger("sluice.server")
_DISQUALIFYING = frozenset(
    {
        b"transfer-encoding",
        b"content-encoding",
        b"expect",
        b"upgrade",
        b"origin",
        b"idempotency-key",
    }
)
_JSON = frozenset({b"application/json", b"application/json; charset=utf-8"})


def publish_length(request: Head, scope: HTTPScope, max_body: int) -> int | None:
    """The body length of a publish the front answers, else ``None``."""
    if request.http_version != b"1.1" or b"%" in request.target:
        return None
    if publish_session(scope["method"], scope["path"]) is None:
        return None
    lengths, types = [], []
    for name, value in request.headers:
        if name in _DISQUALIFYING:
            return None
        if name == b"content-length":
            lengths.append(value)
        elif name == b"content-type":
            types.append(value.lower().replace(b";charset", b"; charset"))
    if len(lengths) != 1 or len(types) != 1 or types[0] not in _JSON:
        return None
    if framing_problem(request.headers) is not None:  # the app answers it
        return None
    length = int(lengths[0])  # h11 has checked that it is a decimal number
    return length if length <= max_body else None


def wants_close(request: Head) -> bool:
    """Whether the client asked to close the connection after this request (RFC 9112 §9.6)."""
    return any(
        name == b"connection" and b"close" in value.lower() for name, value in request.headers
    )


async def answer_publish(hub: Hub, scope: HTTPScope, body: bytes, *, close: bool) -> bytes | None:
    """The whole answer to the publish of ``scope`` with ``body``: ``201`` and
    ``{"sessionId", "ids"}``, or the problem the route answers (an unexpected error is logged
    and answered 500, as Quart does); ``None`` when ``body`` is not JSON (the app then answers,
    with its own order of checks: JSON as :func:`~server.bodies.parse_json` takes it). ``close``
    adds ``Connection: close``."""
    try:
        doc = parse_json(body)
    except Problem:
        return None
    path = scope["path"]
    headers = hub.cors.response_headers(None)
    try:
        session = publish_session("POST", path) or ""
        session_id, _ = check_publisher(hub, session, ScopeRequest(scope))
        document = orjson.dumps(await publish_events(hub, session_id, doc))
    except Problem as problem:
        return _problem(problem, path, headers, close)
    except BackplaneUnavailable as error:
        return _problem(backplane_unavailable(error, "POST", path), path, headers, close)
    except Exception:
        log.exception("Exception on request POST %s", path)
        return _problem(internal_error(), path, headers, close)
    head = [
        f"HTTP/1.1 201 {HTTPStatus.CREATED.phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(document)}",
        *(f"{name}: {value}" for name, value in headers),
        f"Date: {http_date(time.time())}",
    ]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + document


def _problem(problem: Problem, path: str, headers: list[tuple[str, str]], close: bool) -> bytes:
    return problem_response(problem, path, time.time(), keep_alive=not close, headers=headers)
