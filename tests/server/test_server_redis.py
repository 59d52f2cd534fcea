"""``--backplane redis``: two servers on one Redis are one hub to their clients; a Redis out
of reach is a clear error at start and a 503 problem afterwards."""

from __future__ import annotations

import logging
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import coredis
import httpx
import pytest
import trio
from hub_client import Server, bearer, check_body, check_problem, message, running, settings, token
from redis_process import failed_connections_collected, redis_server_process, stalled

from server.problems import UNREACHABLE_OUTCOMES
from sse_core import BackplaneUnavailable

EVENTS = "/api/sessions/alice:chat/events"
RUN = "/apps/demo/users/alice/sessions/alice:chat/run"
REGENERATE = "/api/chat_actions/regenerate"


def _redis_settings(url: str, prefix: str) -> dict[str, str]:
    return {"backplane": "redis", "redis_url": url, "redis_prefix": prefix}


def _unavailable(response: httpx.Response, kind: str) -> None:
    """A 503 ``backplane-unavailable`` problem whose detail is that of ``kind`` of request."""
    problem = check_problem(response, 503)
    assert problem["type"].endswith("/backplane-unavailable")
    assert problem["detail"] == UNREACHABLE_OUTCOMES[kind]
    assert response.headers["retry-after"] == "1"


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


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("user:wrong@127.0.0.1:{port}/0", "cannot reach Redis at redis://user:***@127.0.0.1:"),
        ("127.0.0.1:{port}/99", "refused the call: DB index is out of range"),
    ],
    ids=["password", "database"],
)
async def test_sluice_serve_that_its_redis_refuses_exits_1_with_one_line(
    redis_server: str, where: str, said: str
) -> None:
    """Credentials Redis refuses, or a database it does not have: one line, no traceback."""
    url = "redis://" + where.format(port=redis_server.rsplit(":", 1)[1])
    command = [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--port", "0"]
    command += ["--backplane", "redis", "--redis-url", url]
    with trio.fail_after(30):  # a cold interpreter on a busy machine
        result = await trio.run_process(command, capture_stderr=True, check=False)
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert lines[-1].startswith("sluice serve: ") and said in lines[-1], lines
    assert "Traceback" not in result.stderr.decode()


async def test_sluice_serve_with_its_redis_stalled_exits_1_within_the_timeout() -> None:
    with failed_connections_collected(), redis_server_process() as (url, process):
        command = [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--port", "0"]
        command += ["--backplane", "redis", "--redis-url", f"{url}/0", "--redis-timeout", "0.5"]
        with stalled(process), trio.fail_after(30):  # a cold interpreter on a busy machine
            result = await trio.run_process(command, capture_stderr=True, check=False)
    assert result.returncode == 1
    last = result.stderr.decode().strip().splitlines()[-1]
    assert last == f"sluice serve: cannot reach Redis at {url}/0: no answer within 0.5 s"
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("url", ["http://example.org", ""])
def test_a_redis_url_must_be_one(url: str) -> None:
    command = [sys.executable, "-m", "server.cli", "serve", "--redis-url", url]
    result = subprocess.run(command, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2
    assert b"--redis-url: must be a redis://, rediss:// or unix:// URL" in result.stderr


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert logged == [], [r.getMessage() for r in logged]


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_with_redis_down_streams_end_and_new_streams_and_publishes_are_503(
    front: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Every route that needs Redis answers 503, its detail fitting the request: a stream was
    not opened, a publish may or may not have been stored, a read read nothing..."""
    caplog.set_level(logging.INFO)
    with failed_connections_collected(), redis_server_process() as (url, process):
        options = _redis_settings(f"{url}/0", "down:")
        async with running(settings(**options), front=front) as server:
            auth = bearer(token())
            async with server.stream("/sse/alice:chat", headers=auth) as stream:
                await stream.until("connection")
                process.terminate()
                process.wait(timeout=10)
                final = (await stream.until("connection"))[-1]
                assert final["data"]["status"] == "disconnected"
                with pytest.raises(StopAsyncIteration):
                    await stream.next()
            keyed = {**auth, "Idempotency-Key": "k1"}
            regenerate = {"sessionId": "alice:chat", "query": "again"}
            for response, kind in (
                (await server.streams.get("/sse/alice:chat", headers=auth), "stream"),
                (await server.streams.get("/sse?session=alice:chat", headers=auth), "stream"),
                (await server.client.get(f"{RUN}?query=q", headers=auth), "stream"),
                (await server.client.post(EVENTS, json=message("lost?"), headers=auth), "publish"),
                (await server.client.get(EVENTS, headers=auth), "read"),
                (await server.client.get("/api/events?session=alice:chat", headers=auth), "read"),
                (await server.client.delete("/api/sessions/alice:chat", headers=auth), "clear"),
                (
                    await server.client.post(REGENERATE, json=regenerate, headers=keyed),
                    "regenerate",
                ),
                # without a key nothing reaches Redis before the run: refused all the same
                (await server.client.post(REGENERATE, json=regenerate, headers=auth), "regenerate"),
                (await server.client.put("/api/sessions/alice:new", headers=auth), "write"),
            ):
                _unavailable(response, kind)
            port = int(url.rsplit(":", 1)[1])
            with redis_server_process(port):
                backplane = server.app.hub.broadcaster.backplane
                with trio.fail_after(10):
                    while not backplane.available:  # noqa: ASYNC110 (the reader retries each second)
                        await trio.sleep(0.05)
                async with server.stream("/sse/alice:chat", headers=auth) as again:
                    await again.until("connection")
                    (published,) = await server.publish("alice:chat", message("back"), headers=auth)
                    assert (await again.next())["id"] == published
                # (read before this Redis stops too, while the server still runs)
                lines = [
                    (r.levelno, r.getMessage()) for r in caplog.records if r.name == "sluice.core"
                ]
    assert [level for level, text in lines if "out of reach" in text] == [logging.WARNING]
    assert [level for level, text in lines if "reachable again" in text] == [logging.INFO]
    ends = [r for r in caplog.records if r.getMessage() == "disconnect"]
    assert ends[0].fields["outcome"] == "backplane_unavailable"  # type: ignore[attr-defined]
    _no_traceback(caplog)


#: --redis-timeout of the stalled-Redis tests (s), and the margin a busy machine may add to it.
STALL_TIMEOUT, MARGIN = 0.5, 1.5


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_stalled_redis_is_answered_503_within_the_redis_timeout_until_it_answers(
    front: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis that stops answering (SIGSTOP: it accepts connections and answers nothing) is
    out of reach as a Redis that refuses them is, within ``--redis-timeout``: a new stream and
    a publish answer 503 (each with its own detail), the open stream ends, ``/readyz`` is not
    ready, one warning says why. Once Redis answers: ready, one info line, streams and
    publishes work, and every acknowledged event is there."""
    caplog.set_level(logging.INFO)
    auth = bearer(token())
    with failed_connections_collected(), redis_server_process() as (url, process):
        options = {**_redis_settings(f"{url}/0", "stall:"), "redis_timeout": STALL_TIMEOUT}
        async with running(settings(**options), front=front) as server:
            (before,) = await server.publish("alice:chat", message("before"), headers=auth)
            async with server.stream("/sse/alice:chat", headers=auth) as open_stream:
                await open_stream.until("connection")
                assert (await open_stream.next())["id"] == before
                with stalled(process):
                    # The first request after the stall: nothing knows of it yet.
                    with trio.fail_after(STALL_TIMEOUT + MARGIN):
                        new = await server.streams.get("/sse/alice:p2", headers=auth)
                    _unavailable(new, "stream")
                    with trio.fail_after(STALL_TIMEOUT + MARGIN):
                        lost = await server.client.post(
                            "/api/sessions/alice:chat/events", json=message("lost?"), headers=auth
                        )
                    _unavailable(lost, "publish")
                    final = (await open_stream.until("connection"))[-1]
                    assert final["data"]["status"] == "disconnected"
                    with pytest.raises(StopAsyncIteration):
                        await open_stream.next()
                    problem = check_problem(await server.client.get("/readyz"), 503)
                    assert problem["type"].endswith("/not-ready")
            with trio.fail_after(10):  # the reader retries every second
                while (await server.client.get("/readyz")).status_code != 200:  # noqa: ASYNC110 (polled as a load balancer polls)
                    await trio.sleep(0.05)
            async with server.stream("/sse/alice:chat", headers=auth) as again:
                found = await again.until("connection")
                (after,) = await server.publish("alice:chat", message("after"), headers=auth)
                while found[-1]["id"] != after:
                    found.append(await again.next())
            contents = [e["data"]["content"] for e in found if e["id"]]
            assert contents in (["before", "after"], ["before", "lost?", "after"])
            history = await server.client.get("/api/sessions/alice:chat/events", headers=auth)
            stored = [e["id"] for e in check_body(history, "rest/history-response.json")["events"]]
            assert stored[0] == before and stored[-1] == after
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "sluice.core"]
    gone = [text for level, text in lines if "out of reach" in text]
    assert [level for level, text in lines if "out of reach" in text] == [logging.WARNING]
    assert "(no answer within 0.5 s)" in gone[0]
    assert [level for level, text in lines if "reachable again" in text] == [logging.INFO]
    _no_traceback(caplog)


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_redis_losing_its_data_ends_open_streams_and_resumes_reset(
    redis_server: str, front: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """No event is skipped silently: a stream open when the epoch changes ends with its final
    frame, and its client's resume starts with ``stream_reset``."""
    caplog.set_level(logging.WARNING)
    prefix = f"epoch{random.getrandbits(32):x}:"
    options = _redis_settings(f"{redis_server}/2", prefix)
    auth = bearer(token())
    async with (
        running(settings(**options), front=front) as one,
        running(settings(**options), front=front) as two,
    ):
        (before,) = await one.publish("alice:chat", message("before"), headers=auth)
        async with two.stream("/sse/alice:chat", headers=auth) as stream:
            await stream.until("connection")
            assert (await stream.next())["id"] == before
            client: coredis.Redis[bytes] = coredis.Redis.from_url(f"{redis_server}/2")
            async with client:
                await client.flushdb()
            (after,) = await one.publish("alice:chat", message("after"), headers=auth)
            rest = await stream.until("connection")
            assert rest[-1]["data"]["status"] == "disconnected"
            assert after not in [e["id"] for e in rest]
        headers = {**auth, "Last-Event-ID": before}
        async with two.stream("/sse/alice:chat", headers=headers) as resumed:
            await resumed.until("connection")
            reset = await resumed.next()
            assert (reset["type"], reset["data"]["reason"]) == ("stream_reset", "unknown_epoch")
            assert (await resumed.next())["id"] == after
    changes = [r.getMessage() for r in caplog.records if "lost its data" in r.getMessage()]
    assert changes and all(
        r.levelno == logging.WARNING for r in caplog.records if "lost" in r.getMessage()
    )
    assert any("1 open streams ended" in text for text in changes)
    _no_traceback(caplog)


@pytest.mark.parametrize("front", [True, False], ids=["front", "hypercorn"])
async def test_a_backplane_lost_between_admission_and_subscribing_is_a_503_for_a_stream(
    front: bool, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the admission check cannot see: the head waits for the subscription, so the
    client gets the stream's 503 problem (not a ``200`` that never streams), no run starts,
    nothing stays subscribed, no traceback; the log says how the stream ended."""
    caplog.set_level(logging.INFO)
    replays = 0

    async def unreachable(*_args: object, **_kwargs: object) -> None:
        nonlocal replays
        replays += 1
        await trio.lowlevel.checkpoint()
        raise BackplaneUnavailable("cannot reach Redis at redis://127.0.0.1:1/0: refused")

    auth = bearer(token())
    async with running(settings(), front=front) as server:
        monkeypatch.setattr(server.app.hub.broadcaster.backplane, "replay", unreachable)
        for response in (
            await server.streams.get("/sse/alice:chat", headers=auth),
            await server.streams.get("/agent_network_sse/alice:chat", headers=auth),
            await server.client.get(
                "/apps/demo/users/alice/sessions/alice:chat/run?query=hi", headers=auth
            ),
        ):
            problem = check_problem(response, 503)
            assert problem["type"].endswith("/backplane-unavailable")
            assert problem["detail"] == UNREACHABLE_OUTCOMES["stream"]
            assert response.headers["retry-after"] == "1"
            assert "text/event-stream" not in response.headers["content-type"]
        assert replays == 3
        assert server.subscribers("alice:chat") == 0
        await trio.sleep(0.05)  # a run, had one started, would have published by now
        assert await server.app.hub.broadcaster.get_event_history("alice:chat") == []
    ends = [r for r in caplog.records if r.getMessage() == "disconnect"]
    outcomes = [r.fields["outcome"] for r in ends]  # type: ignore[attr-defined]
    assert outcomes == ["backplane_unavailable"] * 3
    _no_traceback(caplog)
