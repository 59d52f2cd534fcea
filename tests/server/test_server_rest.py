"""End-to-end: the REST API (publish, polling, sessions, stats), limits, and problem+json errors."""

from __future__ import annotations

import orjson
from hub_client import (
    NOT_EVENTS,
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

from protocol import hub_only_errors, validator
from protocol.registry import HUB_EVENTS
from server.bodies import MAX_DEPTH
from server.web.app import create_app


async def test_publish_one_event_and_a_batch(server: Server) -> None:
    auth = bearer(token())
    (one,) = await server.publish("alice:chat", message("one"), headers=auth)
    batch = await server.publish(
        "alice:chat",
        [message("two"), {"type": "status_update", "data": {"status": "running"}, "ttl": 5}],
        headers=auth,
    )
    assert len({one, *batch}) == 3
    stats = server.app.hub.broadcaster.session_stats("alice:chat")
    assert stats["historySize"] == 3


async def test_invalid_events_list_every_error_and_publish_nothing(server: Server) -> None:
    auth = bearer(token())
    batch = [
        message("fine"),
        {"type": "regeneration_progress", "data": {"messageId": "m", "progress": 150}},
        {"type": "no_such_type", "data": {}},
    ]
    response = await server.client.post("/api/sessions/alice:chat/events", json=batch, headers=auth)
    problem = check_problem(response, 422)
    pointers = {e["pointer"] for e in problem["errors"]}
    assert "/1/data/progress" in pointers
    assert "/2/type" in pointers
    assert server.app.hub.broadcaster.session_stats("alice:chat")["historySize"] == 0


async def test_an_unknown_type_is_told_the_publishable_types_only(server: Server) -> None:
    batch = [
        {"type": "regeneration_progress", "data": {"messageId": "m", "progress": 150}},
        {"type": "no_such_type", "data": {}},
    ]
    response = await server.client.post(
        "/api/sessions/alice:chat/events", json=batch, headers=bearer(token())
    )
    errors = check_problem(response, 422)["errors"]
    assert [e["pointer"] for e in errors] == ["/0/data/progress", "/1/type"]
    told = errors[1]["message"]
    assert told.startswith('"no_such_type" is not a type a publisher may send: "error", ')
    assert '"message"' in told and '"thought_process_step"' in told
    assert not [kind for kind in HUB_EVENTS if f'"{kind}"' in told]


async def test_a_single_invalid_event_has_unprefixed_pointers(server: Server) -> None:
    event = {"type": "regeneration_progress", "data": {"progress": 150}}
    response = await server.client.post(
        "/api/sessions/alice:chat/events", json=event, headers=bearer(token())
    )
    errors = check_problem(response, 422)["errors"]
    assert {e["pointer"] for e in errors} == {"/data", "/data/progress"}
    assert any("messageId" in e["message"] for e in errors)


async def test_control_events_cannot_be_published(server: Server) -> None:
    event = {
        "type": "stream_reset",
        "data": {
            "reason": "malformed_id",
            "sessionId": "alice:x",
            "timestamp": "2026-01-01T00:00:00Z",
        },
    }
    response = await server.client.post(
        "/api/sessions/alice:x/events", json=event, headers=bearer(token())
    )
    assert check_problem(response, 422)["errors"][0]["pointer"] == "/type"


async def test_every_hub_only_event_is_refused_as_sluice_validate_refuses_it(
    server: Server,
) -> None:
    batch = [{"type": kind, "data": {}} for kind in sorted(HUB_EVENTS)]
    response = await server.client.post(
        "/api/sessions/alice:x/events", json=batch, headers=bearer(token())
    )
    errors = check_problem(response, 422)["errors"]
    expected = [e for i, ev in enumerate(batch) for e in hub_only_errors(ev, f"/{i}")]
    assert errors == [{"pointer": e.pointer, "message": e.message} for e in expected]


async def test_malformed_json_is_a_400(server: Server) -> None:
    response = await server.client.post(
        "/api/sessions/alice:x/events",
        content=b"{nope",
        headers={**bearer(token()), "Content-Type": "application/json"},
    )
    check_problem(response, 400)


def _nested(levels: int) -> bytes:
    """A message event whose content nests arrays so that the body is ``levels`` deep."""
    inner = levels - 2  # the event's object and its data's
    return b'{"type":"message","data":{"content":' + b"[" * inner + b"]" * inner + b"}}"


async def test_a_body_nested_deeper_than_the_hub_writes_is_a_400(server: Server) -> None:
    """orjson reads 1,024 levels but writes 254: a body between the two was a 500 once the hub
    measured or fingerprinted it; past MAX_DEPTH it is the 400 of a body too deep to read, on
    the front and through the app (an Idempotency-Key, a regenerate)."""
    auth = {**bearer(token()), "Content-Type": "application/json"}
    keyed = {**auth, "Idempotency-Key": "deep"}
    deep = b'{"sessionId":"alice:chat","query":"q","messageId":' + b"[" * 300 + b"]" * 300 + b"}"
    for path, body, headers in (
        ("/api/sessions/alice:chat/events", _nested(300), auth),
        ("/api/sessions/alice:chat/events", _nested(MAX_DEPTH + 1), auth),
        ("/api/sessions/alice:chat/events", b"[" + _nested(300) + b"]", auth),
        ("/api/sessions/alice:chat/events", _nested(300), keyed),
        ("/api/chat_actions/regenerate", deep, auth),
        ("/api/chat_actions/regenerate", deep, keyed),
    ):
        response = await server.client.post(path, content=body, headers=headers)
        problem = check_problem(response, 400)
        assert problem["type"].endswith("/invalid-json")
        assert problem["detail"] == (
            f"the body is not JSON this hub takes: its values nest more than {MAX_DEPTH} "
            "levels deep"
        )
    for headers in (auth, keyed):  # as deep as taken: read, and refused by the schema
        path = "/api/sessions/alice:chat/events"
        response = await server.client.post(path, content=_nested(MAX_DEPTH), headers=headers)
        assert check_problem(response, 422)["errors"][0]["pointer"] == "/data/content"
    assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0


async def test_polling_fallback(server: Server) -> None:
    auth = bearer(token())
    first, second, third = await server.publish(
        "alice:chat", [message("1"), message("2"), message("3")], headers=auth
    )
    url = "/api/sessions/alice:chat/events"
    page = check_body(
        await server.client.get(url, params={"after": first, "limit": 1}, headers=auth),
        "rest/history-response.json",
    )
    assert [e["id"] for e in page["events"]] == [second]
    assert (page["reset"], page["resetReason"], page["lastEventId"]) == (False, None, second)
    page = check_body(
        await server.client.get(url, params={"after": third}, headers=auth),
        "rest/history-response.json",
    )
    assert (page["events"], page["reset"], page["lastEventId"]) == ([], False, third)
    page = check_body(
        await server.client.get(url, params={"after": "0123456789ab-000000000001"}, headers=auth),
        "rest/history-response.json",
    )
    assert page["reset"] is True and page["resetReason"] == "unknown_epoch"
    assert [e["id"] for e in page["events"]] == [first, second, third]
    check_problem(await server.client.get(url, params={"limit": "0"}, headers=auth), 400)


async def test_session_create_stats_clear_and_global_stats(server: Server) -> None:
    auth = bearer(token())
    created = await server.client.put("/api/sessions/alice:new", headers=auth)
    assert check_body(created, "rest/session-stats.json")["active"] is True
    await server.publish("alice:chat", message("x"), headers=auth)
    await server.publish("bob:chat", message("y"), headers=bearer(token("bob")))
    async with server.stream("/sse/alice:chat", headers=auth) as stream:
        await stream.until("message")
        stats = check_body(
            await server.client.get("/api/sessions/alice:chat/stats", headers=auth),
            "rest/session-stats.json",
        )
        assert (stats["subscribers"], stats["historySize"], stats["published"]) == (1, 1, 1)
        cleared = await server.client.delete("/api/sessions/alice:chat", headers=auth)
        assert cleared.status_code == 204
        assert "content-type" not in cleared.headers and cleared.content == b""
        assert "content-length" not in cleared.headers  # RFC 9110 §8.6: MUST NOT
        assert server.app.hub.broadcaster.session_stats("alice:chat")["historySize"] == 0
        (later,) = await server.publish("alice:chat", message("after clear"), headers=auth)
        assert (await stream.next())["id"] == later  # still connected
    totals = check_body(await server.client.get("/api/stats", headers=auth), "rest/stats.json")
    assert totals["sessions"] == 3
    assert set(totals["sessionStats"]) == {"alice:new", "alice:chat"}  # not bob's


async def test_body_too_large_is_a_413() -> None:
    async with running(settings(max_body_bytes=1000)) as server:
        big = message("x" * 2000)
        response = await server.client.post(
            "/api/sessions/alice:x/events", json=big, headers=bearer(token())
        )
        assert "1000 bytes" in check_problem(response, 413)["detail"]
        # The body is left unread and the connection closed: the answer says so.
        assert response.headers["connection"] == "close"


async def test_event_too_large_is_a_413_naming_the_event() -> None:
    async with running(settings(max_event_bytes=200)) as server:
        batch = [message("small"), message("x" * 300)]
        response = await server.client.post(
            "/api/sessions/alice:x/events", json=batch, headers=bearer(token())
        )
        problem = check_problem(response, 413)
        assert [e["pointer"] for e in problem["errors"]] == ["/1"]


async def test_connections_per_user_limit_is_a_429() -> None:
    async with running(settings(max_connections_per_user=2)) as server:
        auth = bearer(token())
        async with server.stream("/sse/alice:a", headers=auth) as one:
            await one.next()
            async with server.stream("/sse/alice:b", headers=auth) as two:
                await two.next()
                refused = await server.client.get("/sse/alice:c", headers=auth)
                check_problem(refused, 429)
                async with server.stream("/sse/bob:c", headers=bearer(token("bob"))) as bob:
                    assert (await bob.next())["type"] == "connection"  # per user
        await settles(lambda: server.app.hub.connections["alice"] == 0)
        async with server.stream("/sse/alice:c", headers=auth) as again:
            assert (await again.next())["type"] == "connection"


async def test_streams_in_all_limit_is_a_503_and_counts_anonymous_streams() -> None:
    async with running(settings(no_auth=True, max_streams=2)) as server:
        async with server.stream("/sse/a") as one, server.stream("/sse/b") as two:
            await one.next()
            await two.next()
            refused = await server.client.get("/sse/c")
            problem = check_problem(refused, 503)
            assert problem["type"].endswith("/too-many-streams")
            assert refused.headers["retry-after"] == "5"
        await settles(lambda: server.app.hub.connections.total == 0)
        async with server.stream("/sse/c") as again:
            assert (await again.next())["type"] == "connection"


async def test_malformed_session_ids_are_a_400(server: Server) -> None:
    auth = bearer(token(subscribe=["*"], publish=["*"]))
    for session_id in ("bad%20id", "x" * 129, "semi;colon", "trailing%0A"):
        check_problem(await server.client.get(f"/sse/{session_id}", headers=auth), 400)
        response = await server.client.post(
            f"/api/sessions/{session_id}/events", json=message("m"), headers=auth
        )
        check_problem(response, 400)


async def test_unknown_paths_and_methods_are_problems(server: Server) -> None:
    check_problem(await server.client.get("/no/such/path"), 404)
    response = await server.client.delete("/healthz")
    assert "GET" in response.headers["allow"]
    check_problem(response, 405)
    check_problem(await server.client.get("/schemas/no-such.json"), 404)


async def test_an_unexpected_error_is_a_500_problem_without_details() -> None:
    app = create_app(settings())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail")

    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/boom")
        body = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    validator("rest/problem.json").check(orjson.loads(body))
    assert "internal detail" not in body and "Traceback" not in body


async def test_a_query_parameter_given_twice_is_a_400_naming_it(server: Server) -> None:
    """Which of two values was meant would be a guess: every single-valued parameter."""
    auth = bearer(token())
    (first,) = await server.publish("alice:chat", message("1"), headers=auth)
    cases = {
        "/api/sessions/alice:chat/events?limit=1&limit=2": "limit",
        f"/api/sessions/alice:chat/events?after={first}&after={first}": "after",
        "/api/events?session=alice:chat&limit=5&limit=5": "limit",
        f"/api/events?session=alice:chat&after={first}&after=x": "after",
        f"/sse/alice:chat?lastEventId={first}&lastEventId=x": "lastEventId",
        "/apps/demo/users/alice/sessions/alice:chat/run?query=a&query=b": "query",
    }
    for path, name in cases.items():
        response = await server.streams.get(path, headers=auth)
        problem = check_problem(response, 400)
        assert problem["type"].endswith("/invalid-parameter"), path
        assert problem["detail"] == f"{name}= may be given only once", path
    assert len(await server.app.hub.broadcaster.get_event_history("alice:chat")) == 1


async def test_json_that_is_no_event_is_a_422_with_a_pointer_on_every_path(server: Server) -> None:
    """Never a 500 and nothing published, whichever path answers: the front (see
    ``test_server_front``), Hypercorn and the app (the front off, or an ``Idempotency-Key``)."""
    auth = {**bearer(token()), "Content-Type": "application/json"}
    for keyed in (False, True):
        for n, (body, errors) in enumerate(NOT_EVENTS):
            headers = {**auth, "Idempotency-Key": f"k-{n}"} if keyed else auth
            response = await server.client.post(
                "/api/sessions/alice:x/events", content=body, headers=headers
            )
            problem = check_problem(response, 422)
            assert problem["type"].endswith("/invalid-event"), problem
            assert [(e["pointer"], e["message"]) for e in problem["errors"]] == errors
    assert server.app.hub.broadcaster.session_stats("alice:x")["historySize"] == 0


async def test_a_limit_is_written_in_ascii_digits(server: Server) -> None:
    """``str.isdigit`` takes ``²`` (which ``int`` refuses: a 500) and ``٣`` (read as 3), and
    ``int`` refuses over 4,300 digits: each is a 400 on both polling routes."""
    auth = bearer(token())
    await server.publish("alice:chat", [message("1"), message("2"), message("3")], headers=auth)
    for url, query in (
        ("/api/sessions/alice:chat/events", {}),
        ("/api/events", {"session": "alice:chat"}),
    ):
        for limit in ("²", "①", "٣", "\uff13", "1" * 5000, "0" * 5000, "10000", "-1"):
            params = {**query, "limit": limit}
            response = await server.client.get(url, params=params, headers=auth)
            problem = check_problem(response, 400)
            assert problem["detail"] == "limit= must be an integer from 1 to 1000", limit
        for limit, count in (("2", 2), ("0002", 2), ("0" * 5000 + "1", 1), ("1000", 3)):
            params = {**query, "limit": limit}
            response = await server.client.get(url, params=params, headers=auth)
            assert len(orjson.loads(response.content)["events"]) == count, limit


async def test_a_problems_instance_is_a_uri_reference(server: Server) -> None:
    """RFC 9457 §3.1.5: ``instance`` is a URI reference, so a path is written percent-encoded
    as it came, not decoded (a space, ``"`` or ``é`` is no URI character), on every path."""
    auth = bearer(token())
    cases = {
        "/sse/%C3%A9": ("GET", 400),
        "/sse/a%20b": ("GET", 400),
        "/sse/a%22b": ("GET", 400),
        "/sse/a%2Fb": ("GET", 400),
        "/sse/a%25b": ("GET", 400),
        "/api/sessions/a%20b/stats": ("GET", 400),
        "/api/sessions/%C3%A9/events": ("POST", 400),
        "/nope%20here": ("GET", 404),
        "/api/sessions/alice:chat/events": ("PATCH", 405),
    }
    for path, (method, status) in cases.items():
        response = await server.streams.request(method, path, headers=auth, json={})
        problem = check_problem(response, status)
        assert problem["instance"] == path, path
