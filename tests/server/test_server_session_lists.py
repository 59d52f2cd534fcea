"""End-to-end: several sessions on one stream (``/sse?session=a&session=b``) and their polling
(``/api/events?session=a&session=b``): order, exact resume with one id, per-session resets,
admission (403 naming the session, each 400, one connection), the end of the stream."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import trio
from hub_client import (
    Server,
    bearer,
    check_body,
    check_problem,
    message,
    running,
    settings,
    settles,
    token,
)


def sessions_path(*session_ids: str, path: str = "/sse", **params: str) -> str:
    """The path of a stream (or a poll) of ``session_ids``, with ``params`` added."""
    return f"{path}?{urlencode([*(('session', s) for s in session_ids), *params.items()])}"


async def publish_round(server: Server, session_ids: list[str], auth: dict[str, str]) -> list[Any]:
    """Publish one message to each session in turn; ``(session, id)`` of each, in order."""
    published = []
    for session_id in session_ids:
        (event_id,) = await server.publish(session_id, message(session_id), headers=auth)
        published.append((session_id, event_id))
    return published


@pytest.mark.parametrize("path", ["/sse", "/agent_network_sse"])
async def test_events_of_several_sessions_arrive_in_order_on_one_stream(
    server: Server, path: str
) -> None:
    auth = bearer(token())
    sessions = ["alice:a", "alice:b", "alice:c"]
    before = await publish_round(server, sessions, auth)
    async with server.stream(sessions_path(*sessions, path=path), headers=auth) as stream:
        connections = [await stream.next() for _ in sessions]
        assert [(e["type"], e["sessionId"], e["data"]["sessionId"]) for e in connections] == [
            ("connection", s, s) for s in sessions
        ]
        history = [await stream.next() for _ in before]
        after = await publish_round(server, list(reversed(sessions)), auth)
        live = [await stream.next() for _ in after]
        assert server.subscribers("alice:a") == server.subscribers("alice:c") == 1
    received = [(e["sessionId"], e["id"]) for e in history + live]
    assert received == before + after
    assert all(e["data"]["content"] == e["sessionId"] for e in history + live)


async def test_one_last_event_id_resumes_every_session_exactly_at_every_position(
    server: Server,
) -> None:
    auth = bearer(token())
    sessions = ["alice:a", "alice:b", "alice:c"]
    published = await publish_round(server, ["alice:a", "alice:c", "alice:a", "alice:b"], auth)
    for index, (_, last_id) in enumerate(list(published)):
        headers = {**auth, "Last-Event-ID": last_id}
        async with server.stream(sessions_path(*sessions), headers=headers) as stream:
            for _ in sessions:
                assert (await stream.next())["type"] == "connection"
            rest = [await stream.next() for _ in published[index + 1 :]]
            live = await publish_round(server, ["alice:c"], auth)
            rest.append(await stream.next())
        assert [(e["sessionId"], e["id"]) for e in rest] == [*published[index + 1 :], *live]
        assert all(e["type"] == "message" for e in rest)  # no stream_reset
        published += live


async def test_a_stream_reset_names_only_the_session_that_lost_events() -> None:
    async with running(settings(max_history_per_session=2)) as server:
        auth = bearer(token())
        (first,) = await server.publish("alice:a", message("a1"), headers=auth)
        kept = await server.publish("alice:b", [message("b1"), message("b2")], headers=auth)
        dropped_and_kept = await server.publish(
            "alice:a", [message("a2"), message("a3"), message("a4")], headers=auth
        )
        headers = {**auth, "Last-Event-ID": first}
        async with server.stream(sessions_path("alice:a", "alice:b"), headers=headers) as stream:
            await stream.until("connection")
            await stream.until("connection")
            reset = await stream.next()
            rest = [await stream.next() for _ in range(4)]
    assert reset["type"] == "stream_reset"
    assert reset["sessionId"] == reset["data"]["sessionId"] == "alice:a"
    assert reset["data"]["reason"] == "history_exhausted"
    assert [(e["sessionId"], e["id"]) for e in rest] == [
        *(("alice:b", i) for i in kept),
        *(("alice:a", i) for i in dropped_and_kept[1:]),
    ]


async def test_a_session_added_to_a_resumed_list_gets_only_its_events_after_the_id(
    server: Server,
) -> None:
    """What the dashboard relies on when it opens a panel: resuming a list after a kept
    session's id, the added session's older events are not sent (nor is a reset), its newer
    ones are; its history has them all."""
    auth = bearer(token())
    (older,) = await server.publish("alice:added", message("older"), headers=auth)
    (kept,) = await server.publish("alice:kept", message("kept"), headers=auth)
    (newer,) = await server.publish("alice:added", message("newer"), headers=auth)
    headers = {**auth, "Last-Event-ID": kept}
    async with server.stream(sessions_path("alice:kept", "alice:added"), headers=headers) as stream:
        await stream.until("connection")
        await stream.until("connection")
        first = await stream.next()
    assert (first["type"], first["sessionId"], first["id"]) == ("message", "alice:added", newer)
    page = (await server.client.get("/api/sessions/alice:added/events", headers=auth)).json()
    assert [e["id"] for e in page["events"]] == [older, newer]


async def test_one_forbidden_session_refuses_the_whole_stream_naming_it(server: Server) -> None:
    auth = bearer(token())
    for path in (
        sessions_path("alice:a", "bob:b", "alice:c"),
        sessions_path("alice:a", "bob:b", path="/api/events"),
    ):
        problem = check_problem(await server.client.get(path, headers=auth), 403)
        assert "bob:b" in problem["detail"]
    assert server.subscribers("alice:a") == 0
    check_problem(await server.client.get(sessions_path("alice:a", "alice:b")), 401)


@pytest.mark.parametrize("route", ["/sse", "/agent_network_sse", "/api/events"])
async def test_bad_lists_are_400_problems(server: Server, route: str) -> None:
    auth = bearer(token(subscribe=["*"]))
    limit = server.app.hub.settings.max_sessions_per_stream
    assert limit == 16
    cases = {
        "empty": (sessions_path(path=route), "invalid-parameter"),
        "blank": (f"{route}?session=", "invalid-session-id"),
        "repeated": (sessions_path("a", "b", "a", path=route), "invalid-parameter"),
        "over the limit": (
            sessions_path(*(f"s{i}" for i in range(limit + 1)), path=route),
            "invalid-parameter",
        ),
        "malformed": (sessions_path("a", "bad id", path=route), "invalid-session-id"),
    }
    for name, (path, kind) in cases.items():
        problem = check_problem(await server.client.get(path, headers=auth), 400)
        assert problem["type"].endswith("/" + kind), (name, problem)
    for ids, named in ((("a", "bad id"), "'bad id'"), (("a", ""), "''"), (("a:.",), "'a:.'")):
        bad = sessions_path(*ids, path=route)
        problem = check_problem(await server.client.get(bad, headers=auth), 400)
        assert problem["detail"].startswith(f"session id {named} is not valid. "), problem
    long = "x" * 200 + " "
    bad = sessions_path("a", long, path=route)
    problem = check_problem(await server.client.get(bad, headers=auth), 400)
    assert f"session id {'x' * 128!r}... (201 characters) is not valid" in problem["detail"]
    exactly = sessions_path(*(f"s{i}" for i in range(limit)), path=route)
    if route == "/api/events":
        assert (await server.client.get(exactly, headers=auth)).status_code == 200
    else:
        async with server.stream(exactly, headers=auth) as stream:
            assert len(await stream.until("connection")) == 1


async def test_a_head_answers_the_head_only_and_subscribes_nothing(server: Server) -> None:
    auth = bearer(token())
    response = await server.streams.head(sessions_path("alice:a", "alice:b"), headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b""
    forbidden = await server.streams.head(sessions_path("alice:a", "bob:b"), headers=auth)
    assert forbidden.status_code == 403
    assert server.subscribers("alice:a") == 0


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_stream_of_several_sessions_is_one_connection(front: bool) -> None:
    async with running(settings(max_connections_per_user=2), front=front) as server:
        auth = bearer(token())
        many = sessions_path(*(f"alice:s{i}" for i in range(8)))
        async with server.stream(many, headers=auth) as one:
            await one.next()
            assert server.app.hub.connections["alice"] == 1
            async with server.stream("/sse/alice:x", headers=auth) as two:
                await two.next()
                check_problem(await server.client.get(many, headers=auth), 429)
        await settles(lambda: server.app.hub.connections["alice"] == 0)


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_shutdown_ends_a_stream_of_several_sessions_cleanly(front: bool) -> None:
    async with running(front=front) as server:
        auth = bearer(token())
        async with server.stream(sessions_path("alice:a", "alice:b"), headers=auth) as stream:
            await stream.until("connection")
            await stream.until("connection")
            server.stop.set()
            events = await stream.rest()
        with trio.fail_after(1.5):
            await server.stopped.wait()
    assert [(e["type"], e["data"]["status"], e["sessionId"]) for e in events] == [
        ("connection", "disconnected", "alice:a"),
        ("connection", "disconnected", "alice:b"),
    ]


async def test_other_methods_of_the_list_path_are_405_and_options_answers(
    server: Server,
) -> None:
    for path in ("/sse", sessions_path("alice:a", "alice:b")):
        response = await server.client.post(path, headers=bearer(token()))
        check_problem(response, 405)
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        options = await server.client.options(path)
        assert options.status_code == 204
        assert "GET" in options.headers["allow"]


async def test_polling_several_sessions_pages_them_in_order(server: Server) -> None:
    auth = bearer(token())
    sessions = ["alice:a", "alice:b", "alice:c"]
    published = await publish_round(server, ["alice:a", "alice:c", "alice:b", "alice:a"], auth)
    seen: list[tuple[str, str]] = []
    after = ""
    while len(seen) < len(published):
        response = await server.client.get(
            sessions_path(*sessions, path="/api/events", after=after, limit="3"), headers=auth
        )
        body = check_body(response, "rest/sessions-history-response.json")
        assert body["sessionIds"] == sessions and body["resets"] == {}
        assert 1 <= len(body["events"]) <= 3
        seen += [(e["sessionId"], e["id"]) for e in body["events"]]
        after = body["lastEventId"]
    assert seen == published
    response = await server.client.get(
        sessions_path(*sessions, path="/api/events", after=after), headers=auth
    )
    assert check_body(response, "rest/sessions-history-response.json")["lastEventId"] == after


async def test_polling_several_sessions_reports_each_reset() -> None:
    async with running(settings(max_history_per_session=1)) as server:
        auth = bearer(token())
        (first,) = await server.publish("alice:a", message("a1"), headers=auth)
        await server.publish("alice:a", [message("a2"), message("a3")], headers=auth)
        (b,) = await server.publish("alice:b", message("b1"), headers=auth)
        response = await server.client.get(
            sessions_path("alice:a", "alice:b", path="/api/events", after=first), headers=auth
        )
        body = check_body(response, "rest/sessions-history-response.json")
    assert body["resets"] == {"alice:a": "history_exhausted"}
    assert [e["sessionId"] for e in body["events"]] == ["alice:a", "alice:b"]
    assert body["lastEventId"] == b
