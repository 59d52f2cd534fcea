"""HTTP edge cases real clients send, end to end on both paths: HEAD, session ids a URL would
change, a body that never completes, a body that is not UTF-8."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import unquote

import attrs
import h11
import orjson
import pytest
import trio
from hub_client import Server, bearer, check_problem, message, running, settings, token

from protocol import is_session_id
from server.agent import AgentRequest, Answer, Thought


@attrs.frozen
class Answered:
    """What came back for a raw request: the response head, its body, and whether the server
    closed the connection after it."""

    response: h11.Response
    body: bytes
    closed: bool

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.response.headers}

    def problem(self, status: int) -> dict[str, Any]:
        assert self.response.status_code == status, (self.response, self.body)
        assert self.headers["content-type"] == "application/problem+json"
        doc: dict[str, Any] = orjson.loads(self.body)
        assert doc["status"] == status
        return doc


async def exchange(
    server: Server,
    method: str,
    target: bytes,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    keep_alive: bool = False,
    within: float = 5,
) -> Answered:
    """Send ``method target`` with ``headers`` and ``body`` as raw bytes on a new connection
    (nothing normalised: ``/sse/..`` goes out as written) and read the answer.

    Without ``keep_alive`` the request asks for the connection to be closed after it; with it,
    :attr:`Answered.closed` says whether the server closed it within a second all the same.
    """
    if not keep_alive:
        headers = [*headers, ("Connection", "close")]
    address = server.url.removeprefix("http://")
    host, port = address.split(":")
    head = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), target, address.encode())
    head += b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers)
    client = h11.Connection(h11.CLIENT)  # parses the answer; told the method for its framing
    client.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    stream = await trio.open_tcp_stream(host, int(port))
    async with stream:
        await stream.send_all(head + b"\r\n" + body)
        response, received = None, bytearray()
        with trio.fail_after(within):
            while True:
                event = client.next_event()
                if event is h11.NEED_DATA:
                    client.receive_data(await stream.receive_some())
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    received += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
        closed = False
        with trio.move_on_after(1):
            closed = await stream.receive_some() == b""
    assert response is not None
    return Answered(response, bytes(received), closed)


# HEAD ---------------------------------------------------------------------------------------


async def test_head_is_get_without_the_body_on_every_route(server: Server) -> None:
    auth = bearer(token())
    await server.publish("alice:chat", message("m"), headers=auth)
    cases = [
        *("/healthz", "/readyz", "/metrics", "/schemas/", "/schemas/events/message.json"),
        *("/asyncapi.json", "/api/stats", "/no/such/path", "/schemas/none.json"),
        *("/api/sessions/alice:chat/events", "/api/sessions/alice:chat/stats"),
        "/api/sessions/bad%20id/events",  # 400
        "/api/sessions/bob:x/events",  # 403
        "/api/chat_actions/regenerate",  # 405
        "/api/sessions/alice:chat",  # 405
    ]
    for path in cases:
        for headers in (auth, {}):  # with a token, and without (401 where one is needed)
            got = await server.client.get(path, headers=headers)
            head = await server.client.head(path, headers=headers)
            assert head.status_code == got.status_code, path
            assert head.headers.get("content-type") == got.headers.get("content-type"), path
            assert head.content == b"", path
    assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 1


class RecordingAgent:
    """The demo agent's shape, answering at once; records each query it was run on."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def __call__(self, request: AgentRequest) -> AsyncIterator[Thought | Answer]:
        self.queries.append(request.query)
        yield Thought("Reading", request.query)
        yield Answer(f"answer to {request.query}")


@pytest.mark.parametrize("front", [True, False])
async def test_head_of_a_stream_or_a_run_subscribes_to_nothing_and_starts_nothing(
    front: bool,
) -> None:
    agent = RecordingAgent()
    async with running(agent=agent, front=front) as server:
        auth = [("Authorization", f"Bearer {token()}")]
        run = b"/apps/demo/users/alice/sessions/alice:chat/run?query="
        for target in (b"/sse/alice:chat", b"/agent_network_sse/alice:chat", run + b"head"):
            answered = await exchange(server, "HEAD", target, auth)
            assert answered.response.status_code == 200, answered
            assert answered.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert answered.headers["cache-control"] == "no-cache"
            assert answered.body == b""
            assert answered.closed  # the answer ended (the request asked for the close)
        assert server.subscribers("alice:chat") == 0
        denied = await exchange(server, "HEAD", run + b"head", [("Cookie", "sluice_token=x")])
        assert denied.response.status_code == 401
        async with server.stream(
            "/apps/demo/users/alice/sessions/alice:chat/run?query=get", headers=dict(auth)
        ) as stream:
            await stream.until("message_regenerated")
        assert agent.queries == ["get"]  # the HEADs started nothing


