"""The front: which connections it serves itself, which it hands to Hypercorn, and its limits.

A new connection whose first request is an admitted stream is served by the front (no
``server`` header: Hypercorn adds one), and so are plainly framed publishes, one after another
on a kept-alive connection; everything else goes to Hypercorn with the bytes already read and
is answered as before. Timeouts run on trio's MockClock over a socket pair.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import trio
import trio.testing
from hub_client import (
    NOT_EVENTS,
    Server,
    bearer,
    check_problem,
    message,
    running,
    settings,
    settles,
    token,
)

from server.agent import DemoAgent
from server.hub import Hub
from server.security.auth import Authenticator
from server.serving.hypercorn_worker import Worker
from server.serving.run import hypercorn_config
from server.streaming import direct
from server.streaming.direct import StreamSink
from server.streaming.front import Front
from server.web.app import create_app


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """A real server (its front serves the streams of new connections)."""
    async with running() as running_server:
        yield running_server


async def _exchange(server: Server, request: bytes) -> bytes:
    """Send raw ``request`` bytes on a new connection; everything the server sends back
    until it closes the connection."""
    host, port = server.url.removeprefix("http://").split(":")
    stream = await trio.open_tcp_stream(host, int(port))
    async with stream:
        await stream.send_all(request)
        received = bytearray()
        with trio.fail_after(5):
            while chunk := await stream.receive_some():
                received += chunk
    return bytes(received)


async def _stream_until_shutdown(server: Server, request: bytes) -> bytes:
    """What the server sends back for raw ``request``, a stream: it is open, then the server
    shuts down, which ends it."""
    received: list[bytes] = []

    async def exchange() -> None:
        received.append(await _exchange(server, request))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(exchange)
        await settles(lambda: server.subscribers("alice:chat") == 1, within=5)
        server.stop.set()
    assert server.subscribers("alice:chat") == 0
    return received[0]


def _head(response: bytes) -> str:
    return response.split(b"\r\n\r\n", 1)[0].decode().lower()


async def test_a_stream_on_a_kept_alive_connection_is_served_by_hypercorn_alike(
    server: Server,
) -> None:
    auth = bearer(token())
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=10) as client:
        (first,) = await server.publish("alice:chat", message("before"), headers=auth)
        await client.get("/healthz")  # the connection the stream will reuse
        async with server.stream("/sse/alice:chat", headers=auth, client=client) as stream:
            assert stream.response.headers["server"].startswith("hypercorn")
            assert (await stream.next())["type"] == "connection"
            assert (await stream.next())["id"] == first
            (second,) = await server.publish("alice:chat", message("after"), headers=auth)
            assert (await stream.next())["id"] == second
    await settles(lambda: server.subscribers("alice:chat") == 0)


async def test_a_refused_stream_is_answered_by_the_front_admitted_once(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str | None] = []
    authenticate = Authenticator.authenticate

    def counting(self: Authenticator, token: str | None) -> Any:
        verified.append(token)
        return authenticate(self, token)

    monkeypatch.setattr(Authenticator, "authenticate", counting)
    response = await server.streams.get("/sse/alice:chat")
    check_problem(response, 401)
    assert "server" not in response.headers and response.headers["connection"] == "close"
    assert "date" in response.headers
    assert len(verified) == 1  # the token is checked once, by one admission
    check_problem(await server.streams.get("/sse/bob:chat", headers=bearer(token())), 403)
    assert len(verified) == 2


@pytest.mark.parametrize(
    ("extra", "body"),
    [(b"Content-Length: 2\r\n", b"{}"), (b"Upgrade: websocket\r\n", b"")],
    ids=["a body", "an upgrade"],
)
async def test_streams_the_front_does_not_take_go_to_hypercorn(
    server: Server, extra: bytes, body: bytes
) -> None:
    auth = f"Authorization: Bearer {token()}\r\n".encode()
    request = b"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\n" + auth + extra + b"\r\n" + body
    response = await _stream_until_shutdown(server, request)
    assert "server: hypercorn" in _head(response)
    assert b'"status":"disconnected"' in response


async def test_an_http_1_0_stream_is_served_by_the_front_ended_by_the_close(
    server: Server,
) -> None:
    auth = f"Authorization: Bearer {token()}\r\n".encode()
    request = b"GET /sse/alice:chat HTTP/1.0\r\nHost: x\r\n" + auth + b"\r\n"
    response = await _stream_until_shutdown(server, request)
    head = _head(response)
    assert response.startswith(b"HTTP/1.0 200 OK\r\n")
    assert "server:" not in head and "transfer-encoding" not in head
    assert "connection: close" in head and "date: " in head
    body = response.split(b"\r\n\r\n", 1)[1]
    assert body.startswith(b"retry: ") and body.endswith(b"}\n\n")  # no chunk framing
    assert b'"status":"disconnected"' in body


async def test_a_stream_with_requests_pipelined_behind_it_is_served_and_they_are_not(
    server: Server,
) -> None:
    auth = f"Authorization: Bearer {token()}\r\n".encode()
    stream = b"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n"
    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    response = await _stream_until_shutdown(server, stream + healthz)
    assert "server:" not in _head(response)
    assert response.count(b"HTTP/1.1 ") == 1  # the pipelined request is not answered
    assert response.endswith(b"\r\n0\r\n\r\n")


def _post(session: str, body: bytes, *, close: bool = False) -> bytes:
    auth = f"Authorization: Bearer {token()}\r\n".encode()
    framing = b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    closing = b"Connection: close\r\n" if close else b""
    head = b"POST /api/sessions/%s/events HTTP/1.1\r\nHost: x\r\n" % session.encode()
    return head + auth + framing + closing + b"\r\n" + body


def _answers(received: bytes) -> list[tuple[str, bytes]]:
    """The (head, body) of each answer with a ``Content-Length`` in ``received``, in order."""
    answers = []
    while received:
        head, rest = received.split(b"\r\n\r\n", 1)
        length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
        answers.append((head.decode().lower(), rest[:length]))
        received = rest[length:]
    return answers


async def test_publishes_on_a_kept_alive_connection_are_answered_by_the_front(
    server: Server,
) -> None:
    event = b'{"type": "message", "data": {"content": "fast"}}'
    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    pipelined = _post("alice:chat", event) + _post("alice:chat", b"[]") + healthz
    host, port = server.url.removeprefix("http://").split(":")
    async with await trio.open_tcp_stream(host, int(port)) as stream:
        await stream.send_all(_post("alice:chat", event))  # then, on the same connection:
        with trio.fail_after(5):
            first = await stream.receive_some()
        await stream.send_all(pipelined)
        received = bytearray(first)
        with trio.fail_after(5):
            while chunk := await stream.receive_some():
                received += chunk
    (one, one_body), (two, two_body), (bad, bad_body), (health, _) = _answers(bytes(received))
    assert [h.split("\r\n", 1)[0] for h in (one, two, bad, health)] == [
        "http/1.1 201 created",
        "http/1.1 201 created",
        "http/1.1 422 unprocessable content",
        "http/1.1 200 ",
    ]
    assert all("server:" not in head for head in (one, two, bad))  # the front's answers
    assert "server: hypercorn" in health  # the request after them went to Hypercorn
    ids = [orjson.loads(body)["ids"][0] for body in (one_body, two_body)]
    history = await server.client.get("/api/sessions/alice:chat/events", headers=bearer(token()))
    assert [e["id"] for e in history.json()["events"]] == ids
    assert orjson.loads(bad_body)["type"].endswith("/invalid-event")


async def test_json_that_is_no_event_is_answered_422_by_the_front(server: Server) -> None:
    """Each body pipelined on one connection: every answer is the front's (it had a 500 for
    each, from an ``AttributeError`` on the value), and nothing is published."""
    requests = [_post("alice:x", body) for body, _ in NOT_EVENTS[:-1]]
    requests.append(_post("alice:x", NOT_EVENTS[-1][0], close=True))
    answers = _answers(await _exchange(server, b"".join(requests)))
    assert len(answers) == len(NOT_EVENTS)
    for (head, body), (_, errors) in zip(answers, NOT_EVENTS, strict=True):
        assert head.startswith("http/1.1 422") and "server:" not in head, head
        assert "content-type: application/problem+json" in head
        problem = orjson.loads(body)
        assert problem["type"].endswith("/invalid-event")
        assert [(e["pointer"], e["message"]) for e in problem["errors"]] == errors
    assert server.app.hub.broadcaster.session_stats("alice:x")["historySize"] == 0


async def test_an_event_too_large_is_answered_413_by_the_front() -> None:
    async with running(settings(max_event_bytes=200)) as server:
        batch = orjson.dumps([message("fits"), message("x" * 300)])
        ((head, body),) = _answers(await _exchange(server, _post("alice:x", batch, close=True)))
        assert head.startswith("http/1.1 413") and "server:" not in head, head
        problem = orjson.loads(body)
        assert problem["type"].endswith("/event-too-large")
        assert problem["errors"] == [
            {"pointer": "/1", "message": "the message event is 340 bytes as JSON, at most 200"}
        ]
        assert server.app.hub.broadcaster.session_stats("alice:x")["historySize"] == 0


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"], ids=["crlf", "bare-lf"])
async def test_a_publish_body_starts_where_its_head_ends_whatever_ends_its_lines(
    server: Server, newline: bytes
) -> None:
    """h11 ends a head's lines with CRLF or a bare LF: the body starts where the head reader
    says, not at the first blank CRLF line (here inside the body: that read another request's
    bytes as the body, and those of the body as the next request)."""
    real = b'{"type": "message", "data": {"content": "real"}}\r\n\r\n'
    smuggled = b'{"type": "message", "data": {"content": "smuggled"}}'.ljust(len(real))
    head = _post("alice:lf", real).split(b"\r\n\r\n", 1)[0].replace(b"\r\n", newline)
    received = await _exchange(server, head + newline + newline + real + smuggled + b"\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 201 ")
    assert b"HTTP/1.1 400 " in received  # the bytes after the body: not a request
    history = await server.client.get("/api/sessions/alice:lf/events", headers=bearer(token()))
    assert [e["data"]["content"] for e in history.json()["events"]] == ["real"]


async def test_requests_that_arrive_late_or_in_pieces_are_answered_by_the_front(
    server: Server,
) -> None:
    """The first read of a new connection finds nothing yet (it waits), a head cut in two is
    read by h11 (the plain reader takes whole heads only), a head with a folded line too."""
    event = b'{"type": "message", "data": {"content": "late"}}'
    cut = _post("alice:chat", event)
    unusual = _post("alice:chat", event, close=True).replace(
        b"Host: x", b"Host: x\r\nX-Folded: a\r\n b"
    )
    host, port = server.url.removeprefix("http://").split(":")
    async with await trio.open_tcp_stream(host, int(port)) as stream:
        await trio.sleep(0.05)  # the front reads before anything is sent
        received = bytearray()
        for piece in (cut[:30], cut[30:], unusual):
            await stream.send_all(piece)
            await trio.sleep(0.05)
        with trio.fail_after(5):
            while chunk := await stream.receive_some():
                received += chunk
    (one, one_body), (two, _) = _answers(bytes(received))
    assert one.startswith("http/1.1 201") and two.startswith("http/1.1 201")
    assert "server:" not in one + two  # the front's answers
    assert "connection: close" in two
    history = await server.client.get("/api/sessions/alice:chat/events", headers=bearer(token()))
    assert len(history.json()["events"]) == 2
    assert history.json()["events"][0]["id"] == orjson.loads(one_body)["ids"][0]


async def test_a_publish_asking_to_close_is_answered_and_closed_by_the_front(
    server: Server,
) -> None:
    event = b'{"type": "message", "data": {"content": "bye"}}'
    response = await _exchange(server, _post("alice:chat", event, close=True))
    ((head, body),) = _answers(response)
    assert head.startswith("http/1.1 201") and "connection: close" in head
    assert orjson.loads(body)["sessionId"] == "alice:chat"


async def test_publishes_the_front_does_not_take_are_answered_by_hypercorn(
    server: Server,
) -> None:
    event = b'{"type": "message", "data": {"content": "elsewhere"}}'
    foreign = b"Host: x\r\nOrigin: http://elsewhere.example\r\n"
    with_origin = _post("alice:chat", event, close=True).replace(b"Host: x\r\n", foreign)
    not_json = _post("alice:chat", b"{not json", close=True)
    for request, status in ((with_origin, 403), (not_json, 400)):
        ((head, body),) = _answers(await _exchange(server, request))
        assert head.startswith(f"http/1.1 {status}"), (head, body)
        assert "server: hypercorn" in head


async def test_a_malformed_request_gets_hypercorns_400(server: Server) -> None:
    response = await _exchange(server, b"GET /sse/alice:chat HTTP/1.1\r\nno colon here\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 400")
    assert "server: hypercorn" in _head(response)


async def test_a_stream_served_by_the_front_ends_with_a_chunked_end_and_closes(
    server: Server,
) -> None:
    request = f"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token()}\r\n\r\n"
    response = await _stream_until_shutdown(server, request.encode())
    head = _head(response)
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert "transfer-encoding: chunked" in head and "connection: close" in head
    assert "server:" not in head
    assert response.endswith(b"\r\n0\r\n\r\n")
    assert b'"status":"disconnected"' in response


async def test_the_access_log_has_the_streams_the_front_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="hypercorn.access")
    async with running() as server:
        async with server.stream("/sse/alice:chat", headers=bearer(token())) as stream:
            assert (await stream.next())["type"] == "connection"
        await settles(lambda: any("/sse/alice:" in r.getMessage() for r in caplog.records))
    (line,) = [r.getMessage() for r in caplog.records if "GET /sse/alice:chat" in r.getMessage()]
    assert '" 200 ' in line


async def test_a_body_failing_mid_stream_is_logged_and_ends_its_connection_only(
    server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(self: Hub, *args: Any, **options: Any) -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        raise RuntimeError("internal detail")

    monkeypatch.setattr(Hub, "stream", failing)
    request = f"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token()}\r\n\r\n"
    response = await _exchange(server, request.encode())
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b"retry: 1000\n\n\r\n")  # and no chunked end
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "Exception on request GET /sse/alice:chat"
    assert (await server.client.get("/healthz")).status_code == 200


# The front alone, over a socket pair, on trio's MockClock.


@asynccontextmanager
async def front_on_a_socket_pair(**overrides: Any) -> AsyncIterator[tuple[Hub, trio.SocketStream]]:
    """The app's hub, and the client end of a connection the front serves."""
    app = create_app(settings(**overrides), agent=DemoAgent(delay=0))
    config = hypercorn_config(app.settings)
    async with app.test_app(), trio.open_nursery() as nursery:
        worker = Worker(app, config)
        front = Front(
            app.hub,
            worker.serve_connection,
            config,
            worker.connection_state,
            app.settings.send_timeout,
            app.settings.max_body_bytes,
        )
        ours, theirs = trio.socket.socketpair()
        client = trio.SocketStream(theirs)
        nursery.start_soon(front, trio.SocketStream(ours))
        async with client:
            yield app.hub, client
        nursery.cancel_scope.cancel()


