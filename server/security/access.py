"""Who may come in, on a request's plain values: the hub open, the caller, what they may do.

Every way a request reaches the hub uses these: Quart's routes (:mod:`server.web.context`) and
the stream paths (:mod:`server.streaming.admission`). A request is anything shaped like
werkzeug's sans-IO request (``headers``, ``cookies``, ``args``), which Quart's request is. Each
check raises a :class:`~server.problems.Problem`.
"""

from __future__ import annotations

from werkzeug.sansio.request import Request

from ..hub import Hub
from ..problems import Problem, backplane_unavailable
from .auth import Principal, Unauthorized, token_from


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


def check_backplane(hub: Hub) -> None:
    """A 503 ``backplane-unavailable`` problem while the backplane is known to be out of
    reach: a stream admitted then could not be served (its history and live events are there)."""
    if not hub.broadcaster.backplane.available:
        raise backplane_unavailable()


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
