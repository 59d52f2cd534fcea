"""The load generator: one process, raw sockets on uvloop, a lean HTTP/1.1 + SSE reader.

It opens the scenario's streams (``GET /sse/{id}``), checks that every one is subscribed,
publishes through ``POST /api/sessions/{id}/events`` and measures, printing one JSON object
on stdout:

- delivered events/s: message frames received by all subscribers, over the time from the
  first publish to the last frame received;
- latency p50/p99: each event carries its publish time (``time.monotonic_ns()``, a clock all
  processes of the machine share) as the first 19 digits of its ``content``; a frame's
  latency is its arrival time minus that stamp;
- server CPU (user + system of the server's process tree over the measured window) and
  server RSS per connection (RSS after the streams are open minus before, divided by them);
- losses: events a subscriber should have received and did not, streams cut off with
  ``stream_overflow``, streams that ended or failed to open;
- its own CPU, to show that it was not the bottleneck.

Frames are never decoded as JSON: the stamps are picked out of the bytes received (after the
chunked transfer coding is removed) with ``bytes.find``, so reading costs a few microseconds
per chunk. Every wait has a deadline, and the number of requests is bounded by the scenario.

Diagnostics: ``--stalled N`` makes N streams stop reading while events are published (slow
clients, to see overflow reported); ``--profile FILE`` runs py-spy on the server over the
measured window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import psutil
import uvloop

CONTENT = b'"content":"'
WARM_UP = b"warm-up"
OVERFLOW = b"event: stream_overflow"
EVENT_HEAD = '{"type":"message","data":{"content":"'
EVENT_TAIL = " " + "x" * 100 + '","role":"assistant"}}'
MAX_HEAD = 65536


def _log(*parts: object) -> None:
    print("loadgen:", *parts, file=sys.stderr, flush=True)


def _percentile(ordered: list[int], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1e6


class Response:
    """Incremental HTTP/1.1 response reader: head, then body with chunked coding removed."""

    __slots__ = ("_buffer", "_chunk_left", "_crlf_left", "chunked", "ended", "head", "status")

    def __init__(self) -> None:
        self.status = 0
        self.head = b""
        self.chunked = False
        self.ended = False
        self._buffer = b""
        self._chunk_left = 0
        self._crlf_left = 0

    def feed(self, data: bytes) -> bytes | None:
        """Body bytes in ``data`` (may be empty); None while the head is still incomplete."""
        if not self.status:
            data = self._buffer + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > MAX_HEAD:
                    raise ValueError("response head too long")
                self._buffer = data
                return None
            self._buffer = b""
            self.head = data[:end].lower()
            self.status = int(self.head.split(b" ", 2)[1])
            self.chunked = b"\r\ntransfer-encoding: chunked" in self.head
            data = data[end + 4 :]
        return self._dechunk(data) if self.chunked else data

    def content_length(self) -> int | None:
        match = re.search(rb"\r\ncontent-length: *(\d+)", self.head)
        return int(match.group(1)) if match else None

    def _dechunk(self, data: bytes) -> bytes:
        if not (self._buffer or self._chunk_left or self._crlf_left):
            # The usual case, kept cheap: ``data`` is exactly one whole chunk.
            line_end = data.find(b"\r\n", 0, 18)
            if line_end > 0 and data.endswith(b"\r\n"):
                try:
                    chunk = int(data[:line_end], 16)
                except ValueError:
                    chunk = -1
                if chunk > 0 and len(data) == line_end + chunk + 4:
                    return data[line_end + 2 : -2]
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        pieces = []
        position, size = 0, len(data)
        while position < size and not self.ended:
            if self._chunk_left:
                take = min(self._chunk_left, size - position)
                pieces.append(data[position : position + take])
                position += take
                self._chunk_left -= take
            elif self._crlf_left:
                skip = min(self._crlf_left, size - position)
                position += skip
                self._crlf_left -= skip
            else:
                line_end = data.find(b"\r\n", position)
                if line_end < 0:
                    self._buffer = data[position:]
                    if len(self._buffer) > MAX_HEAD:
                        raise ValueError("chunk size line too long")
                    break
                chunk = int(data[position:line_end].split(b";", 1)[0], 16)
                position = line_end + 2
                if chunk == 0:
                    self.ended = True
                else:
                    self._chunk_left, self._crlf_left = chunk, 2
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


class Stream(asyncio.Protocol):
    """One SSE subscriber: counts message frames, records their latency, notes overflow/end."""

    def __init__(self, load: Load, session: str, request: bytes) -> None:
        self.load = load
        self.session = session
        self.request = request
        self.response = Response()
        self.opened: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.tail = b""
        self.received = 0
        self.last_id = b""
        self.subscribed = False
        self.stalled = False
        self.overflowed = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        response = self.response
        try:
            body = response.feed(data)
        except ValueError as error:
            self._fail(error)
            return
        if body is None:
            return
        if not self.opened.done():
            self.opened.set_result(response.status)
        if body:
            self._frames(body)
        if response.ended and self.transport is not None:
            self.transport.close()

    def _frames(self, data: bytes) -> None:
        if self.tail:
            data = self.tail + data
            self.tail = b""
        if not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            self.tail = data[cut:]
            if len(self.tail) > MAX_HEAD:
                self._fail(ValueError("SSE line too long"))
                return
            data = data[:cut]
        stamps = []
        position = data.find(CONTENT)
        while position >= 0:
            position += len(CONTENT)
            if position < len(data) and 48 <= data[position] <= 57:  # a digit: a stamp
                stamps.append(int(data[position : position + 19]))
            elif not self.subscribed and data.startswith(WARM_UP, position):
                self.subscribed = True
                self.load.progress.set()
            position = data.find(CONTENT, position)
        if stamps:
            self.received += len(stamps)
            self.load.record(stamps)
        found = data.rfind(b"\nid:")
        if found >= 0 or data.startswith(b"id:"):
            start = found + 4 if found >= 0 else 3
            value = data[start : data.find(b"\n", start)]
            self.last_id = value[1:] if value.startswith(b" ") else value
        if data.find(OVERFLOW) >= 0:
            self.overflowed = True

    def _fail(self, error: Exception) -> None:
        _log("stream error:", error)
        self.load.errors += 1
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the response head"))

    @property
    def alive(self) -> bool:
        return not (self.closed or self.overflowed)

    def reconnection(self) -> Stream:
        """Close this connection at once; the stream that takes over, resuming from ``last_id``
        (its counts carry on, so a lost or doubled event shows)."""
        if self.transport is not None:
            self.transport.abort()
        head, end = self.request.split(b"\r\n\r\n", 1)
        head = head.split(b"\r\nLast-Event-ID: ", 1)[0]
        request = head + b"\r\nLast-Event-ID: " + self.last_id + b"\r\n\r\n" + end
        successor = Stream(self.load, self.session, request)
        successor.received, successor.last_id = self.received, self.last_id
        successor.subscribed = True
        return successor


class Publisher(asyncio.Protocol):
    """A keep-alive HTTP/1.1 connection that POSTs one request at a time.

    The server may close it while it is idle (keep-alive timeout): the next request then
    opens a new connection first.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.response = Response()
        self.body = b""
        self.done: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.done is None or self.done.done():
            return
        try:
            body = self.response.feed(data)
        except ValueError as error:
            self.done.set_exception(error)
            return
        if body is None:
            return
        self.body += body
        length = self.response.content_length()
        if self.response.ended or (length is not None and len(self.body) >= length):
            self.done.set_result(self.response.status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionError("publisher connection closed"))


