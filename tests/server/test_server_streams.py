"""End-to-end: streams, history, resume, disconnect cleanup, the ADK run endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hub_client import Server, bearer, check_body, check_problem, message, settles, token

from server.security.auth import Authenticator


async def test_connect_receives_retry_hint_then_connection(server: Server) -> None:
    async with server.stream("/sse/alice:chat", headers=bearer(token())) as stream:
        first = await stream.next()
        assert stream.retry == 3000
        assert first["type"] == "connection"
        assert first["id"] == ""
        assert first["data"]["status"] == "connected"
        assert first["data"]["sessionId"] == "alice:chat"
        assert first["data"]["userId"] == "alice"


async def test_publish_then_receive(server: Server) -> None:
    auth = bearer(token())
    async with server.stream("/agent_network_sse/alice:chat", headers=auth) as stream:
        await stream.until("connection")
        (event_id,) = await server.publish("alice:chat", message("hello"), headers=auth)
        received = await stream.next()
        assert received["id"] == event_id
        assert received["data"] == {"content": "hello"}


async def test_late_joiner_gets_history(server: Server) -> None:
    auth = bearer(token())
    ids = await server.publish("alice:chat", [message("one"), message("two")], headers=auth)
    async with server.stream("/sse/alice:chat", headers=auth) as stream:
        await stream.until("connection")
        history = [await stream.next(), await stream.next()]
    assert [e["id"] for e in history] == ids
    assert [e["data"]["content"] for e in history] == ["one", "two"]


async def test_resume_with_last_event_id_header(server: Server) -> None:
    auth = bearer(token())
    first, second, third = await server.publish(
        "alice:chat", [message("1"), message("2"), message("3")], headers=auth
    )
    async with server.stream("/sse/alice:chat", headers={**auth, "Last-Event-ID": first}) as stream:
        await stream.until("connection")
        assert [(await stream.next())["id"] for _ in range(2)] == [second, third]
        (fourth,) = await server.publish("alice:chat", message("4"), headers=auth)
        assert (await stream.next())["id"] == fourth


async def test_resume_with_query_parameter_and_the_header_wins(server: Server) -> None:
    auth = bearer(token())
    first, second, third = await server.publish(
        "alice:chat", [message("1"), message("2"), message("3")], headers=auth
    )
    async with server.stream(f"/sse/alice:chat?lastEventId={first}", headers=auth) as stream:
        await stream.until("connection")
        assert (await stream.next())["id"] == second
    headers = {**auth, "Last-Event-ID": second}
    async with server.stream(f"/sse/alice:chat?lastEventId={first}", headers=headers) as stream:
        await stream.until("connection")
        assert (await stream.next())["id"] == third


async def test_unknown_and_malformed_ids_start_with_stream_reset(server: Server) -> None:
    auth = bearer(token())
    (only,) = await server.publish("alice:chat", message("kept"), headers=auth)
    for last_id, reason in (
        ("0123456789ab-000000000007", "unknown_epoch"),
        ("junk", "malformed_id"),
    ):
        headers = {**auth, "Last-Event-ID": last_id}
        async with server.stream("/sse/alice:chat", headers=headers) as stream:
            await stream.until("connection")
            reset = await stream.next()
            assert reset["type"] == "stream_reset"
            assert reset["data"]["reason"] == reason
            assert reset["data"]["lastEventId"] == last_id
            assert (await stream.next())["id"] == only


async def test_a_last_event_id_is_read_as_utf_8_as_an_event_source_sends_it(
    server: Server,
) -> None:
    """WHATWG HTML: an EventSource sends the last id UTF-8 encoded; the header and the query
    parameter give the same id back in stream_reset (the header's came as ISO-8859-1)."""
    auth = bearer(token())
    (only,) = await server.publish("alice:chat", message("kept"), headers=auth)
    sent = "épreuve-✓"
    for path, headers in (
        ("/sse/alice:chat", {**auth, "Last-Event-ID": sent.encode()}),
        (f"/sse/alice:chat?lastEventId={quote(sent)}", auth),
    ):
        async with server.stream(path, headers=headers) as stream:  # type: ignore[arg-type]
            await stream.until("connection")
            reset = await stream.next()
            assert (reset["data"]["reason"], reset["data"]["lastEventId"]) == (
                "malformed_id",
                sent,
            )
            assert (await stream.next())["id"] == only


async def test_an_id_from_another_session_starts_with_a_foreign_id_reset(server: Server) -> None:
    """Ids share one sequence: another session's id says nothing of what was seen here, on
    the stream and in polling."""
    auth = bearer(token())
    (mine,) = await server.publish("alice:chat", message("kept"), headers=auth)
    (other,) = await server.publish("alice:notes", message("elsewhere"), headers=auth)
    headers = {**auth, "Last-Event-ID": other}
    async with server.stream("/sse/alice:chat", headers=headers) as stream:
        await stream.until("connection")
        reset = await stream.next()
        assert reset["type"] == "stream_reset"
        assert (reset["data"]["reason"], reset["data"]["lastEventId"]) == ("foreign_id", other)
        assert (await stream.next())["id"] == mine
    response = await server.client.get(
        "/api/sessions/alice:chat/events", params={"after": other}, headers=auth
    )
    body = check_body(response, "rest/history-response.json")
    assert (body["reset"], body["resetReason"]) == (True, "foreign_id")
    assert [e["id"] for e in body["events"]] == [mine]


async def test_disconnect_frees_the_subscription_within_a_second(server: Server) -> None:
    auth = bearer(token())
    async with server.stream("/sse/alice:chat", headers=auth) as stream:
        await stream.until("connection")
        assert server.subscribers("alice:chat") == 1
    await settles(lambda: server.subscribers("alice:chat") == 0)
    stats = (await server.client.get("/api/sessions/alice:chat/stats", headers=auth)).json()
    assert stats["subscribers"] == 0


async def test_adk_run_streams_the_agent_to_the_caller_and_every_subscriber(server: Server) -> None:
    auth = bearer(token())
    await server.publish("alice:chat", message("earlier"), headers=auth)
    async with server.stream("/sse/alice:chat", headers=auth) as watcher:
        await watcher.until("message")  # history
        path = "/apps/demo/users/alice/sessions/alice:chat/run"
        async with server.stream(path, params={"query": "what is sluice?"}, headers=auth) as run:
            seen = await run.rest()  # the stream ends after the run's answer
        watched = await watcher.until("message_regenerated")
    types = [e["type"] for e in seen]
    assert types[0] == "connection"
    assert "message" not in types  # starts after the session's newest event
    assert types[1:4] == ["thought_process_start", "thought_process_step", "thought_process_step"]
    assert "regeneration_progress" in types
    assert types[-3:] == ["thought_process_complete", "message_regenerated", "connection"]
    assert seen[-1]["data"]["status"] == "disconnected"
    answer = seen[-2]["data"]
    assert "what is sluice?" in answer["content"]
    progress = [e["data"] for e in seen if e["type"] == "regeneration_progress"]
    assert progress[-1]["progress"] == 100
    assert progress[-1]["partialContent"] == answer["content"]
    assert [e["id"] for e in watched if e["id"]] == [e["id"] for e in seen if e["id"]]


async def test_adk_run_user_must_be_the_token_subject(server: Server) -> None:
    path = "/apps/demo/users/mallory/sessions/alice:chat/run?query=hi"
    response = await server.client.get(path, headers=bearer(token()))
    check_problem(response, 403)


async def test_stream_routes_bypass_quarts_request_handling(server: Server) -> None:
    """``GET`` of the two stream routes is served by the plain ASGI handler: Quart's request
    handling is never entered for it (answers and errors alike), and is for everything else."""
    handled: list[str] = []
    quart_handle_request = server.app.handle_request

    async def recording(request: Any) -> Any:
        handled.append(f"{request.method} {request.path}")
        return await quart_handle_request(request)

    server.app.handle_request = recording  # type: ignore[method-assign]
    auth = bearer(token())
    for path in ("/sse/alice:chat", "/agent_network_sse/alice:chat"):
        async with server.stream(path, headers=auth) as stream:
            assert (await stream.next())["type"] == "connection"
        check_problem(await server.client.get(path), 401)
    check_problem(await server.client.get("/sse/bob:chat", headers=auth), 403)
    check_problem(await server.client.get("/sse/bad id", headers=auth), 400)
    assert handled == []
    polled = await server.client.get("/api/sessions/alice:chat/events", headers=auth)
    assert polled.status_code == 200
    not_allowed = await server.client.post("/sse/alice:chat", headers=auth)
    check_problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "GET, HEAD, OPTIONS"
    assert handled == ["GET /api/sessions/alice:chat/events"]


async def test_an_unexpected_error_opening_a_stream_is_a_logged_500_problem(
    server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: Authenticator, token: str | None) -> Any:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(Authenticator, "authenticate", failing)
    for path in ("/sse/alice:chat", "/api/sessions/alice:chat/stats"):  # ASGI path, Quart's
        caplog.clear()
        response = await server.client.get(path, headers=bearer(token()))
        problem = check_problem(response, 500)
        assert problem["type"].endswith("/internal-error")
        assert "internal detail" not in response.text
        (record,) = [r for r in caplog.records if r.exc_info]
        assert record.getMessage() == f"Exception on request GET {path}"
