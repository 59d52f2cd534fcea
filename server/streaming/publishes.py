"""Publishes on the front: ``POST /api/sessions/{sessionId}/events`` without Quart or Hypercorn.

Through Hypercorn and Quart a publish cost about a millisecond of CPU (h11 events, Hypercorn's
tasks and send lock, Quart's request and response objects), so that 20 kept-alive publishers
reached ~500 publishes a second. The front (:mod:`server.streaming.front`) answers a plainly
framed publish itself: :func:`publish_length` says whether it may (HTTP/1.1, a ``Content-Length``
within ``--max-body-bytes``, no ``Transfer-Encoding``, ``Expect`` or upgrade), and
:func:`answer_publish` makes the whole answer with the route's own checks and publish
(:mod:`server.publishing`), so each status, problem body and header that matters is the same.
Every other request, and each one that does not qualify, is Hypercorn's.
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus

import h11
import orjson
from hypercorn.typing import HTTPScope

from sse_core import BackplaneUnavailable

from ..hub import Hub
from ..problems import Problem, backplane_unavailable, internal_error
from ..publishing import check_publisher, publish_body, publish_session
from .admission import request_of
from .writer import http_date, problem_response

log = logging.getLogger("sluice.server")
_DISQUALIFYING = frozenset({b"transfer-encoding", b"expect", b"upgrade"})


def publish_length(request: h11.Request, scope: HTTPScope, max_body: int) -> int | None:
    """The body length of a publish the front answers, else ``None``."""
    if request.http_version != b"1.1" or publish_session(scope["method"], scope["path"]) is None:
        return None
    lengths = [value for name, value in request.headers if name == b"content-length"]
    if len(lengths) != 1 or any(name in _DISQUALIFYING for name, _ in request.headers):
        return None
    length = int(lengths[0])  # h11 has checked that it is a decimal number
    return length if length <= max_body else None


def wants_close(request: h11.Request) -> bool:
    """Whether the client asked to close the connection after this request (RFC 9112 §9.6)."""
    return any(
        name == b"connection" and b"close" in value.lower() for name, value in request.headers
    )


async def answer_publish(hub: Hub, scope: HTTPScope, body: bytes, *, close: bool) -> bytes:
    """The whole answer to the publish of ``scope`` with ``body``: ``201`` and
    ``{"sessionId", "ids"}``, or the problem the route answers (an unexpected error is logged
    and answered 500, as Quart does). ``close`` adds ``Connection: close``."""
    path = scope["path"]
    try:
        session_id = check_publisher(hub, publish_session("POST", path) or "", request_of(scope))
        document = orjson.dumps(await publish_body(hub, session_id, body))
    except Problem as problem:
        return problem_response(problem, path, time.time(), keep_alive=not close)
    except BackplaneUnavailable as error:
        unavailable = backplane_unavailable(error, "POST", path)
        return problem_response(unavailable, path, time.time(), keep_alive=not close)
    except Exception:
        log.exception("Exception on request POST %s", path)
        return problem_response(internal_error(), path, time.time(), keep_alive=not close)
    head = [
        f"HTTP/1.1 201 {HTTPStatus.CREATED.phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(document)}",
        f"Date: {http_date(time.time())}",
    ]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + document
