"""HTTP edge cases that real clients and proxies send, on both stream paths (the front and
Hypercorn): HEAD, Date, pipelining, conflicting framing, clients that reset their connection.

Raw requests go over a plain TCP socket so that each byte sent is the test's own.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import struct
from collections.abc import Iterator

import hypothesis
import orjson
import pytest
import trio
from hub_client import Server, bearer, message, running, settles, token
from hypothesis import strategies as st

from server.serving import hypercorn_worker

AUTH = "Authorization: Bearer {}\r\n"


def _request(method: str, path: str, *extra: str, version: str = "1.1") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: x", AUTH.format(token()).rstrip(), *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _connect(server: Server) -> trio.SocketStream:
    host, port = server.url.removeprefix("http://").split(":")
    return await trio.open_tcp_stream(host, int(port))


async def _read_until_closed(stream: trio.SocketStream, within: float = 5) -> bytes:
    received = bytearray()
    with trio.fail_after(within):
        while chunk := await stream.receive_some():
            received += chunk
    return bytes(received)


async def _read_answer(stream: trio.SocketStream, within: float = 5) -> bytes:
    """The first answer on ``stream``: until its body is complete (by ``Content-Length``) or
    the server closes the connection. Hypercorn keeps a connection whose client sent its end
    open for the keep-alive timeout once it has answered, so the close alone may come late."""
    received = bytearray()
    with trio.fail_after(within):
        while chunk := await stream.receive_some():
            received += chunk
            head, found, body = bytes(received).partition(b"\r\n\r\n")
            length = _head(head + found).get("content-length")
            if found and length is not None and len(body) >= int(length):
                break
    return bytes(received)


def _head(response: bytes) -> dict[str, str]:
    lines = response.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    return {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}


@contextlib.contextmanager
def capture_logs() -> Iterator[list[logging.LogRecord]]:
    """Every log record written inside the block, at any level."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_head_of_a_stream_is_its_head_alone_and_subscribes_nothing(server: Server) -> None:
    response = await server.streams.head("/sse/alice:chat", headers=bearer(token()))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b""
    assert "date" in response.headers
    assert server.app.hub.connections.total == 0
    assert server.subscribers("alice:chat") == 0
    refused = await server.streams.head("/sse/alice:chat")
    assert refused.status_code == 401 and refused.content == b""
    assert refused.headers["content-type"] == "application/problem+json"


async def test_many_heads_hold_no_stream_and_the_connection_answers_the_next_request(
    server: Server,
) -> None:
    for _ in range(20):  # above the per-user limit, were each one held
        response = await server.client.head("/sse/alice:chat", headers=bearer(token()))
        assert response.status_code == 200
    assert (await server.client.get("/healthz")).status_code == 200
    async with server.stream("/sse/alice:chat", headers=bearer(token())) as stream:
        assert (await stream.next())["type"] == "connection"


async def test_every_stream_answer_carries_a_date(server: Server) -> None:
    async with server.stream("/sse/alice:chat", headers=bearer(token())) as stream:
        assert stream.response.headers["date"].endswith(" GMT")
    refused = await server.streams.get("/sse/alice:chat")
    assert refused.headers["date"].endswith(" GMT")


async def test_requests_pipelined_behind_a_stream_are_not_answered_and_the_close_frees_it(
    server: Server,
) -> None:
    await server.publish("alice:chat", message("history"), headers=bearer(token()))
    before = _open_fds()  # the publishing client's kept-alive connection included
    stream = await _connect(server)
    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    await stream.send_all(_request("GET", "/sse/alice:chat") + healthz)
    received = await stream.receive_some()
    assert received.startswith(b"HTTP/1.1 200 ")
    if server.front:  # the front closes after a stream: what is pipelined is not answered
        assert _head(received)["connection"] == "close"
    await settles(lambda: server.subscribers("alice:chat") == 1)
    await server.publish("alice:chat", message("live"), headers=bearer(token()))
    await stream.aclose()
    await settles(lambda: server.subscribers("alice:chat") == 0, within=1)
    await settles(lambda: server.app.hub.connections.total == 0, within=1)
    await settles(lambda: _open_fds() <= before, within=1)


