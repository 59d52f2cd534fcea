"""End-to-end: the regenerate action (request-response, the work reported over SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import orjson
import trio
from hub_client import Server, bearer, check_body, check_problem, running, settings, token

from server.agent import AgentRequest, Answer, Progress, Thought, Update


async def test_regenerate_answers_at_once_and_reports_over_sse(server: Server) -> None:
    auth = bearer(token())
    async with server.stream("/agent_network_sse/alice:chat", headers=auth) as stream:
        await stream.until("connection")
        response = await server.client.post(
            "/api/chat_actions/regenerate",
            json={"sessionId": "alice:chat", "messageId": "old-1", "query": "again please"},
            headers=auth,
        )
        answer = check_body(response, "rest/regenerate-response.json")
        events = await stream.until("message_regenerated")
    assert answer["success"] is True
    ours = [e for e in events if e["data"].get("messageId") == answer["messageId"]]
    assert ours == events
    types = [e["type"] for e in events]
    assert types[:2] == ["message_regenerating", "thought_process_start"]
    assert events[0]["data"]["originalMessageId"] == "old-1"
    assert events[0]["data"]["userQuery"] == "again please"
    assert types.count("regeneration_progress") == 4
    assert types[-2:] == ["thought_process_complete", "message_regenerated"]
    assert len({e["data"]["taskId"] for e in events}) == 1


async def test_an_agent_failure_is_reported_as_regeneration_error() -> None:
    async def broken(request: AgentRequest) -> AsyncIterator[Update]:
        yield Thought("Trying", "about to fail")
        yield Progress(10)
        raise RuntimeError("the model is unavailable")

    async with running(agent=broken) as server:
        auth = bearer(token())
        async with server.stream("/sse/alice:chat", headers=auth) as stream:
            await stream.until("connection")
            await server.client.post(
                "/api/chat_actions/regenerate",
                json={"sessionId": "alice:chat", "query": "q"},
                headers=auth,
            )
            events = await stream.until("regeneration_error")
        assert events[-1]["data"]["error"] == "the model is unavailable"
        assert "message_regenerated" not in [e["type"] for e in events]


async def test_regenerate_checks_the_request_and_the_right(server: Server) -> None:
    url = "/api/chat_actions/regenerate"
    auth = bearer(token())
    problem = check_problem(await server.client.post(url, json={"query": ""}, headers=auth), 422)
    assert {e["pointer"] for e in problem["errors"]} >= {"", "/query"}
    for blank in ("   ", "\n\t"):  # nothing to answer, as the run endpoint's query= says too
        body = {"sessionId": "alice:chat", "query": blank}
        problem = check_problem(await server.client.post(url, json=body, headers=auth), 422)
        assert [e["pointer"] for e in problem["errors"]] == ["/query"]
    assert server.app.hub.broadcaster.sessions() == []  # no run started
    other = {"sessionId": "bob:chat", "query": "q"}
    check_problem(await server.client.post(url, json=other, headers=auth), 403)
    check_problem(await server.client.post(url, json=other), 401)


async def test_a_malformed_session_id_in_the_body_is_the_400_every_route_gives(
    server: Server,
) -> None:
    """The detail names the id as a path route's does, not the schema's regex; the id is
    checked before the rest of the body, and a sessionId that is no string is a 422."""
    url = "/api/chat_actions/regenerate"
    auth = bearer(token(subscribe=["*"], publish=["*"]))
    for session_id in ("bad id!", "x" * 129, "a:..", "", "é"):
        for body in ({"sessionId": session_id, "query": "q"}, {"sessionId": session_id}):
            problem = check_problem(await server.client.post(url, json=body, headers=auth), 400)
            stats = f"/api/sessions/{quote(session_id, safe='')}/stats"
            if session_id:  # a path cannot carry an empty id
                by_path = check_problem(await server.client.get(stats, headers=auth), 400)
                assert (problem["type"], problem["detail"]) == (by_path["type"], by_path["detail"])
            assert problem["type"].endswith("/invalid-session-id")
            assert problem["detail"].startswith(f"session id {session_id[:128]!r}")
            assert "errors" not in problem
    for session_id in (5, None, ["alice:chat"]):
        body = {"sessionId": session_id, "query": "q"}
        problem = check_problem(await server.client.post(url, json=body, headers=auth), 422)
        assert problem["type"].endswith("/invalid-request")
        assert [e["pointer"] for e in problem["errors"]] == ["/sessionId"]
    assert server.app.hub.broadcaster.sessions() == []  # no run started


def _sizes(events: list[dict[str, Any]]) -> list[int]:
    """Each event's ``{"type", "data", "ttl"?}`` as JSON, in bytes (what the limit measures)."""
    return [
        len(orjson.dumps({k: v for k, v in e.items() if k in ("type", "data")})) for e in events
    ]


