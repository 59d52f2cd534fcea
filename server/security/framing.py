"""Request heads that are refused because two readers could take them differently: a message
whose length two headers could disagree on, or a header the hub reads once sent twice.

RFC 9112 §6.1: a request with both ``Content-Length`` and ``Transfer-Encoding`` ought to be
handled as an error and the connection closed, as such a message may be an attempt at request
smuggling behind a proxy that reads the other header. h11 (and so Hypercorn) accepts it.

RFC 9110 §5.3: a field that is not a list may appear once; a recipient may refuse it twice. Of
``Authorization``, ``Content-Type``, ``Origin`` and ``Last-Event-ID`` the hub read the first
where a proxy or another component may read the last (whose token, whose origin?), so each is
refused when sent twice, with a ``400`` naming it. (h11 refuses a second ``Host`` or
``Content-Length``; ``Idempotency-Key`` sent twice is its own ``400``.)

Both stream paths, and so every request, ask :func:`framing_problem` first; the front takes no
publish that would fail it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..problems import Problem

#: The fields the hub reads that may appear once: their names as h11 gives them (lower case),
#: and as a detail writes them.
SINGLETONS = {
    b"authorization": "Authorization",
    b"content-type": "Content-Type",
    b"origin": "Origin",
    b"last-event-id": "Last-Event-ID",
}


def framing_problem(headers: Iterable[tuple[bytes, bytes]]) -> Problem | None:
    """A 400 problem when ``headers`` (raw name/value pairs, names in lower case) carry both
    ``Content-Length`` and ``Transfer-Encoding`` (``conflicting-framing``, the connection
    closed), or one of :data:`SINGLETONS` more than once (``malformed-request`` naming it, the
    connection closed too); ``None`` otherwise."""
    names = [name.lower() for name, _ in headers]
    distinct = set(names)
    if b"content-length" in distinct and b"transfer-encoding" in distinct:
        return Problem(
            400,
            "conflicting-framing",
            "Bad Request",
            "a request may not carry both Content-Length and Transfer-Encoding (RFC 9112 §6.1)",
            headers={"Connection": "close"},
        )
    if len(distinct) == len(names):  # no field sent twice (the way of nearly every request)
        return None
    twice = [written for name, written in SINGLETONS.items() if names.count(name) > 1]
    if twice:
        return Problem(
            400,
            "malformed-request",
            "Bad Request",
            f"{twice[0]} may be sent only once (RFC 9110 §5.3): which one was meant would be "
            "a guess",
            headers={"Connection": "close"},  # as every request refused before it is read
        )
    return None