# Session ids --------------------------------------------------------------------------------

_BAD_IDS = [
    b".",
    b"..",
    b"%2E",
    b"%2e%2E",
    b"a%2Fb",
    b"a%2f..",
    b"%2E%2E%2Falice:chat",
    b"alice:..",
    b".:alice",
    b"alice:%2E:x",
]


@pytest.mark.parametrize("session_id", _BAD_IDS)
async def test_ids_a_url_would_change_are_a_400_on_every_route(
    server: Server, session_id: bytes
) -> None:
    auth = [("Authorization", f"Bearer {token(subscribe=['*'], publish=['*'])}")]
    body = orjson.dumps(message("m"))
    json = [*auth, ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    in_body = orjson.dumps({"sessionId": unquote(session_id.decode()), "query": "q"})
    requests = [
        *(
            (method, target % session_id, headers, content)
            for method, target, headers, content in [
                ("GET", b"/sse/%s", auth, b""),
                ("GET", b"/agent_network_sse/%s", auth, b""),
                ("GET", b"/apps/demo/users/alice/sessions/%s/run?query=q", auth, b""),
                ("POST", b"/api/sessions/%s/events", json, body),
                ("GET", b"/api/sessions/%s/events", auth, b""),
                ("GET", b"/api/sessions/%s/stats", auth, b""),
                ("PUT", b"/api/sessions/%s", auth, b""),
                ("DELETE", b"/api/sessions/%s", auth, b""),
            ]
        ),
        (
            "POST",
            b"/api/chat_actions/regenerate",
            [*json[:-1], ("Content-Length", str(len(in_body)))],
            in_body,
        ),
    ]
    for method, target, headers, content in requests:
        answered = await exchange(server, method, target, headers, content)
        problem = answered.problem(400)
        assert problem["type"].endswith("/invalid-session-id"), (method, target, problem)
        assert "'.' or '..'" in problem["detail"]
        named = re.match(r"session id '([^']*)' is not valid\. ", problem["detail"])
        assert named is not None, problem  # the id as it came (a %2F stays escaped)
        assert unquote(named[1]) == unquote(session_id.decode()), problem
    assert (await server.client.get("/api/stats", headers=dict(auth))).json()["sessionStats"] == {}


async def test_ids_with_a_dot_segment_are_refused_by_the_schema_everywhere(server: Server) -> None:
    for session_id in (".", "..", "a:.", "..:b", "a:..:b"):
        assert not is_session_id(session_id)
    for session_id in ("...", "a.b", ".a", "a..", "a:...:b"):
        assert is_session_id(session_id)
    response = await server.client.post(
        "/api/chat_actions/regenerate",
        json={"sessionId": "alice:..", "query": "q"},
        headers=bearer(token(publish=["*"])),
    )
    assert check_problem(response, 400)["type"].endswith("/invalid-session-id")


# A body that never completes ----------------------------------------------------------------


@pytest.mark.parametrize("front", [True, False])
async def test_a_body_that_stalls_is_a_408_and_the_connection_closes(front: bool) -> None:
    async with running(settings(body_timeout=0.5), front=front) as server:
        auth = ("Authorization", f"Bearer {token()}")
        json = ("Content-Type", "application/json")
        stalled = [
            (b"/api/sessions/alice:chat/events", [("Content-Length", "100")], b'{"type":'),
            (b"/api/sessions/alice:chat/events", [("Transfer-Encoding", "chunked")], b"5\r\n[{}, "),
            (b"/api/chat_actions/regenerate", [("Content-Length", "100")], b'{"sessi'),
        ]
        for target, framing, part in stalled:
            started = trio.current_time()
            answered = await exchange(
                server, "POST", target, [auth, json, *framing], part, keep_alive=True
            )
            waited = trio.current_time() - started
            problem = answered.problem(408)
            assert problem["type"].endswith("/request-timeout")
            assert "0.5 seconds" in problem["detail"]
            assert answered.headers["connection"] == "close"
            assert answered.closed
            assert 0.5 <= waited < 3, waited
        assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0


# A body that is not UTF-8 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\x80", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"],
    ids=["invalid", "lone-continuation", "truncated", "overlong", "surrogate", "beyond-U+10FFFF"],
)
async def test_a_body_that_is_not_utf8_names_the_bad_bytes_offset(
    server: Server, bad: bytes
) -> None:
    body = b'{"type": "message", "data": {"content": "caf\xc3\xa9 ' + bad + b'"}}'
    response = await server.client.post(
        "/api/sessions/alice:chat/events",
        content=body,
        headers={**bearer(token()), "Content-Type": "application/json"},
    )
    detail = check_problem(response, 400)["detail"]
    assert f"byte 0x{bad[0]:02x} at offset {body.index(bad)}" in detail, detail
    assert "surrogates" not in detail and "char" not in detail
