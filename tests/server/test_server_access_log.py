"""One access-log line per request, however the client ends the connection."""

from __future__ import annotations

import logging
import re
from collections import Counter

import pytest
import trio
from hub_client import bearer, running, settings, token

ROUNDS = 20


async def _exchange(stream: trio.SocketStream, request: bytes) -> bytes:
    """Send ``request`` and read its whole response (headers and Content-Length body)."""
    await stream.send_all(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive_some()
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
    while len(body) < length:
        body += await stream.receive_some()
    return head


def _requests(caplog: pytest.LogCaptureFixture) -> Counter[str]:
    lines = [r.getMessage() for r in caplog.records if r.name == "hypercorn.access"]
    return Counter(re.search(r'"(\w+ \S+) ', line)[1] for line in lines)  # type: ignore[index]


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_each_request_is_logged_once_when_the_client_closes_at_once(
    caplog: pytest.LogCaptureFixture, front: bool
) -> None:
    """A kept-alive connection's requests, the client closing as soon as it has read the last
    response (as curl does): Hypercorn used to log that last one twice, once without a status."""
    caplog.set_level(logging.INFO, logger="hypercorn.access")
    auth = bearer(token())["Authorization"].encode()
    async with running(settings(), front=front) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(ROUNDS):
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            await _exchange(stream, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            await _exchange(
                stream,
                b"GET /api/sessions/alice:x/stats HTTP/1.1\r\nHost: t\r\n"
                b"Authorization: " + auth + b"\r\n\r\n",
            )
            await stream.aclose()
        await trio.sleep(0.3)  # a second line came right after the first
    assert _requests(caplog) == {
        "GET /healthz": ROUNDS,
        "GET /api/sessions/alice:x/stats": ROUNDS,
    }
    lines = [r.getMessage() for r in caplog.records if r.name == "hypercorn.access"]
    assert all('" 200 ' in line for line in lines), lines