@pytest.mark.parametrize("first", [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"])
async def test_conflicting_framing_headers_are_refused_and_the_connection_closed(
    server: Server, first: bytes
) -> None:
    stream = await _connect(server)
    smuggled = (
        b"POST /api/sessions/alice:chat/events HTTP/1.1\r\nHost: x\r\n"
        + AUTH.format(token()).encode()
        + b"Content-Type: application/json\r\nContent-Length: 4\r\n"
        + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    async with stream:
        await stream.send_all(first + smuggled)
        response = await _read_until_closed(stream)
    answers = response.split(b"HTTP/1.1 ")[1:]
    assert answers[-1].startswith(b"400 ")
    assert b"conflicting-framing" in answers[-1]
    assert _head(b"HTTP/1.1 " + answers[-1])["connection"] == "close"
    assert server.app.hub.broadcaster.session_stats("alice:chat")["historySize"] == 0


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), as a client that aborts does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /sse/alice:ch", None],
    ids=["nothing", "half a head", "a whole stream request"],
)
async def test_a_client_resetting_its_connection_is_quiet(
    server: Server, caplog: pytest.LogCaptureFixture, sent: bytes | None
) -> None:
    caplog.set_level(logging.DEBUG)
    host, port = server.url.removeprefix("http://").split(":")
    for _ in range(20):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(_request("GET", "/sse/alice:chat") if sent is None else sent)
        if sent is None:
            await settles(lambda: server.subscribers("alice:chat") == 1)
        _reset(sock)
        await settles(lambda: server.subscribers("alice:chat") == 0)
    assert (await server.client.get("/healthz")).status_code == 200
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG and r.exc_info]
    assert loud == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_hypercorn_pieces_relied_on_are_there() -> None:
    hypercorn_worker.verify()


def test_a_missing_hypercorn_piece_fails_naming_the_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shapes = dict(hypercorn_worker._SHAPES)
    shapes["hypercorn.trio.tcp_server.TCPServer"] = (lambda app: None, ("app", "config"))
    monkeypatch.setattr(hypercorn_worker, "_SHAPES", shapes)
    with pytest.raises(RuntimeError, match=r"^server\.serving\.hypercorn_worker: .*TCPServer"):
        hypercorn_worker.verify()


