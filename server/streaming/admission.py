"""Admitting a stream: the checks a stream request passes, in order, and where it resumes.

Both stream paths (the front, :mod:`server.streaming.front`, and the ASGI handler,
:mod:`server.streaming.asgi`) and the run route admit through :func:`admit_stream`, once per
request. A request is anything shaped like werkzeug's sans-IO request.
"""

from __future__ import annotations

from werkzeug.sansio.request import Request

from ..hub import Hub
from ..security.access import authenticate, check_backplane, check_open, forbid_unless
from ..security.auth import Principal
from ..security.limits import check_session_id, too_many_connections, too_many_streams


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
