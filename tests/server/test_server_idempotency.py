"""``Idempotency-Key`` on publish and regenerate, against a real hub: a repeat is answered,
not processed, on either backplane and from either node of a Redis hub."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

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
from proxy import proxy
from sluice_client import AsyncClient, Published, Retry
from sluice_client.calls import idempotency_key, key_header
from sluice_client.models import MessageEvent
from test_server_redis import two_servers

from server.web.idempotency import parse_key

EVENTS = "/api/sessions/alice:chat/events"
AUTH = bearer(token())
FAST = Retry(attempts=5, backoff=0.05)


async def _post(server: Server, key: str | None, body: Any, path: str = EVENTS) -> Any:
    headers = {**AUTH, **({} if key is None else {"Idempotency-Key": key})}
    return await server.client.post(path, json=body, headers=headers)


async def _published(server: Server, key: str, body: Any) -> Any:
    return check_body(await _post(server, key, body), "rest/publish-response.json", 201)


async def _regenerated(server: Server) -> list[str]:
    """The types of the session's events once a regeneration has finished."""
    async with AsyncClient(server.url, token=token()) as client:
        events = client.stream("alice:chat")
        with trio.fail_after(10):
            async for event in events:
                if event.type == "message_regenerated":
                    break
        await events.aclose()
    return [e["type"] for e in await _history(server)]


async def _history(server: Server, session_id: str = "alice:chat") -> list[dict[str, Any]]:
    response = await server.client.get(f"/api/sessions/{session_id}/events", headers=AUTH)
    events: list[dict[str, Any]] = check_body(response, "rest/history-response.json")["events"]
    return events


async def test_a_repeat_equal_as_json_gets_the_same_ids_and_publishes_nothing(
    server: Server,
) -> None:
    body = [message("one"), {"data": {"content": "two"}, "type": "message", "ttl": 30}]
    first = check_body(await _post(server, "k-1", body), "rest/publish-response.json", 201)
    reordered = [message("one"), {"type": "message", "ttl": 30, "data": {"content": "two"}}]
    again = check_body(await _post(server, '"k-1"', reordered), "rest/publish-response.json", 201)
    assert again == first
    assert [e["id"] for e in await _history(server)] == first["ids"]
    stats = check_body(
        await server.client.get("/api/sessions/alice:chat/stats", headers=AUTH),
        "rest/session-stats.json",
    )
    assert stats["published"] == 2 and stats["deduplicated"] == 1
    hub = check_body(await server.client.get("/api/stats", headers=AUTH), "rest/stats.json")
    assert hub["deduplicated"] == 1 and hub["idempotencyKeys"] == 1
    assert hub["memoryUsageMb"] == (hub["bytesHeld"] + hub["idempotencyBytes"]) / 2**20 > 0
    metrics = (await server.client.get("/metrics")).text
    assert "sluice_publishes_deduplicated_total 1.0" in metrics
    assert "sluice_idempotency_keys 1.0" in metrics


@pytest.mark.parametrize("ttl", ["60.0", "6e1", "6.0E+1", "60.000"])
async def test_a_repeat_with_a_number_written_otherwise_is_the_same_request(
    server: Server, ttl: str
) -> None:
    def raw(ttl: str) -> bytes:
        return b'{"type":"message","data":{"content":"n"},"ttl":%s}' % ttl.encode()

    headers = {**AUTH, "Idempotency-Key": "k-number", "Content-Type": "application/json"}
    first = await server.client.post(EVENTS, content=raw("60"), headers=headers)
    again = await server.client.post(EVENTS, content=raw(ttl), headers=headers)
    assert check_body(again, "rest/publish-response.json", 201) == first.json()
    assert len(await _history(server)) == 1
    other = await server.client.post(EVENTS, content=raw("60.5"), headers=headers)
    assert check_problem(other, 422)["type"].endswith("/idempotency-key-reused")


async def test_repeats_sent_at_once_publish_once_and_get_one_answer(server: Server) -> None:
    answers: list[Any] = []

    async def send() -> None:
        answers.append(await _published(server, "k-at-once", message("once")))

    async with trio.open_nursery() as nursery:
        for _ in range(8):
            nursery.start_soon(send)
    assert len(answers) == 8 and all(answer == answers[0] for answer in answers)
    assert [e["id"] for e in await _history(server)] == answers[0]["ids"]


async def test_the_same_key_with_another_body_is_a_422(server: Server) -> None:
    await _post(server, "k-2", message("one"))
    problem = check_problem(await _post(server, "k-2", message("other")), 422)
    assert problem["type"].endswith("/idempotency-key-reused")
    assert len(await _history(server)) == 1


async def test_keys_are_scoped_to_the_caller_and_the_session(server: Server) -> None:
    lobby = {"subscribe": ["lobby"], "publish": ["lobby", "{sub}:*"]}
    alice, bob = bearer(token("alice", **lobby)), bearer(token("bob", **lobby))
    sent = [
        ("/api/sessions/lobby/events", alice),
        ("/api/sessions/lobby/events", bob),
        ("/api/sessions/alice:other/events", alice),
    ]
    ids = []
    for path, auth in sent:
        response = await server.client.post(
            path, json=message("same"), headers={**auth, "Idempotency-Key": "shared"}
        )
        ids += check_body(response, "rest/publish-response.json", 201)["ids"]
    assert len(set(ids)) == 3


