"""Request framing that is refused: a message whose length two headers could disagree on.

RFC 9112 §6.1: a request with both ``Content-Length`` and ``Transfer-Encoding`` ought to be
handled as an error and the connection closed, as such a message may be an attempt at request
smuggling behind a proxy that reads the other header. h11 (and so Hypercorn) accepts it, so both
stream paths ask :func:`framing_problem` first.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..problems import Problem


def framing_problem(headers: Iterable[tuple[bytes, bytes]]) -> Problem | None:
    """A 400 problem that closes the connection when ``headers`` (raw name/value pairs) carry
    both ``Content-Length`` and ``Transfer-Encoding``; ``None`` otherwise."""
    names = {name.lower() for name, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return Problem(
            400,
            "conflicting-framing",
            "Bad Request",
            "a request may not carry both Content-Length and Transfer-Encoding (RFC 9112 §6.1)",
            headers={"Connection": "close"},
        )
    return None
