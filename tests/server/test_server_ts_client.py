"""The TypeScript client (``clients/typescript``) against a real server: compiled by tsc, run
by node with the ``eventsource`` package, driven by ``ts_client_driver.mjs``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hub_client import Server, bearer, message, running, settings, settles, token
from node_tools import CLIENT, Driven, driving, tsc
from proxy import proxy
from test_server_redis import two_servers

from protocol import builtin
from server.typescript import DECLARATIONS, generate_declarations, shipped_declarations

DRIVER = Path(__file__).with_name("ts_client_driver.mjs")
HOOK_DRIVER = Path(__file__).with_name("ts_hook_driver.mjs")


@pytest.fixture(scope="module")
def client_module(client_dist: Path) -> str:
    """The file URL of the compiled ``client.js`` (``useSSE.js`` beside it)."""
    return (client_dist / "client.js").as_uri()


def test_the_declarations_in_the_client_are_the_generated_ones() -> None:
    committed = (CLIENT / "src" / DECLARATIONS).read_bytes()
    assert committed == generate_declarations(builtin()), "stale: run `nox -s codegen`"
    assert shipped_declarations() == committed


def test_the_client_compiles_strict_and_a_wrong_field_does_not(tmp_path: Path) -> None:
    assert tsc("-p", str(CLIENT), "--noEmit").returncode == 0
    wrong = tmp_path / "wrong.ts"
    wrong.write_text(
        f'import {{ SluiceStream }} from "{(CLIENT / "src" / "client.js").as_posix()}";\n'
        'new SluiceStream("/sse/x").on("message", (e) => e.data.progress);\n'
    )
    options = ["--ignoreConfig", "--noEmit", "--strict", "--module", "nodenext"]
    result = tsc(*options, "--lib", "ES2022,DOM", "--types", "", str(wrong))
    assert result.returncode != 0
    assert "Property 'progress' does not exist on type 'MessageData'" in result.stdout


@asynccontextmanager
async def driven(client_module: str, **options: Any) -> AsyncIterator[Driven]:
    """The client running in node with ``options`` until the block ends."""
    async with driving(DRIVER, client_module, json.dumps(options)) as running_driver:
        yield running_driver


async def test_the_client_streams_and_resumes_after_the_server_ends_the_stream(
    server: Server, client_module: str
) -> None:
    auth = bearer(token())
    url = f"{server.url}/sse/alice:chat?access_token={token()}"
    async with driven(client_module, url=url, transport="eventsource", reconnectDelay=20) as c:
        await c.state("connected")
        assert (await c.event("connection"))["data"]["status"] == "connected"
        first, second = await server.publish(
            "alice:chat", [message("one"), message("two")], headers=auth
        )
        assert (await c.event("message"))["id"] == first
        assert (await c.event("message"))["resumeFrom"] == second
        await server.app.hub.broadcaster.clear_session("alice:chat", close_subscribers=True)
        assert (await c.event("connection"))["data"]["status"] == "disconnected"
        await c.state("reconnecting")
        await c.state("connected")
        (third,) = await server.publish("alice:chat", message("three"), headers=auth)
        assert (await c.event("message"))["id"] == third
    types = [line.get("type") for line in c.lines if "type" in line]
    assert types.count("message") == 3  # resumed after `second`: nothing twice
    assert "stream_reset" not in types


async def test_the_client_gives_up_after_its_attempts(client_module: str) -> None:
    async with running(settings()) as server:
        url = f"{server.url}/sse/alice:chat"  # no token: every attempt is refused
        options = {"reconnectDelay": 5, "maxReconnectAttempts": 3}
        async with driven(client_module, url=url, transport="eventsource", **options) as c:
            failed = await c.state("error")
    assert failed["attempt"] == 3
    assert failed["error"] == "the stream was interrupted: Non-200 status code (401)"
    assert [line["state"] for line in c.lines[:3]] == ["connecting", "reconnecting", "error"]


async def test_without_eventsource_the_client_polls(server: Server, client_module: str) -> None:
    auth = bearer(token())
    (first,) = await server.publish("alice:chat", message("before"), headers=auth)
    options = {
        "url": f"{server.url}/sse/alice:chat",
        "transport": "poll",
        "pollUrl": f"{server.url}/api/sessions/alice:chat/events",
        "pollHeaders": auth,
        "pollInterval": 20,
        "lastEventId": "garbage",
    }
    async with driven(client_module, **options) as c:
        reset = await c.event("stream_reset")
        assert reset["data"]["reason"] == "malformed_id"
        assert (await c.event("message"))["id"] == first
        (second,) = await server.publish("alice:chat", message("polled"), headers=auth)
        assert (await c.event("message"))["id"] == second
    assert [line["id"] for line in c.lines if line.get("type") == "message"] == [first, second]


async def test_a_reset_poll_without_events_polls_from_the_start_next(
    server: Server, client_module: str
) -> None:
    """A poll after an id of another epoch, of a session without events, is reset and empty,
    its ``lastEventId`` null (read from the start): the client kept the useless id, and every
    poll after it was reset again, a ``stream_reset`` each time, until events came."""
    auth = bearer(token())
    options = {
        "url": f"{server.url}/sse/alice:quiet",
        "transport": "poll",
        "pollUrl": f"{server.url}/api/sessions/alice:quiet/events",
        "pollHeaders": auth,
        "pollInterval": 20,
        "lastEventId": "0123456789ab-000000000001",
    }
    async with driven(client_module, **options) as c:
        reset = await c.event("stream_reset")
        assert reset["data"]["reason"] == "unknown_epoch"
        (first,) = await server.publish("alice:quiet", message("after"), headers=auth)
        assert (await c.event("message"))["id"] == first
    assert [line.get("type") for line in c.lines if "type" in line] == ["stream_reset", "message"]


async def test_a_stream_that_keeps_failing_falls_back_on_polling(
    server: Server, client_module: str
) -> None:
    auth = bearer(token())
    (first,) = await server.publish("alice:chat", message("polled"), headers=auth)
    options = {
        "url": f"{server.url}/sse/alice:chat",  # no token: the stream is refused every time
        "transport": "eventsource",
        "reconnectDelay": 5,
        "maxReconnectAttempts": 2,
        "pollUrl": f"{server.url}/api/sessions/alice:chat/events",
        "pollHeaders": auth,
        "pollInterval": 20,
    }
    async with driven(client_module, **options) as c:
        assert (await c.event("message"))["id"] == first
    connected = [line for line in c.lines if line.get("state") == "connected"]
    assert connected[0]["transport"] == "polling"
    assert [line["state"] for line in c.lines if "state" in line][:2] == [
        "connecting",
        "reconnecting",
    ]


async def test_the_react_hook_follows_the_stream_and_closes_it_on_unmount(
    server: Server, client_module: str
) -> None:
    auth = bearer(token())
    hook = client_module.removesuffix("client.js") + "useSSE.js"
    url = f"{server.url}/sse/alice:chat?access_token={token()}"
    async with driving(HOOK_DRIVER, hook, url) as c:
        await c.until(lambda line: line.get("state") == "connected")
        assert server.subscribers("alice:chat") == 1
        await server.publish(
            "alice:chat", [message("one"), message("two"), message("three")], headers=auth
        )
        await c.until(lambda line: line.get("listened") == "three")
        latest = await c.until(lambda line: line.get("last") == "message")
        while latest["events"] != ["message", "message"]:  # the latest maxEvents=2
            latest = await c.until(lambda line: "events" in line)
    assert [line["listened"] for line in c.lines if "listened" in line] == ["one", "two", "three"]
    await settles(lambda: server.subscribers("alice:chat") == 0)


EIGHT = [f"alice:s{index}" for index in range(8)]


async def _publish_to_each(server: Server, sessions: list[str]) -> list[tuple[str, str]]:
    """One message to each of ``sessions`` in turn: ``(session, id)`` of each, in order."""
    auth = bearer(token())
    published = []
    for session_id in sessions:
        (event_id,) = await server.publish(session_id, message(session_id), headers=auth)
        published.append((session_id, event_id))
    return published


async def _follow_eight_and_resume(
    client_module: str, url: str, before: Server, after: Server
) -> None:
    """Follow :data:`EIGHT` on one stream at ``url`` (served by ``before``); the server ends it
    (one session closed), and the client resumes (on ``after``) with nothing lost or twice."""
    sessions_url = f"{url}/sse?{'&'.join(f'session={s}' for s in EIGHT)}&access_token={token()}"
    async with driven(
        client_module, url=sessions_url, transport="eventsource", reconnectDelay=300
    ) as c:
        await c.state("connected")
        for session_id in EIGHT:
            connected = await c.event("connection")
            assert (connected["sessionId"], connected["data"]["status"]) == (
                session_id,
                "connected",
            )
        assert before.subscribers(EIGHT[0]) == 1
        first = await _publish_to_each(before, EIGHT)
        for expected in first:
            seen = await c.event("message")
            assert (seen["sessionId"], seen["id"]) == expected
        await before.app.hub.broadcaster.clear_session(EIGHT[3], close_subscribers=True)
        for session_id in EIGHT:
            ended = await c.event("connection")
            assert (ended["sessionId"], ended["data"]["status"]) == (session_id, "disconnected")
        await c.state("reconnecting")  # reconnects in 300 ms: these are published meanwhile
        missed = await _publish_to_each(after, list(reversed(EIGHT)))
        await c.state("connected")
        await settles(lambda: after.subscribers(EIGHT[0]) == 1)
        assert before is after or before.subscribers(EIGHT[0]) == 0
        for expected in missed:
            seen = await c.event("message")
            assert (seen["sessionId"], seen["id"]) == expected
        (live,) = await _publish_to_each(after, [EIGHT[5]])
        assert ((await c.event("message"))["id"]) == live[1]
    messages = [
        (line["sessionId"], line["id"]) for line in c.lines if line.get("type") == "message"
    ]
    assert messages == [*first, *missed, live]  # resumed exactly: nothing lost, nothing twice
    assert not any(line.get("type") == "stream_reset" for line in c.lines)


async def test_the_client_follows_eight_sessions_on_one_stream_and_resumes_exactly(
    server: Server, client_module: str
) -> None:
    await _follow_eight_and_resume(client_module, server.url, server, server)


async def test_eight_sessions_on_one_stream_resume_on_the_other_redis_node(
    redis_server: str, client_module: str
) -> None:
    async with (
        two_servers(redis_server) as (one, two),
        proxy(one.url, two.url) as front_door,
    ):
        await _follow_eight_and_resume(client_module, front_door.url, one, two)


async def test_the_client_polls_several_sessions_with_a_reset_for_each(
    server: Server, client_module: str
) -> None:
    auth = bearer(token())
    first = await _publish_to_each(server, ["alice:b", "alice:a"])
    sessions = "session=alice:a&session=alice:b"
    options = {
        "url": f"{server.url}/sse?{sessions}",
        "transport": "poll",
        "pollUrl": f"{server.url}/api/events?{sessions}",
        "pollHeaders": auth,
        "pollInterval": 20,
        "lastEventId": "garbage",
    }
    async with driven(client_module, **options) as c:
        for session_id in ("alice:a", "alice:b"):
            reset = await c.event("stream_reset")
            assert reset["sessionId"] == reset["data"]["sessionId"] == session_id
            assert reset["data"]["reason"] == "malformed_id"
        for expected in first:
            seen = await c.event("message")
            assert (seen["sessionId"], seen["id"]) == expected
        (live,) = await _publish_to_each(server, ["alice:a"])
        assert (await c.event("message"))["id"] == live[1]
    messages = [
        (line["sessionId"], line["id"]) for line in c.lines if line.get("type") == "message"
    ]
    assert messages == [*first, live]
