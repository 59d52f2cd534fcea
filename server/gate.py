"""The checks in front of the hub, on a request's plain values: open, who calls, what they may.

Both ways a request reaches the hub use these: Quart's routes (through :mod:`server.context`)
and the stream routes served as a plain ASGI handler (:mod:`server.asgi_stream`). A request is
anything shaped like werkzeug's sans-IO request (``headers``, ``cookies``, ``args``), which
Quart's request is. Each check raises a :class:`~server.problems.Problem`.
"""

from __future__ import annotations

from werkzeug.sansio.request import Request

from .auth import Principal, Unauthorized, token_from
from .hub import Hub
from .limits import check_session_id, too_many_connections, too_many_streams
from .problems import Problem


def check_open(hub: Hub) -> Hub:
    """``hub``, unless it is shutting down: a 503 problem then."""
    if hub.closing:
        raise Problem(
            503,
            "shutting-down",
            "Shutting down",
            "the server is shutting down",
            headers={"Retry-After": "1"},
        )
    return hub


def authenticate(hub: Hub, request: Request) -> Principal:
    """The caller of ``request``; a 401 problem without a valid token."""
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
    caller's open streams (429), the server's open streams (503).
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
    return session_id, principal
