"""Graceful shutdown: every open stream gets a final frame and a clean end, work is cancelled,
and ``sluice serve`` exits 0 on SIGTERM without a traceback."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest
import trio
from hub_client import Stream, bearer, check_body, running, settings, token

from server.agent import DemoAgent
from server.serving.run import HubFailed
from sse_core import Broadcaster, find_error


async def test_shutdown_with_100_open_streams_ends_each_cleanly() -> None:
    async with running(settings(max_connections_per_user=100)) as server:
        auth = bearer(token())
        endings: list[list[dict[str, Any]]] = []

        async def reader(index: int, task_status: trio.TaskStatus[None]) -> None:
            async with server.stream(f"/sse/alice:s{index % 7}", headers=auth) as stream:
                await stream.until("connection")
                task_status.started()
                endings.append(await stream.rest())

        async with trio.open_nursery() as nursery:
            for index in range(100):
                await nursery.start(reader, index)
            assert (await server.app.hub.broadcaster.get_stats())["subscribers"] == 100
            await server.client.get("/healthz")  # leaves an idle keep-alive connection
            server.stop.set()
            with trio.fail_after(1.5):  # well within the 3 s graceful timeout
                await server.stopped.wait()
    assert len(endings) == 100
    for events in endings:
        assert [e["type"] for e in events] == ["connection"]
        assert events[0]["data"]["status"] == "disconnected"


async def test_shutdown_cancels_regeneration_and_reports_it() -> None:
    async with running(agent=DemoAgent(delay=60)) as server:
        auth = bearer(token())
        async with server.stream("/sse/alice:chat", headers=auth) as stream:
            await stream.until("connection")
            response = await server.client.post(
                "/api/chat_actions/regenerate",
                json={"sessionId": "alice:chat", "query": "slow"},
                headers=auth,
            )
            check_body(response, "rest/regenerate-response.json")
            await stream.until("thought_process_step")
            server.stop.set()
            events = await stream.rest()
        with trio.fail_after(1.5):
            await server.stopped.wait()
    assert [e["type"] for e in events] == ["regeneration_error", "connection"]
    assert "shutting down" in events[0]["data"]["error"]


async def _bound_url(stderr: trio.abc.ReceiveStream, seen: bytearray) -> str:
    while (found := re.search(rb"Running on (http://[0-9.:]+)", seen)) is None:
        chunk = await stderr.receive_some()
        assert chunk, seen.decode()
        seen += chunk
    return found.group(1).decode()


async def test_sluice_serve_exits_0_on_sigterm_without_traceback() -> None:
    command = [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--port", "0"]
    process = await trio.lowlevel.open_process(command, stderr=subprocess.PIPE)
    assert process.stderr is not None
    seen = bytearray()
    try:
        with trio.fail_after(30):  # a cold interpreter on a busy machine
            url = await _bound_url(process.stderr, seen)
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("GET", "/sse/demo") as response,
        ):
            stream = Stream(response)
            try:
                assert (await stream.next())["type"] == "connection"
                process.send_signal(signal.SIGTERM)
                events = await stream.rest()
            finally:
                await stream.close()
        with trio.fail_after(5):  # the graceful timeout
            status = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    while chunk := await process.stderr.receive_some():
        seen += chunk
    log = seen.decode()
    assert status == 0, log
    assert "Traceback" not in log
    assert [e["data"]["status"] for e in events] == ["disconnected"]
    assert '"event":"auth_disabled"' in log and '"level":"warning"' in log


async def test_a_hub_that_fails_while_serving_shuts_the_server_down_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The broadcaster's own task fails (here its cleanup pass raises): the failure is logged
    once with its traceback, open streams end with their final frame, and the server stops
    raising :class:`HubFailed`, instead of serving on with a dead hub (every publish and
    stream refused, ``/readyz`` not ready, ``/healthz`` ok) until someone notices."""

    async def broken(self: Broadcaster) -> None:
        raise RuntimeError("boom")

    auth = bearer(token())
    with pytest.raises(BaseExceptionGroup) as raised:
        async with (
            running(settings(cleanup_interval=0.2)) as server,
            server.stream("/sse/alice:demo", headers=auth) as stream,
        ):
            await stream.until("connection")
            monkeypatch.setattr(Broadcaster, "cleanup", broken)
            with trio.fail_after(5):
                endings = await stream.rest()
                await server.stopped.wait()
    assert [e["data"]["status"] for e in endings] == ["disconnected"]
    failed = find_error(raised.value, HubFailed)
    assert failed is not None and str(failed) == "the hub stopped: RuntimeError('boom')"
    (logged,) = [r for r in caplog.records if r.getMessage() == "hub_failed"]
    assert logged.levelno == logging.ERROR and logged.exc_info is not None
