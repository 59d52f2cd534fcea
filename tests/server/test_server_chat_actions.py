"""End-to-end: the regenerate action (request-response, the work reported over SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from hub_client import Server, bearer, check_body, check_problem, running, token

from server.agent import AgentRequest, Progress, Thought, Update


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
