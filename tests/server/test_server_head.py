"""The front's strict head reader gives what h11 gives, or leaves the head to h11.

:func:`server.streaming.head.strict_head` reads the heads of most requests instead of h11: for
every head it reads, h11 must read the same request, the same end of head and the same "no
body"; it must refuse (``None``) every head h11 refuses or reads differently.
"""

from __future__ import annotations

import re
import re._constants as _constants
import re._parser as _parser
from typing import Any

import h11
import hypothesis
import pytest
from hypothesis import strategies as st

from server.streaming.head import _HEAD, Head, strict_head

MAX_HEAD = 16 * 1024


def _h11(data: bytes) -> tuple[Head, int, bool] | None:
    """What h11 reads from ``data`` given at once: the head, its end and whether bodyless."""
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
    connection.receive_data(data)
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError:
        return None
    if not isinstance(event, h11.Request):
        return None
    end = len(data) - len(connection.trailing_data[0])
    try:
        bodyless = connection.next_event() == h11.EndOfMessage()
    except h11.RemoteProtocolError:
        bodyless = False
    head = Head(event.method, event.target, event.http_version, list(event.headers))
    return head, end, bodyless


def _agrees(data: bytes) -> tuple[Head, int, bool] | None:
    strict = strict_head(data)
    if strict is not None:
        assert _h11(data) == strict, data
    return strict


@pytest.mark.parametrize(
    "data",
    [
        b"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /sse?session=a&session=b HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 42\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"POST /api/sessions/a/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        b"POST /x HTTP/1.1\r\nHOST:x\r\ncontent-length:  0 \r\nX-Empty:\r\nX-A: a \t b\t\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: x\r\nX-Odd: \x01\x7f\xff\r\n\r\nGET /y HTTP/1.1\r\n",
    ],
)
def test_plain_heads_are_read_as_h11_reads_them(data: bytes) -> None:
    assert _agrees(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n",  # not ended
        b"GET / HTTP/1.1\nHost: x\n\n",  # bare LF
        b"GET / HTTP/1.1\r\nHost: x\r\n\n",
        b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",  # an empty line first
        b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",  # obs-fold
        b"GET / HTTP/1.1\r\n\r\n",  # no Host
        b"GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"1" * 21 + b"\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    ],
)
def test_other_heads_are_left_to_h11(data: bytes) -> None:
    assert strict_head(data) is None


_PIECES = st.sampled_from(
    [
        *(b"GET", b"HEAD", b"POST", b"G\x00T", b"/sse/alice:chat", b"/x?y=%2F", b"HTTP/1.1"),
        *(b"HTTP/1.0", b"HTTP/2.0", b" ", b"  ", b":", b"\r\n", b"\n", b"\r", b"\x00", b"\t"),
        *(b"\xff", b"\x01", b"Host: x", b"Host:", b"Content-Length: 5", b"Content-Length: 0"),
        *(b"content-length:007", b"Transfer-Encoding: chunked", b"Upgrade: h2c", b",", b"5"),
    ]
)


@st.composite
def _heads(draw: st.DrawFn) -> bytes:
    """Heads made of pieces of real ones: often plain, often malformed or cut short."""
    if draw(st.booleans()):
        lines = [draw(st.sampled_from([b"GET / HTTP/1.1", b"POST /p HTTP/1.0"]))]
        lines += draw(st.lists(st.builds(b"".join, st.lists(_PIECES, max_size=5)), max_size=5))
        head = b"\r\n".join(lines) + b"\r\n\r\n"
    else:
        head = b"".join(draw(st.lists(_PIECES | st.binary(max_size=8), max_size=16)))
    return head + draw(st.sampled_from([b"", b"{}", b"GET / HTTP/1.1\r\n"]))


@hypothesis.settings(max_examples=3000, deadline=None)
@hypothesis.given(data=_heads())
def test_every_head_read_strictly_is_read_alike_by_h11(data: bytes) -> None:
    _agrees(data)


def _greedy_repeats(pattern: re.Pattern[bytes]) -> list[str]:
    """The repetitions of ``pattern`` that may give back what they took (not possessive)."""
    found: list[str] = []

    def walk(items: Any) -> None:
        for op, arg in items:
            if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
                found.append(f"{op} {arg[:2]}")
            for part in arg if isinstance(arg, (list, tuple)) else ():
                if isinstance(part, _parser.SubPattern):
                    walk(part)
                elif isinstance(part, (list, tuple)):
                    walk(p for p in part if isinstance(p, tuple) and len(p) == 2)

    walk(_parser.parse(pattern.pattern, pattern.flags))
    return found


def test_the_head_pattern_never_backtracks() -> None:
    """Every repetition of the head pattern is possessive: a head that does not match fails
    in time linear in its length. (A greedy one backtracked for seconds over a header of
    60,000 spaces followed by a NUL, on the event loop of every connection.)"""
    assert _greedy_repeats(_HEAD) == []
    assert _greedy_repeats(re.compile(rb"(a+)b*")) != []  # the check sees greedy ones


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nA:" + b" " * 60_000 + b"\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nA: a" + b" \t" * 30_000 + b"\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * 8_000 + b"\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nA:" + b" " * 60_000 + b"x\r\n\r\n",
    ],
)
def test_long_heads_of_whitespace_are_read_or_refused_alike(data: bytes) -> None:
    _agrees(data)
