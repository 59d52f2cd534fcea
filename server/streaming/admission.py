"""Admitting a stream: the checks a stream request passes, in order, and where it resumes.

A stream carries one session (``/sse/{sessionId}``) or several on one connection
(``/sse?session=a&session=b``, at most ``--max-sessions-per-stream``), each authorised on its
own.

Both stream paths (the front, :mod:`server.streaming.front`, and the ASGI handler,
:mod:`server.streaming.asgi`) and the run route admit through :func:`admit_stream`, once per
request. A request is a :class:`~server.security.access.Request` (Quart's, or a
:class:`ScopeRequest` read from an ASGI scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

import attrs
from hypercorn.typing import HTTPScope
from werkzeug.datastructures import Headers
from werkzeug.sansio.request import Request as WerkzeugRequest

from ..hub import Hub
from ..problems import query_parameter
from ..security.access import Request, authenticate, check_backplane, check_open, require_right
from ..security.auth import Principal
from ..security.limits import check_session_list, too_many_connections, too_many_streams

#: The paths of a session's stream: the prefix, then the session id as one path segment.
PREFIXES = ("/sse/", "/agent_network_sse/")
_RAW_PREFIXES = tuple(prefix.encode() for prefix in PREFIXES)
#: The paths of a stream of several sessions, listed as ``session`` query parameters.
LIST_PATHS = tuple(prefix.rstrip("/") for prefix in PREFIXES)
_RAW_LIST_PATHS = tuple(path.encode() for path in LIST_PATHS)
#: The methods a stream route answers (``OPTIONS`` aside, a CORS preflight).
STREAM_METHODS = ("GET", "HEAD")


ENCODED_SLASH = re.compile(rb"%2f", re.IGNORECASE)
_SCHEME_AND_AUTHORITY = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://[^/]*")


def origin_form(raw_path: bytes) -> bytes:
    """``raw_path`` (a request target without its query) in origin form: an absolute-form
    target (``http://host/sse/a``, which a server must accept: RFC 9112 section 3.2.2) without
    its scheme and authority (``/sse/a``; ``/`` when no path follows); any other as it is."""
    if raw_path.startswith(b"/"):
        return raw_path
    absolute = _SCHEME_AND_AUTHORITY.match(raw_path)
    if absolute is None:
        return raw_path
    return raw_path[absolute.end() :] or b"/"


def keep_encoded_slashes(raw_path: bytes) -> str:
    """The request path decoded as ASGI servers decode it, except that each ``%2F`` stays
    ``%2F``: a ``/`` inside a path segment (a session id ``a%2Fb``) then stays in its segment,
    where its route refuses it (400 ``invalid-session-id``), instead of splitting the path into
    one that matches no route (404)."""
    if b"%" not in raw_path:
        return raw_path.decode("latin-1")
    return "%2F".join(unquote(part.decode("latin-1")) for part in ENCODED_SLASH.split(raw_path))


def stream_path(scope: HTTPScope) -> tuple[str, ...] | None:
    """The session ids when ``scope``'s path is a stream's, whatever the method.

    On a session's path, its one id: the raw path segment after a prefix, percent-decoded, so
    that an encoded ``/`` or ``.`` reaches the session-id check (and its 400) instead of a
    generic 404. On a list path (``/sse``), the ``session`` query parameters in order, as
    given (none, repeated or malformed ones are refused by :func:`admit`).
    """
    if scope.get("root_path"):
        return None
    raw = scope.get("raw_path") or scope["path"].encode()
    if raw in _RAW_LIST_PATHS:
        return session_parameters(scope["query_string"])
    for prefix in _RAW_PREFIXES:
        if raw.startswith(prefix):
            segment = raw[len(prefix) :]
            if segment and b"/" not in segment:
                return (unquote_to_bytes(segment).decode("utf-8", "replace"),)
    return None


def session_parameters(query_string: bytes) -> tuple[str, ...]:
    """The values of the ``session`` parameters of ``query_string``, in order, decoded as
    werkzeug decodes a query (UTF-8, ``+`` for a space)."""
    query = query_string.decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace")
    return tuple(value for name, value in pairs if name == "session")


def stream_target(scope: HTTPScope) -> tuple[str, ...] | None:
    """The session ids when ``scope`` is a ``GET`` or ``HEAD`` of a stream."""
    return stream_path(scope) if scope["method"] in STREAM_METHODS else None


_NOTHING: Mapping[str, str] = MappingProxyType({})


class _ScopeHeaders:
    """The headers of an ASGI scope, read as werkzeug's ``Headers.get`` reads them."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Iterable[tuple[bytes, bytes]]) -> None:
        self._fields = fields

    def get(self, key: str, /) -> str | None:
        """The first value of the header ``key`` (any case), ``None`` without one."""
        name = key.lower().encode("latin-1")
        for field, value in self._fields:
            if field == name:
                return value.decode("latin-1")
        return None


class ScopeRequest:
    """The request of an ASGI scope as the checks read it (a
    :class:`~server.security.access.Request`): its headers, cookies and query read as Quart
    reads them. The cookies and the query are parsed (by werkzeug) only when there are some."""

    __slots__ = ("_scope", "_werkzeug", "headers")

    def __init__(self, scope: HTTPScope) -> None:
        self._scope = scope
        self._werkzeug: WerkzeugRequest | None = None
        self.headers = _ScopeHeaders(scope["headers"])

    @property
    def cookies(self) -> Mapping[str, str]:
        """The cookies, by name."""
        if all(name != b"cookie" for name, _ in self._scope["headers"]):
            return _NOTHING
        return self._parsed().cookies

    @property
    def args(self) -> Mapping[str, str]:
        """The query parameters, by name (the first value of each)."""
        if not self._scope["query_string"]:
            return _NOTHING
        return self._parsed().args

    def _parsed(self) -> WerkzeugRequest:
        if self._werkzeug is None:
            self._werkzeug = _werkzeug_request(self._scope)
        return self._werkzeug


def _werkzeug_request(scope: HTTPScope) -> WerkzeugRequest:
    headers = Headers()
    for name, value in scope["headers"]:
        headers.add(name.decode("latin1").title(), value.decode("latin1"))
    return WerkzeugRequest(
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
    """A stream request that passed every check: whose stream, of which sessions (one, or
    several on one stream), from where."""

    session_ids: tuple[str, ...]
    principal: Principal
    last_event_id: str | None
    head_only: bool


def admit(hub: Hub, session_ids: tuple[str, ...], scope: HTTPScope) -> Admitted:
    """Admit the stream request of ``scope`` for ``session_ids`` (see :func:`admit_sessions`).

    Raises :class:`~server.problems.Problem` when a check refuses it. Nothing is subscribed.
    """
    request = ScopeRequest(scope)
    session_ids, principal = admit_sessions(hub, session_ids, request)
    return Admitted(session_ids, principal, resume_point(request), scope["method"] == "HEAD")


def resume_point(request: Request) -> str | None:
    """Where a stream resumes: the ``Last-Event-ID`` header, else the ``lastEventId`` parameter.

    The header wins: a browser sends it on every reconnect, while the URL keeps the first value.
    Its bytes are read as UTF-8, as an ``EventSource`` sends them (WHATWG HTML, "Server-sent
    events") and as the parameter is read: a header value comes decoded as ISO-8859-1, so an id
    that is no Sluice id came back in ``stream_reset`` other than it was sent (``é`` as ``Ã©``).
    """
    header = request.headers.get("Last-Event-ID")
    if header:
        return header.encode("latin-1", "replace").decode("utf-8", "replace")
    return query_parameter(request.args, "lastEventId") or None


def admit_stream(
    hub: Hub, session_id: str, request: Request, *, publish: bool = False
) -> tuple[str, Principal]:
    """The checked session id and the caller allowed to read it (and publish to it) as a stream
    (:func:`admit_sessions` of one session)."""
    (session_id,), principal = admit_sessions(hub, (session_id,), request, publish=publish)
    return session_id, principal


def admit_sessions(
    hub: Hub, session_ids: tuple[str, ...], request: Request, *, publish: bool = False
) -> tuple[tuple[str, ...], Principal]:
    """The checked session ids and the caller allowed to read them all (and publish to them)
    as one stream.

    In order: the list and each id (400: see
    :func:`~server.security.limits.check_session_list`), the hub open (503), the token (401),
    the rights to every session (403 naming the first one refused: one refuses the whole
    request), the caller's open streams (429) and the server's (503), counted once for the
    connection, the backplane within reach (503).
    """
    session_ids = check_session_list(session_ids, hub.settings.max_sessions_per_stream)
    check_open(hub)
    principal = authenticate(hub, request)
    for session_id in session_ids:
        require_right(principal.may_subscribe(session_id), f"no right to subscribe to {session_id}")
        if publish:
            require_right(principal.may_publish(session_id), f"no right to publish to {session_id}")
    if hub.connections.full(principal.subject):
        raise too_many_connections(hub.connections.limit)
    if hub.connections.at_capacity():
        raise too_many_streams(hub.connections.total_limit)
    check_backplane(hub)
    return session_ids, principal
