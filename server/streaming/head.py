"""A request's head on plain values, and a strict reader of the common case (no I/O).

The front (:mod:`server.streaming.front`) reads each request's head itself. h11 reads any head,
but its per-request machinery (a connection, its state machine, an event for the head and one for
the end of a bodyless message) was a fifth of a kept-alive publish's CPU. :func:`strict_head`
reads only heads written in the plain form every client sends, and answers ``None`` for every
other one, which h11 then reads: the front's answer to any head is the same whichever reads it.

The plain form, a subset of what h11 0.16 accepts (RFC 9112 §2-§6), for which this reader gives
what h11 gives:

- the request line ``method SP target SP HTTP/1.0`` or ``HTTP/1.1`` (RFC 9112 §3), the method a
  token, the target visible ASCII;
- header lines ``name ":" OWS value OWS`` (RFC 9112 §5), the name a token, the value as h11
  takes it (no NUL, no whitespace other than single runs of spaces and tabs inside); no
  continuation lines (obs-fold), no empty line before the request line;
- every line ended by CRLF (no bare LF), and the head ended by an empty line;
- exactly one ``Host`` (none is allowed in HTTP/1.0), at most one ``Content-Length`` of at most
  20 digits, no ``Transfer-Encoding``.
"""

from __future__ import annotations

import re

import attrs

_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]++"
# h11's field value: characters other than NUL and whitespace, inner runs of spaces and tabs.
_FIELD_CONTENT = rb"[^\x00\s]++(?:[ \t]++[^\x00\s]++)*+"
# Every repetition possessive: each byte can be taken one way only, so a head that does not
# match fails in time linear in its length (a greedy pattern backtracked for seconds over a
# header of 60,000 spaces).
_HEAD = re.compile(
    rb"(" + _TOKEN + rb") ([\x21-\x7e]++) HTTP/(1\.[01])\r\n"
    rb"((?:" + _TOKEN + rb":[ \t]*+(?:" + _FIELD_CONTENT + rb")?+[ \t]*+\r\n)*+)\r\n"
)
_DIGITS = re.compile(rb"[0-9]{1,20}")


@attrs.frozen(slots=True)
class Head:
    """A request's head, as h11's ``Request`` event gives it.

    ``method``, ``target`` and ``http_version`` (``b"1.1"``) are the request line's bytes;
    ``headers`` the header fields in order, each name lower-cased, each value without its
    surrounding whitespace.
    """

    method: bytes
    target: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]


def strict_head(data: bytes) -> tuple[Head, int, bool] | None:
    """The head at the start of ``data`` when it is complete and in the plain form (see the
    module's docstring), with the offset just past it and whether the request has no body
    (no ``Content-Length``, or ``0``); else ``None``."""
    if b"\r\n\r\n" not in data:  # not ended: h11 waits for the rest
        return None
    match = _HEAD.match(data)
    if match is None:
        return None
    method, target, version, fields = match.groups()
    headers = []
    hosts = 0
    length = None
    for line in fields.split(b"\r\n")[:-1]:  # each one matched a field line above
        raw_name, _, raw_value = line.partition(b":")
        name, value = raw_name.lower(), raw_value.strip(b" \t")
        headers.append((name, value))
        if name == b"host":
            hosts += 1
        elif name == b"content-length":
            if length is not None or _DIGITS.fullmatch(value) is None:
                return None
            length = value
        elif name == b"transfer-encoding":
            return None
    if hosts > 1 or (hosts == 0 and version == b"1.1"):
        return None
    return Head(method, target, version, headers), match.end(), length is None or not int(length)
