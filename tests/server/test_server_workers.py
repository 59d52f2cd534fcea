"""``sluice serve --workers 2``: two processes on one port (SO_REUSEPORT) share their sessions
through Redis, and SIGTERM to the parent shuts both down cleanly."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import attrs
import httpx
import orjson
import pytest
import trio
from hub_client import Stream, message
from redis_process import failed_connections_collected, redis_server_process, stalled

from server.logs import JsonLines
from server.serving.workers import _watch

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="finds each connection's worker through /proc"
)


def _owner(pids: list[int], server_port: int, client_port: int) -> int | None:
    """The worker (of ``pids``) holding the server's end of the loopback connection from
    ``client_port``, found through the socket's inode in ``/proc``; ``None`` when none does."""
    wanted = f":{server_port:04X} 0100007F:{client_port:04X} "
    inodes = [
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if wanted in line
    ]
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        links = {os.readlink(fds / fd) for fd in os.listdir(fds)}
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    return None


def _client_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


async def _started(stderr: trio.abc.ReceiveStream, seen: bytearray) -> tuple[list[int], int]:
    """The workers' pids and port, once the parent has logged them and both listen."""
    while len(re.findall(rb"Running on http://[0-9.]+:(\d+)", seen)) < 2:
        chunk = await stderr.receive_some()
        assert chunk, seen.decode()
        seen += chunk
    workers = next(orjson.loads(line) for line in seen.splitlines() if b'"workers"' in line)
    port = int(re.findall(rb"Running on http://[0-9.]+:(\d+)", seen)[0])
    return workers["pids"], port


@asynccontextmanager
async def _on_worker(
    client: httpx.AsyncClient, pids: list[int], port: int, pid: int
) -> AsyncIterator[httpx.AsyncClient]:
    """``client`` (one kept-alive connection) once its connection is held by worker ``pid``."""
    while True:
        async with client.stream("GET", "/healthz") as response:
            await response.aread()
            owner = _owner(pids, port, _client_port(response))
        if owner == pid:
            yield client
            return
        await client.aclose()
        client = httpx.AsyncClient(base_url=str(client.base_url), limits=_ONE)


_ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)


@attrs.define
class _Workers:
    """A ``sluice serve --workers 2`` process: its workers' pids, its port, what it logged."""

    process: trio.Process
    pids: list[int]
    port: int
    seen: bytearray

    async def stop(self) -> list[dict[str, Any]]:
        """SIGTERM, then its log lines once it has ended (status 0, no traceback)."""
        self.process.send_signal(signal.SIGTERM)
        with trio.fail_after(15):  # the graceful timeout, twice
            status = await self.process.wait()
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.receive_some():
            self.seen += chunk
        log = self.seen.decode()
        assert status == 0, log
        assert "Traceback" not in log
        return [orjson.loads(line) for line in log.splitlines()]