_TOKENS = st.sampled_from(
    [
        *(b"GET", b"HEAD", b"POST", b"OPTIONS", b"G\x00T", b"/healthz", b"/sse/alice:chat"),
        *(b"/sse/%2E", b"/sse/a%2Fb", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9"),
        *(b" ", b":", b"\r\n", b"\n", b"\r", b"\x00", b"\t", b"\xff", b"Host: x"),
        *(b"Content-Length: 5", b"Content-Length: -1", b"Transfer-Encoding: chunked"),
        *(b"Upgrade: h2c", b"Last-Event-ID: \xff", AUTH.format(token(ttl=3600)).encode()),
    ]
)


@st.composite
def _heads(draw: st.DrawFn) -> bytes:
    """A request head built from pieces of real ones, often malformed, often cut short."""
    head = b"".join(draw(st.lists(_TOKENS | st.binary(max_size=12), max_size=16)))
    if draw(st.booleans()):
        head += b"\r\n\r\n"
    if draw(st.booleans()):
        head = head[: draw(st.integers(min_value=0, max_value=len(head)))]
    return head


async def _exchange_and_check(server: Server, head: bytes) -> None:
    """Send ``head`` on a new connection, then nothing more: the answer is a 2xx or a 4xx, or
    the connection closes; the server answers a health check after; nothing is left open."""
    before = _open_fds()
    stream = await _connect(server)
    async with stream:
        await stream.send_all(head)
        await stream.send_eof()
        response = await _read_answer(stream)
    if response:
        status = response.split(b" ", 2)[1]
        assert response.startswith(b"HTTP/1.") and status[:1] in (b"2", b"4"), (head, response)
    assert (await server.client.get("/healthz")).status_code == 200
    # the health check's kept-alive socket aside; Hypercorn closes a connection whose client
    # sent its end within the keep-alive timeout (5 s)
    await settles(lambda: _open_fds() <= before + 2, within=6)
    assert server.app.hub.connections.total == 0


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
@hypothesis.settings(max_examples=5, deadline=None)
@hypothesis.given(heads=st.lists(_heads(), min_size=1, max_size=20))
async def test_malformed_and_truncated_heads_get_a_4xx_or_a_close(
    front: bool, heads: list[bytes]
) -> None:
    with capture_logs() as records:
        async with running(front=front) as server:
            for head in heads:
                await _exchange_and_check(server, head)
    assert [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "target",
    [b"/sse/caf\xc3\xa9", b"/sse/\xff", b"/sse/a%2Fb", b"/sse/%2E", b"/sse/%ff", b"/healthz\xff"],
)
async def test_odd_bytes_in_the_target_get_a_4xx(
    server: Server, caplog: pytest.LogCaptureFixture, target: bytes
) -> None:
    stream = await _connect(server)
    async with stream:
        await stream.send_all(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        await stream.send_eof()
        response = await _read_answer(stream)
    assert response.split(b" ", 2)[1].startswith(b"4"), response
    assert [r for r in caplog.records if r.exc_info] == []


_UNREADABLE = {
    "raw UTF-8 in the query": (b"GET /api/events?limit=\xef\xbc\x91 HTTP/1.1\r\nHost: x\r\n", 400),
    "no Host": (b"GET /healthz HTTP/1.1\r\n", 400),
    "a negative length": (b"POST /api/sessions/a/events HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: -1\r\n", 400),
    "two lengths": (b"GET /sse/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Content-Length: 6\r\n", 400),
    "a NUL in a header": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n", 400),
    "a coding not implemented": (b"POST /api/sessions/a/events HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: gzip\r\n", 501),
    "a header section too large": (b"GET /sse/a HTTP/1.1\r\nHost: x\r\nX-Big: "
                                   + b"a" * 70_000 + b"\r\n", 431),
}  # fmt: skip


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
@pytest.mark.parametrize("head", list(_UNREADABLE), ids=list(_UNREADABLE))
async def test_a_request_that_cannot_be_read_is_answered_with_a_problem(
    front: bool, head: str
) -> None:
    """What h11 refuses gets a problem document, as every other error: not an empty body."""
    sent, status = _UNREADABLE[head]
    async with running(front=front) as server:
        stream = await _connect(server)
        async with stream:
            await stream.send_all(sent + b"\r\n")
            response = await _read_answer(stream)
    found, body = response.split(b"\r\n\r\n", 1)
    assert found.startswith(b"HTTP/1.1 %d " % status), response
    headers = _head(response)
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = orjson.loads(body)
    assert problem["status"] == status and problem["type"].startswith("https://sluice-sse.dev/")
    assert problem["detail"]


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_http_versions_other_than_1_x_are_a_505_and_a_later_1_x_is_answered_as_1_1(
    front: bool,
) -> None:
    """RFC 9110 §15.6.6 and RFC 9112 §2.3 (h11 itself takes any digits)."""
    async with running(front=front) as server:
        for version, path in itertools.product(("0.9", "2.0", "3.0"), ("/sse/alice:a", "/healthz")):
            stream = await _connect(server)
            async with stream:
                await stream.send_all(_request("GET", path, version=version))
                response = await _read_answer(stream)
            assert response.startswith(b"HTTP/1.1 505 "), (version, path, response)
            assert _head(response)["content-type"] == "application/problem+json"
        stream = await _connect(server)
        async with stream:
            await stream.send_all(_request("GET", "/sse/alice:a", version="1.2"))
            received = b""
            with trio.fail_after(10):
                while b"event: connection" not in received:
                    received += await stream.receive_some()
        assert received.startswith(b"HTTP/1.1 200 "), received  # (Hypercorn: no reason phrase)


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_websocket_handshake_is_a_404_problem_on_every_path(front: bool) -> None:
    """RFC 6455 §4.2.1: no WebSocket service here is a 404; Quart answered an empty 500 and
    logged an error for each handshake, on a stream's path and every other."""
    upgrade = (
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    )
    async with running(front=front) as server:
        with capture_logs() as records:
            for path in ("/sse/alice:a", "/sse?session=alice:a", "/api/stats", "/nope"):
                stream = await _connect(server)
                async with stream:
                    await stream.send_all(_request("GET", path, *upgrade))
                    response = await _read_answer(stream)
                assert response.startswith(b"HTTP/1.1 404 "), (path, response)
                assert _head(response)["content-type"] == "application/problem+json"
                problem = orjson.loads(response.split(b"\r\n\r\n", 1)[1])
                assert problem["type"].endswith("/not-found") and "WebSocket" in problem["detail"]
                assert problem["instance"] == path.partition("?")[0]
        assert not [r for r in records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_target_in_absolute_form_is_served_as_its_path(front: bool) -> None:
    """RFC 9112 §3.2.2: a server must accept ``http://host/path``; a stream's path in that
    form was a 404 while the REST routes took it."""
    async with running(front=front) as server:
        host = server.url.removeprefix("http://")
        for target, answer in (
            (f"http://{host}/sse/alice:a", b"event: connection"),
            (f"http://{host}/sse?session=alice:a&session=alice:b", b"event: connection"),
            (f"HTTP://{host}/agent_network_sse/alice:a", b"event: connection"),
            (f"http://{host}/api/sessions/alice:a/events", b'"sessionId":"alice:a"'),
        ):
            stream = await _connect(server)
            async with stream:
                await stream.send_all(_request("GET", target))
                received = b""
                with trio.fail_after(10):
                    while answer not in received and b"\r\n\r\n{" not in received:
                        received += await stream.receive_some()
            assert received.startswith(b"HTTP/1.1 200 "), (target, received)
        stream = await _connect(server)
        async with stream:
            await stream.send_all(_request("GET", f"http://{host}/sse/a%20b"))
            response = await _read_answer(stream)
        assert response.startswith(b"HTTP/1.1 400 "), response
        assert orjson.loads(response.split(b"\r\n\r\n", 1)[1])["instance"] == "/sse/a%20b"


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_options_of_the_server_lists_its_methods_and_other_methods_of_it_are_a_400(
    front: bool,
) -> None:
    """RFC 9110 §9.3.7 and RFC 9112 §3.2.4: ``OPTIONS *`` asks about the server as a whole
    (it was a 404 of ``/*``); the asterisk form is for OPTIONS only."""
    async with running(front=front) as server:
        stream = await _connect(server)
        async with stream:
            await stream.send_all(_request("OPTIONS", "*", "Connection: close"))
            response = await _read_until_closed(stream)
        assert response.startswith(b"HTTP/1.1 204 "), response
        allowed = set(_head(response)["allow"].split(", "))
        assert allowed == {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}
        stream = await _connect(server)
        async with stream:
            await stream.send_all(_request("GET", "*"))
            response = await _read_answer(stream)
        assert response.startswith(b"HTTP/1.1 400 "), response
        problem = orjson.loads(response.split(b"\r\n\r\n", 1)[1])
        assert problem["type"].endswith("/malformed-request") and problem["instance"] == "*"


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_header_the_hub_reads_once_sent_twice_is_a_400_naming_it(front: bool) -> None:
    """RFC 9110 §5.3: the hub took the first of two Authorization (or Content-Type, Origin,
    Last-Event-ID) lines where another component may take the last; on a stream, a publish
    (the front's and the app's) and a REST read, nothing published."""
    body = orjson.dumps(message("twice"))
    cases = {  # each a second line beside the request's own (_request sends Authorization)
        "Authorization": [f"Authorization: Bearer {token('bob')}"],
        "Content-Type": ["Content-Type: application/json", "Content-Type: text/plain"],
        "Origin": ["Origin: http://x", "Origin: https://evil.example"],
        "Last-Event-ID": ["Last-Event-ID: a", "Last-Event-ID: b"],
    }
    async with running(front=front) as server:
        for name, extra in cases.items():
            typed = [] if name == "Content-Type" else ["Content-Type: application/json"]
            for method, path, head, content in (
                ("GET", "/sse/alice:a", [], b""),
                ("POST", "/api/sessions/alice:a/events", typed, body),
                ("GET", "/api/stats", [], b""),
            ):
                length = [f"Content-Length: {len(content)}"] if content else []
                stream = await _connect(server)
                async with stream:
                    sent = _request(method, path, *head, *length, *extra) + content
                    await stream.send_all(sent)
                    response = await _read_answer(stream)
                assert response.startswith(b"HTTP/1.1 400 "), (name, path, response)
                assert _head(response)["connection"] == "close"
                problem = orjson.loads(response.split(b"\r\n\r\n", 1)[1])
                assert problem["detail"].startswith(f"{name} may be sent only once"), problem
        assert server.app.hub.broadcaster.session_stats("alice:a")["published"] == 0
