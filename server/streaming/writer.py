"""The one SSE response writer: sans-IO, bytes out, for both stream paths.

:class:`StreamResponse` knows everything a stream answer puts on the wire: the status line and
headers (``text/event-stream``, ``Cache-Control: no-cache``, ``X-Accel-Buffering: no``, ``Date``
per RFC 9110 §6.6.1, whatever the caller adds, e.g. CORS), the framing of the body (chunked for
HTTP/1.1, RFC 9112 §7.1; delimited by closing the connection for HTTP/1.0, RFC 9112 §6.3) and its
end (the last chunk), and that a ``HEAD`` answer is the head alone (RFC 9110 §9.3.2).
:func:`problem_response` is the one renderer of a refused stream's problem answer.

The front (:mod:`server.streaming.front`) writes these bytes to the socket itself. The ASGI path
(:mod:`server.streaming.asgi`) hands :meth:`StreamResponse.asgi_headers` and the bare body to
Hypercorn, which frames the body and adds ``Date`` the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus

import attrs

from ..problems import MEDIA_TYPE, Problem

#: The headers of every stream answer, whichever path writes it.
STREAM_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache"),
    ("X-Accel-Buffering", "no"),
)
LAST_CHUNK = b"0\r\n\r\n"


def http_date(now: float) -> str:
    """``now`` (seconds since the epoch) as an IMF-fixdate (RFC 9110 §5.6.7), which names
    whole seconds (the last one's is kept: every answer in a second names the same)."""
    return _date_of(int(now))


@functools.lru_cache(maxsize=1)
def _date_of(second: int) -> str:
    return formatdate(second, usegmt=True)


def _head(http_version: str, status: int, reason: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/{http_version} {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@attrs.frozen
class StreamResponse:
    """The wire form of one stream answer.

    ``http_version`` is the request's (``"1.1"`` or ``"1.0"``); ``head_only`` is true for a
    ``HEAD`` request; ``headers`` are added after :data:`STREAM_HEADERS` (e.g. CORS).
    """

    http_version: str = "1.1"
    head_only: bool = False
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def chunked(self) -> bool:
        """Whether the body is chunked (HTTP/1.1) rather than ended by closing (HTTP/1.0)."""
        return self.http_version == "1.1"

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers for an ASGI ``http.response.start`` (the server frames the body).

        No ``Connection: close`` here: were a request pipelined behind the stream, h11 would
        take it for a protocol error once the answer said so, and Hypercorn would cut the
        stream; it answers such a request after the stream instead.
        """
        return [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in (*STREAM_HEADERS, *self.headers)
        ]

    def head(self, now: float) -> bytes:
        """The status line and headers, with ``Date`` for ``now`` (seconds since the epoch).

        The connection closes after every stream answer: ``Connection: close`` says so.
        """
        framing = [("Transfer-Encoding", "chunked")] if self.chunked else []
        if self.head_only:
            framing = []
        headers = [
            *STREAM_HEADERS,
            *self.headers,
            ("Date", http_date(now)),
            *framing,
            ("Connection", "close"),
        ]
        return _head(self.http_version, 200, "OK", headers)

    def chunk(self, data: bytes) -> bytes:
        """``data`` (non-empty) framed as part of the body; nothing for a ``HEAD`` answer."""
        if self.head_only:
            return b""
        if self.chunked:
            return b"%x\r\n%b\r\n" % (len(data), data)
        return data

    def end(self) -> bytes:
        """What ends the body: the last chunk when chunked, nothing otherwise (the close)."""
        return LAST_CHUNK if self.chunked and not self.head_only else b""


def problem_parts(problem: Problem, instance: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The status, headers and body of ``problem`` answered for the path ``instance``."""
    body = problem.encode(instance)
    headers = [
        *problem.headers.items(),
        ("Content-Type", MEDIA_TYPE),
        ("Content-Length", str(len(body))),
    ]
    return problem.status, headers, body


def problem_response(
    problem: Problem,
    instance: str,
    now: float,
    *,
    http_version: str = "1.1",
    head_only: bool = False,
    keep_alive: bool = True,
    headers: Iterable[tuple[str, str]] = (),
) -> bytes:
    """The whole answer (head and body; head alone for ``HEAD``) of a refused stream.

    ``keep_alive`` false adds ``Connection: close``; ``headers`` are added (e.g. CORS).
    """
    status, problem_headers, body = problem_parts(problem, instance)
    all_headers = [*problem_headers, *headers, ("Date", http_date(now))]
    if not keep_alive and "Connection" not in problem.headers:
        all_headers.append(("Connection", "close"))
    head = _head(http_version, status, HTTPStatus(status).phrase, all_headers)
    return head if head_only else head + body