class Client:
    """Sends requests over one :class:`Publisher` connection, reopening it when closed."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.connection: Publisher | None = None

    async def post(self, request: bytes) -> int:
        """Send one request and return the response status."""
        connection = self.connection
        if connection is None or connection.transport is None or connection.transport.is_closing():
            loop = asyncio.get_running_loop()
            _transport, connection = await asyncio.wait_for(
                loop.create_connection(Publisher, self.host, self.port), self.timeout
            )
            self.connection = connection
        assert connection.transport is not None
        connection.response = Response()
        connection.body = b""
        connection.done = asyncio.get_running_loop().create_future()
        connection.transport.write(request)
        return await asyncio.wait_for(connection.done, self.timeout)

    @property
    def body(self) -> bytes:
        return self.connection.body if self.connection is not None else b""

    def close(self) -> None:
        if self.connection is not None and self.connection.transport is not None:
            self.connection.transport.abort()


class ServerProbe:
    """CPU seconds and RSS of the server's process and its children."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)

    def _tree(self) -> list[psutil.Process]:
        return [self.process, *self.process.children(recursive=True)]

    def cpu(self) -> float:
        total = 0.0
        for process in self._tree():
            times = process.cpu_times()
            total += times.user + times.system
        return total

    def rss(self) -> int:
        return sum(process.memory_info().rss for process in self._tree())


