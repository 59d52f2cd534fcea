"""Admitting a stream: the checks a stream request passes, in order, and where it resumes.

Both stream paths (the front, :mod:`server.streaming.front`, and the ASGI handler,
:mod:`server.streaming.asgi`) and the run route admit through :func:`admit_stream`, once per
request. A request is anything shaped like werkzeug's sans-IO request.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_to_bytes

import attrs
from hypercorn.typing import HTTPScope
from werkzeug.datastructures import Headers
from werkzeug.sansio.request import Request

from ..hub import Hub
from ..security.access import authenticate, check_backplane, check_open, forbid_unless
from ..security.auth import Principal
from ..security.limits import check_session_id, too_many_connections, too_many_streams

#: The paths of a session's stream: the prefix, then the session id as one path segment.
PREFIXES = ("/sse/", "/agent_network_sse/")
_RAW_PREFIXES = tuple(prefix.encode() for prefix in PREFIXES)
#: The methods a stream route answers (``OPTIONS`` aside, a CORS preflight).
STREAM_METHODS = ("GET", "HEAD")


ENCODED_SLASH = re.compile(rb"%2f", re.IGNORECASE)


def keep_encoded_slashes(raw_path: bytes) -> str:
    """The request path decoded as ASGI servers decode it, except that each ``%2F`` stays
    ``%2F``: a ``/`` inside a path segment (a session id ``a%2Fb``) then stays in its segment,
    where its route refuses it (400 ``invalid-session-id``), instead of splitting the path into
    one that matches no route (404)."""
    return "%2F".join(unquote(part.decode("latin-1")) for part in ENCODED_SLASH.split(raw_path))


def stream_path(scope: HTTPScope) -> str | None:
    """The session id when ``scope``'s path is a session's stream, whatever the method.

    The id is the one raw path segment after a prefix, percent-decoded, so that an encoded
    ``/`` or ``.`` reaches the session-id check (and its 400) instead of a generic 404.
    """
    if scope.get("root_path"):
        return None
    raw = scope.get("raw_path") or scope["path"].encode()
    for prefix in _RAW_PREFIXES:
        if raw.startswith(prefix):
            segment = raw[len(prefix) :]
            if segment and b"/" not in segment:
                return unquote_to_bytes(segment).decode("utf-8", "replace")
    return None


def stream_target(scope: HTTPScope) -> str | None:
    """The session id when ``scope`` is a ``GET`` or ``HEAD`` of a session's stream."""
    return stream_path(scope) if scope["method"] in STREAM_METHODS else None


def request_of(scope: HTTPScope) -> Request:
    """The request's headers, cookies and query from an ASGI scope, read as Quart reads them."""
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


@attrs.frozen
class Admitted:
    """A stream request that passed every check: whose stream, of what, from where."""

    session_id: str
    principal: Principal
    last_event_id: str | None
    head_only: bool


def admit(hub: Hub, session_id: str, scope: HTTPScope) -> Admitted:
    """Admit the stream request of ``scope`` for ``session_id`` (see :func:`admit_stream`).

    Raises :class:`~server.problems.Problem` when a check refuses it. Nothing is subscribed.
    """
    request = request_of(scope)
    session_id, principal = admit_stream(hub, session_id, request)
    return Admitted(session_id, principal, resume_point(request), scope["method"] == "HEAD")


def resume_point(request: Request) -> str | None:
    """Where a stream resumes: the ``Last-Event-ID`` header, else the ``lastEventId`` parameter.

    The header wins: a browser sends it on every reconnect, while the URL keeps the first value.
    """
    return request.headers.get("Last-Event-ID") or request.args.get("lastEventId") or None


def admit_stream(
    hub: Hub, session_id: str, request: Request, *, publish: bool = False
) -> tuple[str, Principal]:
    """The checked session id and the caller allowed to read it (and publish to it) as a stream.

    In order: the session id (400), the hub open (503), the token (401), the rights (403), the
    caller's open streams (429), the server's open streams (503), the backplane within reach
    (503).
    """
    session_id = check_session_id(session_id)
    check_open(hub)
    principal = authenticate(hub, request)
    forbid_unless(principal.may_subscribe(session_id), f"no right to subscribe to {session_id}")
    if publish:
        forbid_unless(principal.may_publish(session_id), f"no right to publish to {session_id}")
    if hub.connections.full(principal.subject):
        raise too_many_connections(hub.connections.limit)
    if hub.connections.at_capacity():
        raise too_many_streams(hub.connections.total_limit)
    check_backplane(hub)
    return session_id, principal