@asynccontextmanager
async def _workers(redis_url: str, *options: str) -> AsyncIterator[_Workers]:
    """Two workers on a free port sharing the Redis at ``redis_url``, with ``options``; killed
    if the block leaves them running."""
    command = [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--port", "0"]
    command += ["--workers", "2", "--backplane", "redis", "--redis-url", redis_url]
    command += ["--graceful-timeout", "3", *options]
    process = await trio.lowlevel.open_process(command, stderr=subprocess.PIPE)
    assert process.stderr is not None
    seen = bytearray()
    try:
        with trio.fail_after(120):  # two cold interpreters on a busy machine
            pids, port = await _started(process.stderr, seen)
        yield _Workers(process, pids, port, seen)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_two_workers_on_one_port_each_stream_gets_the_others_events(
    redis_server: str,
) -> None:
    prefix = f"workers{random.getrandbits(32):x}:"
    async with _workers(f"{redis_server}/4", "--redis-prefix", prefix) as workers:
        pids, port = workers.pids, workers.port
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            streams: dict[int, Stream] = {}
            with trio.fail_after(30):
                while len(streams) < 2:  # new connections until each worker holds a stream
                    response = await client.send(
                        client.build_request("GET", "/sse/demo"), stream=True
                    )
                    stream = Stream(response)
                    assert (await stream.next())["type"] == "connection"
                    owner = _owner(pids, port, _client_port(response))
                    assert owner in pids
                    if owner in streams:
                        await stream.close()
                    else:
                        streams[owner] = stream
            for pid in pids:
                publisher = httpx.AsyncClient(base_url=url, timeout=10, limits=_ONE)
                async with _on_worker(publisher, pids, port, pid) as on_worker:
                    answer = await on_worker.post(
                        "/api/sessions/demo/events", json=message(f"from {pid}")
                    )
                    # each worker's figures are its own, and say whose they are
                    stats = (await on_worker.get("/api/stats")).json()
                    session = (await on_worker.get("/api/sessions/demo/stats")).json()
                    await on_worker.aclose()
                assert stats["pid"] == session["pid"] == pid
                assert answer.status_code == 201, answer.text
                (event_id,) = answer.json()["ids"]
                for stream in streams.values():
                    event = await stream.next()
                    assert (event["id"], event["data"]["content"]) == (event_id, f"from {pid}")
            lines = await workers.stop()
            for stream in streams.values():
                endings = await stream.rest()
                assert [e["data"]["status"] for e in endings] == ["disconnected"]
    # Every line names the process that wrote it: each worker shut down once.
    assert sorted(line["pid"] for line in lines if line["event"] == "shutdown") == sorted(pids)
    assert {line["pid"] for line in lines} == {workers.process.pid, *pids}


async def test_two_workers_answer_503_while_redis_stalls_and_log_limits_per_worker() -> None:
    """Each worker bounds its Redis calls by --redis-timeout: with Redis stopped (SIGSTOP), a
    publish to either answers 503 in time and its /readyz is not ready; continued, both answer
    201 again. The parent says at start that the stream limits hold per worker."""
    with failed_connections_collected(), redis_server_process() as (redis_url, redis):
        options = ("--redis-timeout", "0.5", "--max-connections-per-user", "3")
        async with _workers(f"{redis_url}/0", *options) as workers:
            pids, port = workers.pids, workers.port
            url = f"http://127.0.0.1:{port}"
            for expected in (503, 201):
                for pid in pids:
                    client = httpx.AsyncClient(base_url=url, timeout=10, limits=_ONE)
                    async with _on_worker(client, pids, port, pid) as on_worker:
                        with stalled(redis) if expected == 503 else nullcontext():
                            with trio.fail_after(0.5 + 1.5):  # the timeout, and a margin
                                answer = await on_worker.post(
                                    "/api/sessions/demo/events", json=message(f"to {pid}")
                                )
                            ready = await on_worker.get("/readyz")
                        await on_worker.aclose()
                    assert answer.status_code == expected, answer.text
                    if expected == 503:
                        assert answer.headers["retry-after"] == "1"
                        assert ready.status_code == 503, ready.text
            lines = await workers.stop()
    gone = [
        line["pid"] for line in lines if "is out of reach (no answer within 0.5 s)" in line["event"]
    ]
    assert sorted(gone) == sorted(pids), lines
    (limits,) = [line for line in lines if line["event"] == "limits_per_worker"]
    assert limits["pid"] == workers.process.pid
    assert (
        limits["detail"]
        == "each worker counts its own streams: a user may hold up to 2 x 3 streams"
    )


def test_a_worker_killed_is_logged_by_the_parent_naming_the_worker_and_its_signal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The parent's ``worker_exit`` line is the parent's (its ``pid``), names the worker in
    ``worker`` and says which signal ended it; the parent's status is 1."""
    caplog.set_level(logging.INFO, "sluice.server")
    # a worker killed as the kernel's OOM killer would kill it
    spawn = multiprocessing.get_context("spawn")
    worker = spawn.Process(target=signal.raise_signal, args=(signal.SIGKILL,))
    wake_read, wake_write = socket.socketpair()
    with wake_read, wake_write:
        worker.start()
        assert _watch([worker], wake_read, 5.0) == 1
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "worker_exit"]
    line = orjson.loads(JsonLines(pid=True).format(record))
    assert (line["pid"], line["worker"], line["signal"]) == (os.getpid(), worker.pid, "SIGKILL")
    assert "status" not in line


def test_a_field_never_replaces_what_a_log_line_says_of_itself() -> None:
    record = logging.LogRecord("sluice.server", logging.INFO, __file__, 1, "e", None, None)
    record.event = "e"
    record.fields = {"pid": 1, "level": "debug", "logger": "x", "time": "t", "event": "f"}
    line = orjson.loads(JsonLines(pid=True).format(record))
    assert (line["pid"], line["level"], line["logger"], line["event"]) == (
        os.getpid(),
        "info",
        "sluice.server",
        "e",
    )
    assert line["time"] != "t"


async def test_workers_whose_parent_is_killed_shut_down_instead_of_holding_the_port(
    redis_server: str,
) -> None:
    """SIGKILL to the parent (the OOM killer, a supervisor's last resort) cannot be passed on:
    each worker notices its parent gone, logs ``supervisor_gone`` and shuts down as on
    SIGTERM, so that no orphan serves on with the port held."""
    prefix = f"workers{random.getrandbits(32):x}:"
    async with _workers(f"{redis_server}/4", "--redis-prefix", prefix) as workers:
        workers.process.kill()
        await workers.process.wait()
        assert workers.process.stderr is not None
        with trio.fail_after(20):  # the graceful timeout, and a margin
            while chunk := await workers.process.stderr.receive_some():  # all have ended
                workers.seen += chunk
    lines = [orjson.loads(line) for line in workers.seen.decode().splitlines()]
    gone = [line["pid"] for line in lines if line["event"] == "supervisor_gone"]
    assert sorted(gone) == sorted(workers.pids), lines
    assert sorted(line["pid"] for line in lines if line["event"] == "shutdown") == sorted(
        workers.pids
    )