def _busy_core_seconds(cpu: int) -> float:
    """CPU time core ``cpu`` spent busy (any process), from ``/proc/stat``."""
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if line.startswith(b"cpu%d " % cpu):
                ticks = [int(v) for v in line.split()[1:]]
                idle = ticks[3] + ticks[4]  # idle, iowait
                return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    raise ValueError(f"no cpu{cpu} in /proc/stat")


class Meter:
    """CPU used between ``start()`` and ``stop()``: the server's, this process's, and the rest
    of the server's core (other processes stealing it make the server look slow)."""

    def __init__(self, probe: ServerProbe, server_cpu: int | None) -> None:
        self.probe = probe
        self.server_cpu = server_cpu
        self.start()

    def _read(self) -> tuple[float, float, float]:
        own = os.times()
        core = _busy_core_seconds(self.server_cpu) if self.server_cpu is not None else 0.0
        return self.probe.cpu(), own.user + own.system, core

    def start(self) -> None:
        self._begin = self._read()

    def stop(self, seconds: float, delivered: int) -> dict[str, float | None]:
        server, own, core = (b - a for a, b in zip(self._begin, self._read(), strict=True))
        other = max(0.0, core - server) if self.server_cpu is not None else None
        return {
            "server_cpu_pct": round(100 * server / seconds, 1),
            # Three significant digits: below a microsecond, one decimal made ratios of rounding
            # (0.8 / 0.6 = 1.33 where the unrounded figures gave 1.21).
            "server_cpu_us_per_event": (
                float(f"{1e6 * server / delivered:.3g}") if delivered else None
            ),
            "server_core_other_pct": None if other is None else round(100 * other / seconds, 1),
            "loadgen_cpu_pct": round(100 * own / seconds, 1),
        }