async def test_a_query_that_cannot_fit_in_an_event_is_a_413_and_starts_nothing(
    server: Server,
) -> None:
    """100,000 characters (the schema's longest) made seven events of ~100 KB each."""
    response = await server.client.post(
        "/api/chat_actions/regenerate",
        json={"sessionId": "alice:chat", "query": "x" * 100_000},
        headers=bearer(token()),
    )
    problem = check_problem(response, 413)
    assert problem["type"].endswith("/event-too-large")
    assert "query does not fit in an event" in problem["detail"]
    ((pointer, message),) = [(e["pointer"], e["message"]) for e in problem["errors"]]
    assert pointer == "/query"
    assert (
        message.startswith("the message_regenerating event is 100") and "at most 65536" in message
    )
    await trio.sleep(0.1)  # a run would have published by now (the demo agent has no delay)
    assert server.app.hub.broadcaster.sessions() == []


async def test_a_run_whose_query_cannot_fit_is_a_413_for_get_and_head() -> None:
    async with running(settings(max_event_bytes=1000)) as server:
        path = "/apps/demo/users/alice/sessions/alice:chat/run"
        for method in ("GET", "HEAD"):
            response = await server.client.request(
                method, path, params={"query": "x" * 800}, headers=bearer(token())
            )
            assert response.status_code == 413
            if method == "GET":
                problem = check_problem(response, 413)
                assert "the thought_process_start event is 1023 bytes" in problem["detail"]
                assert "errors" not in problem  # the query is a parameter: no JSON pointer
        assert server.app.hub.broadcaster.sessions() == []


async def test_an_agents_event_too_large_ends_its_run_with_regeneration_error() -> None:
    """The query fits the events that carry it, not the demo agent's own first step (which
    quotes it): the run ends as a failing agent's does, and no event over the limit is kept."""
    async with running(settings(max_event_bytes=1000)) as server:
        auth = bearer(token())
        path = "/apps/demo/users/alice/sessions/alice:chat/run"
        async with server.stream(path, params={"query": "x" * 760}, headers=auth) as stream:
            events = await stream.rest()
        types = [e["type"] for e in events]
        assert types == ["connection", "thought_process_start", "regeneration_error", "connection"]
        error = events[2]["data"]["error"]
        assert error.startswith("the thought_process_step event is 104") and "at most 1000" in error
        history = await server.client.get("/api/sessions/alice:chat/events", headers=auth)
        kept = history.json()["events"]
        assert [e["type"] for e in kept] == ["thought_process_start", "regeneration_error"]
        assert max(_sizes(kept)) <= 1000


async def test_an_update_or_an_error_too_large_ends_a_regeneration_with_its_error() -> None:
    async def verbose(request: AgentRequest) -> AsyncIterator[Update]:
        yield Progress(50, "half", "y" * 2000)

    async def raising(request: AgentRequest) -> AsyncIterator[Update]:
        raise RuntimeError("z" * 100_000)
        yield Answer("never")

    for agent, error in ((verbose, "the regeneration_progress event is "), (raising, "z" * 100)):
        async with running(settings(max_event_bytes=1000), agent=agent) as server:
            auth = bearer(token())
            async with server.stream("/sse/alice:chat", headers=auth) as stream:
                await stream.until("connection")
                response = await server.client.post(
                    "/api/chat_actions/regenerate",
                    json={"sessionId": "alice:chat", "query": "q"},
                    headers=auth,
                )
                check_body(response, "rest/regenerate-response.json")
                events = await stream.until("regeneration_error")
            told = events[-1]["data"]["error"]
            assert told.startswith(error), told
            if agent is raising:  # 100,000 characters: cut to fit, and marked
                assert told == "z" * (len(told) - 1) + "\u2026" and len(told) < 1000
            assert "message_regenerated" not in [e["type"] for e in events]
            assert max(_sizes(events)) <= 1000