async def _read_to_the_end(client: trio.SocketStream, within: float = 1) -> bytes:
    """What the server sent until it closed the connection (fails if it does not ``within``
    seconds)."""
    received = bytearray()
    with trio.fail_after(within):
        while chunk := await client.receive_some():
            received += chunk
    return bytes(received)


async def test_a_connection_that_sends_no_request_is_closed_after_the_keep_alive_timeout(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with front_on_a_socket_pair() as (_, client):
        await client.send_all(b"GET /sse/alice:chat HTTP/1.1\r\n")  # and no more
        start = trio.current_time()
        assert await _read_to_the_end(client, within=60) == b""
        assert trio.current_time() - start == pytest.approx(5)  # Hypercorn's default


async def test_each_wait_for_a_kept_alive_publishers_next_request_has_the_keep_alive_timeout(
    autojump_clock: trio.abc.Clock,
) -> None:
    event = b'{"type": "message", "data": {"content": "idle"}}'
    async with front_on_a_socket_pair() as (hub, client):
        for _ in range(3):  # each sent 4 s after the last answer: within the timeout
            await trio.sleep(4)
            await client.send_all(_post("alice:chat", event))
            with trio.fail_after(1):
                answer = await client.receive_some()
            assert answer.startswith(b"HTTP/1.1 201 Created\r\n")
        start = trio.current_time()
        assert await _read_to_the_end(client, within=60) == b""
        assert trio.current_time() - start == pytest.approx(5)  # Hypercorn's default
    assert len(await hub.broadcaster.get_event_history("alice:chat")) == 3


@pytest.mark.parametrize("catch_up", [False, True], ids=["live", "catch-up"])
async def test_a_client_that_stops_reading_is_cut_after_the_send_timeout(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture, catch_up: bool
) -> None:
    """Live frames are written from the fan-out, a catch-up is yielded by the stream's
    generator: the timeout is met at either place, with the same end and the same log."""
    caplog.set_level("INFO", logger="sluice.stream")
    async with front_on_a_socket_pair(send_timeout=20, max_queue_size=10_000) as (hub, client):
        filler = message("x" * 60_000)
        for _ in range(100 if catch_up else 0):  # far more than the socket pair's buffers hold
            await hub.broadcaster.publish("alice:chat", filler)
        await client.send_all(_stream_request())
        assert b"200 OK" in await client.receive_some()
        assert hub.connections["alice"] == 1
        for _ in range(0 if catch_up else 100):
            await hub.broadcaster.publish("alice:chat", filler)
        start = trio.current_time()
        await trio.sleep(19)
        assert hub.connections["alice"] == 1  # still waiting on the client
        await trio.sleep(2)
        assert hub.connections["alice"] == 0
        assert trio.current_time() - start < 22
        assert (await _read_to_the_end(client)).count(b"event: message") < 100
    assert _disconnect(caplog)["outcome"] == "too_slow"


async def test_a_client_cut_off_for_overflow_gets_its_end_and_the_log_says_overflow(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sluice.stream")
    async with front_on_a_socket_pair(send_timeout=600, max_queue_size=5) as (hub, client):
        received = await _flooded(hub, client)
        received += await _read_to_the_end(client, within=60)
        assert b"event: stream_overflow" in received
        assert received.count(b"event: message") < 60
    assert _disconnect(caplog)["outcome"] == "overflow"


async def test_a_client_cut_off_for_overflow_then_too_slow_for_its_end_is_logged_overflow(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sluice.stream")
    async with front_on_a_socket_pair(send_timeout=20, max_queue_size=5) as (hub, client):
        await _flooded(hub, client)
        await trio.sleep(21)  # never read: the end cannot be sent either
        assert hub.connections["alice"] == 0
    assert _disconnect(caplog)["outcome"] == "overflow"


async def test_a_client_cut_off_for_overflow_that_then_leaves_is_logged_overflow(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sluice.stream")
    async with front_on_a_socket_pair(send_timeout=600, max_queue_size=5) as (hub, client):
        await _flooded(hub, client)
        await client.aclose()  # gone before its end could be sent: the cut came first
        await trio.testing.wait_all_tasks_blocked()
        assert hub.connections["alice"] == 0
    assert _disconnect(caplog)["outcome"] == "overflow"


async def _flooded(hub: Hub, client: trio.SocketStream) -> bytearray:
    """Open a stream on ``client``, then publish more than its socket and a small queue hold
    while it does not read: what it read before (up to its ``connection`` event)."""
    await client.send_all(_stream_request())
    received = bytearray()
    await _read_until(client, received, b"event: connection")
    await trio.testing.wait_all_tasks_blocked()
    for n in range(60):  # the socket fills, then the queue: cut off
        await hub.broadcaster.publish("alice:chat", message(f"{n} " + "x" * 60_000))
    return received


# Direct writes: the publishing task writes each waiting stream's frames to its socket; the
# stream's own task finishes a write that would block, and a client found gone ends the stream.


def _stream_request() -> bytes:
    auth = f"Authorization: Bearer {token()}\r\n"
    return f"GET /sse/alice:chat HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()


async def _read_until(client: trio.SocketStream, received: bytearray, marker: bytes) -> None:
    with trio.fail_after(60):
        while marker not in received:
            received += await client.receive_some()


def _ids(received: bytes) -> list[str]:
    return [line[4:].decode() for line in received.split(b"\n") if line.startswith(b"id: ")]


def _disconnect(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    (record,) = [r for r in caplog.records if r.getMessage() == "disconnect"]
    fields: dict[str, Any] = record.fields  # type: ignore[attr-defined]
    return fields


async def test_a_direct_write_that_would_block_is_finished_by_the_streams_task_in_order(
    autojump_clock: trio.abc.Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level("INFO", logger="sluice.stream")
    handed_over: list[int] = []
    flush = StreamSink.flush

    async def counting(self: StreamSink) -> None:
        if self._rest is not None:
            handed_over.append(len(self._rest))
        await flush(self)

    monkeypatch.setattr(StreamSink, "flush", counting)
    async with front_on_a_socket_pair(send_timeout=60, max_queue_size=10_000) as (hub, client):
        await client.send_all(_stream_request())
        received = bytearray()
        await _read_until(client, received, b"event: connection")
        await trio.testing.wait_all_tasks_blocked()
        filler = [message(f"{n} " + "x" * 60_000) for n in range(40)]  # more than buffers hold
        published = [await hub.broadcaster.publish("alice:chat", event) for event in filler]
        assert handed_over  # the socket would block: the stream's task took over
        await _read_until(client, received, published[-1].encode())
        await trio.testing.wait_all_tasks_blocked()
        last = await hub.broadcaster.publish("alice:chat", message("after"))  # direct again
        await _read_until(client, received, last.encode())
        assert _ids(bytes(received)) == [*published, last]  # nothing lost, in order
    await trio.testing.wait_all_tasks_blocked()
    assert hub.connections["alice"] == 0
    assert _disconnect(caplog)["events"] == 41


async def test_a_client_found_gone_by_a_direct_write_ends_its_stream(
    autojump_clock: trio.abc.Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level("INFO", logger="sluice.stream")
    monkeypatch.setattr(direct.Hangups, "watch", lambda *_: None)  # nothing watches the close
    monkeypatch.setattr(direct.Hangups, "forget", lambda *_: None)
    async with front_on_a_socket_pair() as (hub, client):
        await client.send_all(_stream_request())
        await _read_until(client, bytearray(), b"event: connection")
        await trio.testing.wait_all_tasks_blocked()
        await hub.broadcaster.publish("alice:chat", message("seen"))
        await client.aclose()
        await trio.testing.wait_all_tasks_blocked()
        assert hub.connections["alice"] == 1  # nothing noticed it yet
        await hub.broadcaster.publish("alice:chat", message("to nobody"))  # EPIPE
        await trio.testing.wait_all_tasks_blocked()
        assert hub.connections["alice"] == 0
        assert hub.broadcaster.session_stats("alice:chat")["subscribers"] == 0
    fields = _disconnect(caplog)
    assert (fields["outcome"], fields["events"]) == ("client_gone", 2)


async def test_the_keepalive_counts_from_the_last_direct_write(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with front_on_a_socket_pair(keepalive=30) as (hub, client):
        await client.send_all(_stream_request())
        received = bytearray()
        await _read_until(client, received, b"event: connection")
        await trio.sleep(20)
        written = trio.current_time()
        await hub.broadcaster.publish("alice:chat", message("live"))
        await _read_until(client, received, b"event: message")
        await _read_until(client, received, b"event: keepalive")
        assert trio.current_time() - written == pytest.approx(30)


@pytest.mark.parametrize("epoll", [True, False], ids=["one watcher", "a task per stream"])
async def test_a_client_closing_an_idle_stream_frees_it(
    autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch, epoll: bool
) -> None:
    monkeypatch.setattr(direct.Hangups, "available", epoll)
    async with front_on_a_socket_pair() as (hub, client):
        await client.send_all(_stream_request() + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await _read_until(client, bytearray(), b"event: connection")
        await trio.sleep(1)
        assert hub.connections["alice"] == 1  # the pipelined request was read and ignored
        await client.aclose()
        await trio.testing.wait_all_tasks_blocked()
        assert hub.connections["alice"] == 0
        assert hub.broadcaster.session_stats("alice:chat")["subscribers"] == 0