async def test_only_success_is_remembered(server: Server) -> None:
    invalid = {"type": "message", "data": {}}
    check_problem(await _post(server, "k-3", invalid), 422)
    body = check_body(
        await _post(server, "k-3", message("fixed")), "rest/publish-response.json", 201
    )
    assert [e["id"] for e in await _history(server)] == body["ids"]


@pytest.mark.parametrize(
    "value",
    ['""', "x" * 256, '"' + "x" * 256 + '"', "a b", '"a b"', "é", '"open', '"a\\x"', '"a"b"'],
)
async def test_a_malformed_key_is_a_400(open_server: Server, value: str) -> None:
    response = await open_server.client.post(
        EVENTS, json=message("x"), headers={"Idempotency-Key": value.encode()}
    )
    problem = check_problem(response, 400)
    assert problem["type"].endswith("/invalid-idempotency-key")
    assert await _history(open_server) == []


async def test_the_key_sent_twice_is_a_400(open_server: Server) -> None:
    headers = [("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    response = await open_server.client.post(EVENTS, json=message("x"), headers=headers)
    assert check_problem(response, 400)["type"].endswith("/invalid-idempotency-key")


@pytest.mark.parametrize("value", ["!", "~" * 255, '"with\\"quotes\\"and\\\\"', "a\"b'c"])
async def test_every_visible_ascii_key_up_to_255_is_accepted(
    open_server: Server, value: str
) -> None:
    first = check_body(
        await _post(open_server, value, message("x")), "rest/publish-response.json", 201
    )
    again = check_body(
        await _post(open_server, value, message("x")), "rest/publish-response.json", 201
    )
    assert first == again


async def test_a_repeated_regenerate_answers_the_same_message_and_runs_once(
    server: Server,
) -> None:
    request = {"sessionId": "alice:chat", "query": "again?"}
    path = "/api/chat_actions/regenerate"
    first = check_body(await _post(server, "r-1", request, path), "rest/regenerate-response.json")
    again = check_body(await _post(server, "r-1", request, path), "rest/regenerate-response.json")
    assert again["messageId"] == first["messageId"]
    other = check_problem(await _post(server, "r-1", {**request, "query": "else"}, path), 422)
    assert other["type"].endswith("/idempotency-key-reused")
    await _regenerated(server)
    await trio.sleep(0.1)  # a second run, if one had started, would be under way
    assert [e["type"] for e in await _history(server)].count("message_regenerating") == 1


async def test_a_publish_whose_answer_is_lost_is_retried_and_stored_once(
    server: Server, under: Callable[..., Awaitable[Any]]
) -> None:
    async def publish(url: str) -> Published:
        async with AsyncClient(url, token=token(), retry=FAST) as client:
            return await client.publish("alice:chat", MessageEvent(content="once"))

    async with proxy(server.url) as lossy:
        lossy.drop = 1
        published = await under(publish, lossy.url)
        assert lossy.dropped == 1
    assert [e["id"] for e in await _history(server)] == published.ids
    assert server.app.hub.broadcaster.session_stats("alice:chat")["deduplicated"] == 1


async def test_on_redis_a_retry_sent_to_the_other_node_is_stored_once(redis_server: str) -> None:
    async with (
        two_servers(redis_server) as (one, two),
        proxy(one.url, two.url) as lossy,
        AsyncClient(lossy.url, token=token(), retry=FAST) as client,
    ):
        lossy.drop = 1
        published = await client.publish(
            "alice:chat", [MessageEvent(content="a"), MessageEvent(content="b")]
        )
        assert lossy.dropped == 1 and lossy.connections == 2
        assert [e["id"] for e in await _history(one)] == published.ids
        assert [e["id"] for e in await _history(two)] == published.ids
        await settles(lambda: one.app.hub.broadcaster.session_stats("alice:chat")["published"] == 2)
        assert two.app.hub.broadcaster.session_stats("alice:chat")["deduplicated"] == 1
        key = published.idempotency_key
        reused = check_problem(await _post(one, key, message("another body")), 422)
        assert reused["type"].endswith("/idempotency-key-reused")
        stats = (await one.client.get("/api/stats", headers=AUTH)).json()
        assert stats["idempotencyKeys"] == 0  # in Redis, not in this process


async def test_on_redis_a_regenerate_repeated_on_the_other_node_runs_once(
    redis_server: str,
) -> None:
    request = {"sessionId": "alice:chat", "query": "again?"}
    path = "/api/chat_actions/regenerate"
    async with two_servers(redis_server) as (one, two):
        first = check_body(await _post(one, "r-2", request, path), "rest/regenerate-response.json")
        again = check_body(await _post(two, "r-2", request, path), "rest/regenerate-response.json")
        assert again["messageId"] == first["messageId"]
        await _regenerated(one)
        await trio.sleep(0.1)  # a second run, if one had started, would be under way
        assert [e["type"] for e in await _history(one)].count("message_regenerating") == 1


async def test_the_idempotency_ttl_is_a_setting() -> None:
    async with running(settings(idempotency_ttl=0.2)) as server:
        first = check_body(
            await _post(server, "k-t", message("x")), "rest/publish-response.json", 201
        )
        await trio.sleep(0.3)
        later = check_body(
            await _post(server, "k-t", message("x")), "rest/publish-response.json", 201
        )
        assert later["ids"] != first["ids"]


@pytest.mark.parametrize("key", ["plain", 'with"quote', "back\\slash", '\\"', "~" * 255])
def test_the_clients_header_is_read_back_as_its_key(key: str) -> None:
    assert parse_key(key_header(idempotency_key(key))) == key
