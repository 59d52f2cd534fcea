"""Who may come in, on a request's plain values: the hub open, the caller, what they may do.

Every way a request reaches the hub uses these: Quart's routes (:mod:`server.web.context`) and
the stream paths (:mod:`server.streaming.admission`). A request is a :class:`Request`: what
the checks read of werkzeug's sans-IO request (``headers``, ``cookies``, ``args``), which Quart's
request is. Each check raises a :class:`~server.problems.Problem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..hub import Hub
from ..problems import Problem, backplane_unavailable
from .auth import (
    COOKIE_NAME,
    QUERY_PARAMETER,
    InvalidToken,
    Principal,
    Token,
    Unauthorized,
    token_from,
)


class Headers(Protocol):
    """A request's headers: ``get(name)`` is the first value of the header ``name`` (matched
    without regard to case), ``None`` without one."""

    def get(self, key: str, /) -> str | None: ...


class Request(Protocol):
    """What the checks read of a request: its ``headers``, and its ``cookies`` and query
    parameters (``args``) by name, as werkzeug's sans-IO request (Quart's) gives them."""

    @property
    def headers(self) -> Headers: ...

    @property
    def cookies(self) -> Mapping[str, str]: ...

    @property
    def args(self) -> Mapping[str, str]: ...


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


def check_backplane(hub: Hub, kind: str = "stream") -> None:
    """A 503 ``backplane-unavailable`` problem (its detail that of ``kind``, a key of
    :data:`~server.problems.UNREACHABLE_OUTCOMES`) while the backplane is known to be out of
    reach: a stream admitted then could not be served (its history and live events are
    there), a run started then could store none of its events, a session made then would not
    be there for the other processes."""
    if not hub.broadcaster.backplane.available:
        raise backplane_unavailable(kind=kind)


def _token(request: Request) -> Token | None:
    try:
        return token_from(request.headers.get("Authorization"), request.cookies, request.args)
    except Unauthorized as error:
        raise _unauthorized(error) from None


def _unauthorized(error: Unauthorized) -> Problem:
    """The 401 problem of ``error``, with the Bearer challenge (RFC 6750 section 3): its
    ``error="invalid_token"`` when a token was sent and refused, which tells a client to get a
    new one; none without a token (section 3.1: no error code then)."""
    challenge = 'Bearer realm="sluice"'
    if isinstance(error, InvalidToken):
        challenge += ', error="invalid_token"'
    return Problem(
        401, "unauthorized", "Unauthorized", str(error), headers={"WWW-Authenticate": challenge}
    )


def authenticate(hub: Hub, request: Request, *, write: bool = False) -> Principal:
    """The caller of ``request``; a 401 problem without a valid token.

    A ``write`` (publish, regenerate, session create or clear) is first checked for its
    ``Origin`` (403 unless the hub's own or allowed, see :class:`~server.security.cors.CorsPolicy`)
    and for its token's source: a cookie or query token alone is a 403.
    """
    if write:
        origin = request.headers.get("Origin")
        forbid_unless(
            hub.cors.may_write(origin, request.headers.get("Host")),
            f"writes from pages at {origin} are not allowed: list the origin with --cors-origins",
        )
    token = _token(request)
    if write and token is not None and not token.from_header:
        raise Problem(
            403,
            "forbidden",
            "Forbidden",
            f"a token from the {COOKIE_NAME} cookie or the {QUERY_PARAMETER} parameter is good "
            "for reads only: send writes with 'Authorization: Bearer <token>'",
        )
    try:
        return hub.authenticator.authenticate(None if token is None else token.value)
    except Unauthorized as error:
        raise _unauthorized(error) from None


def check_start_work(hub: Hub, request: Request) -> None:
    """A 403 problem when ``request`` (a ``GET`` that starts work: the run endpoint) carries a
    cookie or query token and comes from a page neither of the hub's origin nor listed by name
    (see :meth:`~server.security.cors.CorsPolicy.may_start_work`): a link on another site
    cannot start a run."""
    token = _token(request)
    if token is None or token.from_header:
        return
    headers = request.headers
    forbid_unless(
        hub.cors.may_start_work(
            headers.get("Origin"), headers.get("Host"), headers.get("Sec-Fetch-Site")
        ),
        "a run started with a cookie or query token needs a page of this hub's origin or "
        "of one listed by --cors-origins (Origin, or Sec-Fetch-Site: same-origin); "
        "or send 'Authorization: Bearer <token>'",
    )


def forbid_unless(allowed: bool, detail: str) -> None:
    """Raise a 403 problem with ``detail`` unless ``allowed``."""
    if not allowed:
        raise Problem(403, "forbidden", "Forbidden", detail)


def require_right(allowed: bool, detail: str) -> None:
    """Raise a 403 problem with ``detail`` unless ``allowed``: the caller's token does not
    give the right asked for, so the answer carries the Bearer challenge with
    ``error="insufficient_scope"`` (RFC 6750 section 3.1: another token may)."""
    if not allowed:
        challenge = 'Bearer realm="sluice", error="insufficient_scope"'
        raise Problem(
            403, "forbidden", "Forbidden", detail, headers={"WWW-Authenticate": challenge}
        )
