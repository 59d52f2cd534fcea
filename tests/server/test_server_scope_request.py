"""A scope's request reads as werkzeug's request of the same scope reads.

The checks (:mod:`server.security.access`) read a request's headers, cookies and query; the
stream and publish paths give them :class:`~server.streaming.admission.ScopeRequest`, which
parses the cookies and the query only when there are some.
"""

from __future__ import annotations

import pytest
from hypercorn.typing import HTTPScope

from server.streaming.admission import ScopeRequest, _werkzeug_request


def _scope(headers: list[tuple[bytes, bytes]], query: bytes) -> HTTPScope:
    return {
        "type": "http",
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/sse/a",
        "raw_path": b"/sse/a",
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
        "state": {},  # type: ignore[typeddict-item]
        "extensions": {},
    }


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ([(b"host", b"x")], b""),
        ([(b"host", b"x"), (b"authorization", b"Bearer t"), (b"origin", b"http://o")], b""),
        ([(b"host", b"x"), (b"last-event-id", b"caf\xc3\xa9"), (b"x", b"\xff")], b"a=1&a=2"),
        ([(b"cookie", b"sluice_token=c; other=1"), (b"cookie", b"b=2")], b"token=q&lastEventId="),
        ([(b"host", b"x"), (b"host", b"y"), (b"cookie", b"")], b"%ff=%ff&+=+"),
    ],
)
def test_headers_cookies_and_query_read_as_werkzeug_reads_them(
    headers: list[tuple[bytes, bytes]], query: bytes
) -> None:
    scope = _scope(headers, query)
    ours, theirs = ScopeRequest(scope), _werkzeug_request(scope)
    names = ["Host", "host", "Authorization", "Origin", "Last-Event-ID", "X", "Cookie", "Nope"]
    assert [ours.headers.get(name) for name in names] == [theirs.headers.get(n) for n in names]
    assert dict(ours.cookies) == dict(theirs.cookies)
    assert dict(ours.args) == dict(theirs.args)
    for name in ("sluice_token", "token", "lastEventId", "a", "b", "\ufffd", " "):
        assert ours.cookies.get(name) == theirs.cookies.get(name)
        assert ours.args.get(name) == theirs.args.get(name)
