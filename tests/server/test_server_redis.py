"""``--backplane redis``: two servers on one Redis are one hub to their clients; a Redis out
of reach is a clear error at start and a 503 problem afterwards."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import trio
from hub_client import Server, bearer, check_body, check_problem, message, running, settings, token
from redis_process import failed_connections_collected, redis_server_process


def _redis_settings(url: str, prefix: str) -> dict[str, str]:
    return {"backplane": "redis", "redis_url": url, "redis_prefix": prefix}


@asynccontextmanager
async def two_servers(redis_url: str) -> AsyncIterator[tuple[Server, Server]]:
    """Two servers sharing sessions through the Redis at ``redis_url``."""
    options = _redis_settings(f"{redis_url}/2", f"e2e{random.getrandbits(32):x}:")
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(running(settings(**options)))
        two = await stack.enter_async_context(running(settings(**options)))
        yield one, two


async def test_a_client_reads_and_resumes_on_either_server(redis_server: str) -> None:
    auth = bearer(token())
    async with two_servers(redis_server) as (one, two):
        first = await one.publish("alice:chat", message("on one"), headers=auth)
        async with two.stream("/sse/alice:chat", headers=auth) as stream:
            assert (await stream.next())["type"] == "connection"
            assert (await stream.next())["id"] == first[0]
            second = await one.publish("alice:chat", message("live, on one"), headers=auth)
            assert (await stream.next())["id"] == second[0]
        third = await two.publish("alice:chat", message("on two"), headers=auth)
        headers = {**auth, "Last-Event-ID": second[0]}
        async with one.stream("/sse/alice:chat", headers=headers) as resumed:
            assert (await resumed.next())["type"] == "connection"
            assert (await resumed.next())["id"] == third[0]
        history = await two.client.get("/api/sessions/alice:chat/events", headers=auth)
        body = check_body(history, "rest/history-response.json")
        assert [e["id"] for e in body["events"]] == [first[0], second[0], third[0]]


async def test_a_redis_gone_away_is_a_503_problem(redis_server: str) -> None:
    with failed_connections_collected(), redis_server_process() as (url, process):
        async with running(settings(**_redis_settings(f"{url}/0", "gone:"))) as server:
            auth = bearer(token())
            await server.publish("alice:chat", message("stored"), headers=auth)
            process.terminate()
            process.wait(timeout=10)
            response = await server.client.post(
                "/api/sessions/alice:chat/events", json=message("lost?"), headers=auth
            )
            problem = check_problem(response, 503)
            assert problem["type"].endswith("/backplane-unavailable")
            assert response.headers["retry-after"] == "1"


async def test_sluice_serve_without_its_redis_exits_1_with_one_line() -> None:
    command = [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--port", "0"]
    command += ["--backplane", "redis", "--redis-url", "redis://127.0.0.1:1/0"]
    with trio.fail_after(30):  # a cold interpreter on a busy machine
        result = await trio.run_process(command, capture_stderr=True, check=False)
    assert result.returncode == 1
    last = result.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("sluice serve: cannot reach Redis at redis://127.0.0.1:1/0: ")
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("url", ["http://example.org", ""])
def test_a_redis_url_must_be_one(url: str) -> None:
    command = [sys.executable, "-m", "server.cli", "serve", "--redis-url", url]
    result = subprocess.run(command, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2
    assert b"--redis-url: must be a redis://, rediss:// or unix:// URL" in result.stderr