class Profiler:
    """py-spy sampling the server over the measured window, when a path is given."""

    def __init__(self, path: str | None, pid: int) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        if path is None:
            return
        beside = Path(sys.executable).with_name("py-spy")
        spy = str(beside) if beside.exists() else "py-spy"
        command = [spy, "record", "--nonblocking", "-r", "200", "-p", str(pid), "-o", path]
        if path.endswith(".txt"):
            command += ["-f", "raw"]
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as error:
            _log("cannot start py-spy:", error)

    def stop(self) -> None:
        """Stop sampling and write the profile (py-spy writes it on SIGINT)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        try:
            _out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return
        if process.returncode:
            _log("py-spy failed:", err.decode(errors="replace").strip()[-300:])


class Load:
    """The state of one scenario: streams, publishers, counts and latency samples."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.host = args.host
        self.port = args.port
        self.sessions = [f"{args.prefix}-{i}" for i in range(args.sessions)]
        self.streams: list[Stream] = []
        self.by_session: dict[str, list[Stream]] = {s: [] for s in self.sessions}
        self.sent = dict.fromkeys(self.sessions, 0)
        self.latencies: list[int] = []
        self.recording = False
        self.progress = asyncio.Event()
        self.last_frame = 0
        self.errors = 0
        self.failed_opens = 0
        self.publish_errors = 0
        self.requests = 0
        timeout = args.request_timeout
        self.publishers = [Client(self.host, self.port, timeout) for _ in range(args.publishers)]

    async def changed(self, until: float) -> None:
        """Wait until some stream receives a frame, or until ``until`` (monotonic seconds)."""
        self.progress.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.progress.wait(), max(0.0, until - time.monotonic()))

    def record(self, stamps: list[int]) -> None:
        """Note the arrival of events published at ``stamps`` (monotonic ns)."""
        self.progress.set()
        now = time.monotonic_ns()
        self.last_frame = now
        if self.recording:
            self.latencies.extend([now - s for s in stamps])

    # -- requests ---------------------------------------------------------------------------

    def _stream_request(self, session: str) -> bytes:
        return (
            f"GET /sse/{session} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()

    def _post_request(self, session: str, body: bytes) -> bytes:
        return (
            f"POST /api/sessions/{session}/events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    @staticmethod
    def _events(count: int) -> bytes:
        event = f"{EVENT_HEAD}{time.monotonic_ns():019d}{EVENT_TAIL}"
        if count == 1:
            return event.encode()
        return ("[" + ",".join([event] * count) + "]").encode()

    # -- phases -----------------------------------------------------------------------------

    async def open_streams(self, sessions: Iterable[str], deadline: float) -> list[Stream]:
        """Open one stream per item of ``sessions``, a bounded number at a time."""
        return await self.connect(
            [Stream(self, s, self._stream_request(s)) for s in sessions], deadline
        )

    async def connect(
        self, streams: list[Stream], deadline: float, *, at_once: bool = False
    ) -> list[Stream]:
        """Connect ``streams``, ``--connect-concurrency`` at a time (``at_once``: all together,
        each until ``deadline``); those whose response head arrived with status 200."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(len(streams) if at_once else self.args.connect_concurrency)
        patience = deadline if at_once else self.args.request_timeout

        async def open_one(stream: Stream) -> Stream | None:
            async with gate:
                timeout = max(0.1, min(patience, deadline - time.monotonic()))
                try:
                    await asyncio.wait_for(
                        loop.create_connection(lambda: stream, self.host, self.port), timeout
                    )
                    status = await asyncio.wait_for(stream.opened, timeout)
                except (OSError, TimeoutError, ConnectionError) as error:
                    _log("open failed:", repr(error))
                    if stream.transport is not None:
                        stream.transport.abort()
                    self.failed_opens += 1
                    return None
                if status != 200:
                    _log("stream refused with status", status)
                    assert stream.transport is not None
                    stream.transport.abort()
                    self.failed_opens += 1
                    return None
                return stream

        opened = await asyncio.gather(*(open_one(s) for s in streams))
        return [s for s in opened if s is not None]

    async def publish(self, publisher: Client, session: str, count: int) -> bool:
        """POST ``count`` stamped events to ``session``; counts them as sent unless refused."""
        self.sent[session] += count
        try:
            status = await publisher.post(self._post_request(session, self._events(count)))
        except (OSError, TimeoutError, ConnectionError, ValueError) as error:
            status = repr(error)
        if not (isinstance(status, int) and 200 <= status < 300):
            self.sent[session] -= count
            self.publish_errors += 1
            if self.publish_errors <= 3:
                _log("publish failed:", status, publisher.body[:300])
            return False
        self.requests += 1
        return True

    async def subscribe_all(self, streams: list[Stream], deadline: float) -> bool:
        """Publish warm-up events until every stream has received one (so is subscribed)."""
        publisher = self.publishers[0]
        body = b'{"type":"message","data":{"content":"warm-up"}}'
        while time.monotonic() < deadline:
            waiting = {s.session for s in streams if not s.subscribed and not s.closed}
            if not waiting:
                return True
            for session in sorted(waiting):
                request = self._post_request(session, body)
                try:
                    await publisher.post(request)
                except (OSError, TimeoutError, ConnectionError, ValueError) as error:
                    _log("warm-up publish failed:", repr(error))
                    return False
            pause = min(deadline, time.monotonic() + 0.5)
            while time.monotonic() < pause and any(not s.subscribed for s in streams):
                await self.changed(pause)
        return False

    def lag(self, session: str) -> int:
        """Events sent to ``session`` that its slowest live subscriber has not received yet."""
        counts = [s.received for s in self.by_session[session] if s.alive and not s.stalled]
        return self.sent[session] - min(counts) if counts else 0

    async def burst(self, end: float) -> None:
        """Publish batches as fast as the server takes them, for each publisher connection.

        A publisher waits while a session's slowest subscriber lags more than ``window``
        events behind, so no bounded queue (1,000 frames) can overflow.
        """
        batch, window = self.args.batch, self.args.window
        sessions = itertools.cycle(self.sessions)
        budget = [self.args.max_events]

        async def run(publisher: Client) -> None:
            while time.monotonic() < end and budget[0] > 0:
                session = next(sessions)
                while self.lag(session) + batch > window and time.monotonic() < end:
                    await self.changed(end)
                if time.monotonic() >= end:
                    return
                count = min(batch, budget[0])
                budget[0] -= count
                if not await self.publish(publisher, session, count):
                    return

        await asyncio.gather(*(run(p) for p in self.publishers))

    async def paced(self, end: float) -> None:
        """One event per request at ``rate`` requests/s, sessions in turn."""
        publisher = self.publishers[0]
        start = time.monotonic()
        for tick, session in enumerate(itertools.cycle(self.sessions)):
            due = start + tick / self.args.rate
            if due >= end or tick >= self.args.max_events:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.publish(publisher, session, 1)

    async def storm(self, end: float, deadline: float) -> float | None:
        """While events flow (paced), drop every stream at once and reconnect each from its
        last event id; the seconds from the drop until every stream has resumed (reconnected and
        holding every event published before the drop), ``None`` if not all by ``deadline``."""
        flowing = asyncio.ensure_future(self.paced(end))
        try:
            await asyncio.sleep(max(0.0, min(1.0, (end - time.monotonic()) / 3)))
            due = dict(self.sent)
            dropped = time.monotonic()
            self.streams = [stream.reconnection() for stream in self.streams]
            self.by_session = {s: [] for s in self.sessions}
            for stream in self.streams:
                self.by_session[stream.session].append(stream)
            reopened = await self.connect(self.streams, deadline, at_once=True)
            resumed = None
            while time.monotonic() < deadline:
                if all(s.received >= due[s.session] for s in reopened if s.alive):
                    resumed = time.monotonic() - dropped
                    break
                await self.changed(min(deadline, time.monotonic() + 0.05))
            _log(f"{len(reopened)} of {len(self.streams)} streams reopened; resumed: {resumed}")
            await flowing
            return resumed
        finally:
            flowing.cancel()

    async def one_each(self) -> None:
        """One event to every session (checks that idle streams are still alive)."""
        for session in self.sessions:
            await self.publish(self.publishers[0], session, 1)

    def delivered(self) -> int:
        return sum(s.received for s in self.streams)

    def expected(self) -> int:
        return sum(self.sent[s.session] for s in self.streams if s.alive)

    async def drain(self, seconds: float, quiet: float) -> None:
        """Wait until every live stream has every event, or nothing arrived for ``quiet`` s."""
        deadline = time.monotonic() + seconds
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.delivered()
            if count >= self.expected():
                return
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > quiet:
                return
            await asyncio.sleep(0.01)

    def losses(self) -> dict[str, int]:
        missing = duplicated = 0
        for stream in self.streams:
            gap = self.sent[stream.session] - stream.received
            missing += max(gap, 0)
            duplicated += max(-gap, 0)
        return {
            "missing_events": missing,
            "duplicated_events": duplicated,
            "overflowed_streams": sum(s.overflowed for s in self.streams),
            "ended_streams": sum(s.closed and not s.overflowed for s in self.streams),
            "failed_opens": self.failed_opens,
            "publish_errors": self.publish_errors,
            "stream_errors": self.errors,
        }

    def stall(self, count: int) -> None:
        """Stop reading the first ``count`` streams, with a small receive buffer: slow clients."""
        for stream in self.streams[:count]:
            assert stream.transport is not None
            sock = stream.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stream.transport.pause_reading()
            stream.stalled = True

    def unstall(self) -> None:
        for stream in self.streams:
            if stream.stalled and stream.transport is not None and not stream.closed:
                sock = stream.transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                stream.transport.resume_reading()

    def close(self) -> None:
        for stream in self.streams:
            if stream.transport is not None:
                stream.transport.abort()
        for publisher in self.publishers:
            publisher.close()


async def measure(args: argparse.Namespace) -> dict[str, object]:
    load = Load(args)
    probe = ServerProbe(args.server_pid)
    started = time.monotonic()
    deadline = started + args.time_limit
    result: dict[str, object] = {"scenario": args.name, "kind": args.kind}
    profiler = Profiler(None, args.server_pid)
    try:
        # A first stream and event load the server's code paths before the memory baseline.
        probe_streams = await load.open_streams([load.sessions[0]], deadline)
        if not probe_streams or not await load.subscribe_all(probe_streams, deadline):
            raise RuntimeError("the server never delivered a first event")
        probe_streams[0].transport.abort()  # type: ignore[union-attr]
        await asyncio.sleep(args.settle)
        rss_before = probe.rss()

        opening = time.monotonic()
        per_session = args.subscribers // args.sessions
        wanted = [s for s in load.sessions for _ in range(per_session)]
        load.streams = await load.open_streams(wanted, deadline)
        for stream in load.streams:
            load.by_session[stream.session].append(stream)
        open_seconds = time.monotonic() - opening
        _log(f"{args.name}: {len(load.streams)} streams open in {open_seconds:.1f}s")
        if not await load.subscribe_all(load.streams, deadline):
            _log("some streams never received the warm-up event")
        await asyncio.sleep(args.settle)
        rss_after = probe.rss()
        open_count = len(load.streams)
        result.update(
            subscribers=open_count,
            sessions=args.sessions,
            open_seconds=round(open_seconds, 2),
            server_rss_mb=round(rss_after / 2**20, 1),
            rss_per_connection_kb=round((rss_after - rss_before) / max(open_count, 1) / 1024, 1),
        )

        load.stall(args.stalled)
        profiler = Profiler(args.profile, args.server_pid)
        meter = Meter(probe, args.server_cpu)
        load.recording = True
        start = time.monotonic()
        start_ns = time.monotonic_ns()
        load.last_frame = start_ns
        end = min(start + args.duration, deadline - args.drain - 1)
        if args.kind == "burst":
            await load.burst(end)
            result["publishes_per_s"] = round(load.requests / (time.monotonic() - start))
        elif args.kind == "storm":
            resumed = await load.storm(end, deadline - args.drain - 1)
            result["resume_seconds"] = None if resumed is None else round(resumed, 2)
        elif args.kind == "paced":
            await load.paced(end)
        else:
            # Idle: CPU while nothing happens; then one event per session checks every stream.
            await asyncio.sleep(max(0.0, end - time.monotonic()))
            idle = meter.stop(time.monotonic() - start, 0)
            meter.start()
            start_ns = time.monotonic_ns()
            await load.one_each()
        load.unstall()
        await load.drain(args.drain, args.quiet)
        window = max((load.last_frame - start_ns) / 1e9, 1e-6)
        delivered = load.delivered()
        result.update(meter.stop(window, delivered))
        profiler.stop()
        if args.kind == "idle":
            result.update(idle, server_cpu_us_per_event=result["server_cpu_us_per_event"])
        latencies = sorted(load.latencies)
        result.update(
            events_published=sum(load.sent.values()),
            events_delivered=delivered,
            seconds=round(window, 3),
            events_per_s=round(delivered / window) if args.kind in ("burst", "paced") else None,
            latency_p50_ms=_percentile(latencies, 0.50),
            latency_p99_ms=_percentile(latencies, 0.99),
            losses=load.losses(),
        )
    finally:
        profiler.stop()
        load.close()
        await asyncio.sleep(0.1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="SSE load generator (one scenario).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    parser.add_argument("--server-cpu", type=int, default=None, help="the server's core")
    parser.add_argument("--name", default="scenario")
    parser.add_argument("--kind", choices=["burst", "paced", "idle", "storm"], required=True)
    parser.add_argument("--subscribers", type=int, required=True)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of publishing")
    parser.add_argument("--batch", type=int, default=10, help="events per request (burst)")
    parser.add_argument("--publishers", type=int, default=1, help="publisher connections")
    parser.add_argument("--window", type=int, default=500, help="max events in flight (burst)")
    parser.add_argument("--rate", type=float, default=5.0, help="requests/s (paced)")
    parser.add_argument("--max-events", type=int, default=1_000_000)
    parser.add_argument(
        "--stalled", type=int, default=0, help="streams that stop reading while publishing"
    )
    parser.add_argument(
        "--profile", default=None, help="py-spy the server into this file (.svg, or .txt raw)"
    )
    parser.add_argument("--connect-concurrency", type=int, default=64)
    parser.add_argument("--request-timeout", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=0.5)
    parser.add_argument("--drain", type=float, default=15.0, help="max seconds to drain")
    parser.add_argument("--quiet", type=float, default=3.0, help="give up after s with nothing")
    parser.add_argument("--time-limit", type=float, default=120.0, help="whole run, seconds")
    args = parser.parse_args()
    if args.sessions < 1 or args.subscribers < args.sessions:
        parser.error("need at least one subscriber per session")

    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Short-lived and acyclic: collections would only add pauses to the measurement.
    gc.disable()
    result = asyncio.run(measure(args), loop_factory=uvloop.new_event_loop)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
