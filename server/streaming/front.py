"""The connection handler in front of Hypercorn: the streams of new connections, on the socket.

Through Hypercorn each body chunk costs an h11 event, a send lock, a shielded cancel scope and
two trips through trio's scheduler, and each connection carries Hypercorn's tasks and protocol
objects. So :class:`Front` reads the head of each new connection's first request itself (a
plain head with :func:`~server.streaming.head.strict_head`, any other with h11) and answers a
``GET`` or ``HEAD`` of a stream route without a body or an upgrade: admitted
once (:func:`~server.streaming.admission.admit`), then the stream, the head alone or the problem,
written by the one response writer (:mod:`server.streaming.writer`). A stream is one task: while
it waits, the publishing task writes its frames to the socket directly
(:class:`~server.streaming.direct.StreamSink`), and one task for all streams notices the
clients that leave (:class:`~server.streaming.direct.Hangups`). The connection closes after such
an answer; requests pipelined behind a stream are not answered (RFC 9112 §9.3.2 lets a server
close).
A publish it takes (:mod:`server.streaming.publishes`) is answered, and the connection's next
request read, each wait for it bounded by the keep-alive timeout.

Everything else (every other route, a request with a body or an upgrade, a head that does not
parse) goes to Hypercorn's own connection handler (:class:`~server.serving.hypercorn_worker.Worker`)
with the bytes already read, and is served exactly as without the front. A request carrying both
``Content-Length`` and ``Transfer-Encoding`` is refused with 400 and the connection closed
(RFC 9112 §6.1: such a message may be an attempt at request smuggling).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing

import h11
import trio
from hypercorn.config import Config
from hypercorn.typing import ConnectionState, HTTPScope, ResponseSummary

from ..hub import Hub
from ..problems import Problem, internal_error
from ..security.framing import framing_problem
from ..serving.hypercorn_worker import parse_socket_addr
from .admission import Admitted, admit, keep_encoded_slashes, origin_form, stream_target
from .body import first_chunk
from .direct import MAX_RECV, Hangups, SocketWriter, StreamSink, cancel_when_gone
from .head import Head, strict_head
from .publishes import answer_publish, publish_length, wants_close
from .writer import StreamResponse, problem_response

log = logging.getLogger("sluice.server")
_GONE = (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError)

#: Serves a connection to its end given the bytes already read from it (Hypercorn's handler).
Fallback = Callable[[trio.SocketStream, bytes], Awaitable[None]]


class _Scopes:
    """The ASGI scopes Hypercorn would build for the requests of the connection on ``stream``:
    its addresses read once, and ``state`` (the connection's, see
    :meth:`~server.serving.hypercorn_worker.Worker.connection_state`) copied into each."""

    def __init__(self, stream: trio.SocketStream, state: ConnectionState) -> None:
        socket = stream.socket
        self.client = parse_socket_addr(socket.family, socket.getpeername())
        self.server = parse_socket_addr(socket.family, socket.getsockname())
        self.state = state

    def scope(self, request: Head) -> HTTPScope:
        """The ASGI scope of ``request``."""
        path, _, query = request.target.partition(b"?")
        path = origin_form(path)
        return {
            "type": "http",
            "asgi": {"spec_version": "2.1", "version": "3.0"},
            "http_version": request.http_version.decode(),
            "method": request.method.decode("ascii"),
            "scheme": "http",
            "path": keep_encoded_slashes(path),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": list(request.headers),
            "client": self.client,
            "server": self.server,
            "state": self.state.copy(),  # type: ignore[typeddict-item]
            "extensions": {},
        }


async def _receive(stream: trio.SocketStream, *, waiting: bool) -> bytes:
    """The next bytes the client sends on ``stream``, ``b""`` once it has closed or reset the
    connection. ``waiting`` says that none are expected yet (the client is reading an answer):
    the socket is then waited on before it is read, else read first.

    A checkpoint only when it waits (as the socket is read directly, without trio's
    try-then-wait sandwich of two checkpoints around it)."""
    fileno = stream.socket.fileno()
    while True:
        if waiting:
            await trio.lowlevel.wait_readable(stream.socket)
        waiting = True
        try:
            return os.read(fileno, MAX_RECV)
        except BlockingIOError:
            pass
        except OSError:
            return b""


async def _read_head(
    stream: trio.SocketStream, config: Config, buffered: bytes | None = None
) -> tuple[bytes, Head | None, int, bool]:
    """The bytes read until the next request's head is complete (``buffered`` first: what was
    read past the previous request, ``None`` on a new connection), that request (``None`` when
    the head does not parse: Hypercorn answers it), the offset in those bytes just past its
    head (where its body starts: the reader's, never a search for a blank line, since h11
    also ends a head with a bare LF) and whether it is complete without a body.

    A head in the plain form (:func:`~server.streaming.head.strict_head`) that came whole with
    the first bytes is read without h11; every other one is h11's, as Hypercorn reads it.
    ``(b"", None, 0, False)`` when the client closes or resets the connection. Waits as long as
    the client sends nothing (the caller bounds it with the keep-alive timeout).
    """
    read = buffered or await _receive(stream, waiting=buffered is not None)
    if not read:
        return b"", None, 0, False
    plain = strict_head(read)
    if plain is not None:
        head, end, bodyless = plain
        return read, head, end, bodyless
    return await _h11_head(stream, config, read)


async def _h11_head(
    stream: trio.SocketStream, config: Config, read: bytes
) -> tuple[bytes, Head | None, int, bool]:
    """:func:`_read_head` by h11, given the (non-empty) bytes ``read`` so far."""
    connection = h11.Connection(
        h11.SERVER, max_incomplete_event_size=config.h11_max_incomplete_size
    )
    data = bytearray(read)
    connection.receive_data(read)  # (h11 takes empty data for the end of the connection)
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError:
            return bytes(data), None, 0, False
        if event is not h11.NEED_DATA:
            break
        try:
            more = await stream.receive_some(MAX_RECV)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return b"", None, 0, False
        if not more:
            return b"", None, 0, False
        data += more
        connection.receive_data(bytes(more))
    if not isinstance(event, h11.Request):
        return b"", None, 0, False
    end = len(data) - len(connection.trailing_data[0])  # what h11 has not read is the body's
    try:
        bodyless = connection.next_event() == h11.EndOfMessage()
    except h11.RemoteProtocolError:
        bodyless = False
    major, _, _ = event.http_version.partition(b".")
    if major != b"1":  # (h11 takes any digits): Hypercorn and the app refuse it (505)
        return bytes(data), None, 0, False
    # A later HTTP/1.x is read and answered as HTTP/1.1 (RFC 9112 §2.3).
    version = event.http_version if event.http_version in (b"1.0", b"1.1") else b"1.1"
    head = Head(event.method, event.target, version, list(event.headers))
    return bytes(data), head, end, bodyless


def _front_serves(request: Head, bodyless: bool) -> bool:
    """Whether a request of a stream route is answered here: no body, no upgrade."""
    return bodyless and not any(name == b"upgrade" for name, _ in request.headers)


class Front:
    """Handles each accepted connection: a stream answer here, anything else in Hypercorn.

    ``hub`` is the hub that streams come from, ``fallback`` Hypercorn's connection handler,
    ``config`` Hypercorn's configuration (keep-alive timeout, head size, access log), ``state``
    makes each connection's ASGI state, ``send_timeout`` is the seconds a stream's write may wait
    for a client that does not read.
    """

    def __init__(
        self,
        hub: Hub,
        fallback: Fallback,
        config: Config,
        state: Callable[[], ConnectionState],
        send_timeout: float,
        max_body: int,
    ) -> None:
        self.hub = hub
        self.max_body = max_body
        self.fallback = fallback
        self.config = config
        self.state = state
        self.send_timeout = send_timeout
        #: Whether Hypercorn's access log is on (``--log-level info`` or below).
        self.access_log = config.log.access_logger is not None
        self.hangups = Hangups()

    async def __call__(self, stream: trio.SocketStream) -> None:
        """Serve the connection on ``stream`` until it closes.

        A client going away is normal (one debug line); an unexpected error is logged and
        closes this connection only.
        """
        try:
            await self._serve(stream)
        except (*_GONE, OSError) as error:
            log.debug("connection ended by the client: %r", error)
        except Exception:
            log.exception("Error serving a connection")
        finally:
            await trio.aclose_forcefully(stream)

    async def _serve(self, stream: trio.SocketStream) -> None:
        scopes = _Scopes(stream, self.state())
        buffered: bytes | None = None
        # The keep-alive timeout bounds each wait for a request's head: one scope for the
        # connection, its deadline set for each wait (cheaper than a scope per request). A head
        # that completes as the timeout passes is not answered, as one a moment later.
        answer: Awaitable[None] | None = None
        with trio.CancelScope() as idle:
            while True:  # each publish answered here may be followed by another request
                idle.deadline = trio.current_time() + self.config.keep_alive_timeout
                head = await _read_head(stream, self.config, buffered)
                idle.deadline = math.inf
                if idle.cancel_called:
                    return
                outcome = await self._request(stream, scopes, *head)
                del head
                if not isinstance(outcome, bytes):
                    answer = outcome
                    break
                buffered = outcome
        if answer is not None:  # a stream's: outside the keep-alive scope, nothing else kept
            del scopes, buffered, idle, outcome
            await answer

    async def _request(
        self,
        stream: trio.SocketStream,
        scopes: _Scopes,
        read: bytes,
        request: Head | None,
        start: int,
        bodyless: bool,
    ) -> bytes | Awaitable[None] | None:
        """Answer the request whose head is ``request``, read in ``read`` (its body from
        ``start``): the bytes read past it when the connection is kept for the next request
        (after a publish); the answer to
        await when it is Hypercorn's or a stream's (it keeps none of the request's objects it
        does not need); else ``None``."""
        if not read:
            return None
        if request is None:
            await self.fallback(stream, read)
            return None
        scope = scopes.scope(request)
        length = publish_length(request, scope, self.max_body)
        if length is None or start + length > len(read):
            # Not a publish, or its body has not all arrived with its head: Hypercorn's.
            return self._first(stream, read, request, bodyless, scope)
        return await self._publish(stream, request, scope, read, start, length)

    async def _publish(
        self,
        stream: trio.SocketStream,
        request: Head,
        scope: HTTPScope,
        read: bytes,
        start: int,
        length: int,
    ) -> bytes | None:
        """Answer the publish whose body is ``read[start:start + length]``: the bytes read past
        it (the start of the next request), or ``None`` once the connection is done with (to
        close, or handed to Hypercorn with ``read`` when the body is not JSON)."""
        started = time.time()
        close = wants_close(request)
        answer = await answer_publish(self.hub, scope, read[start : start + length], close=close)
        if answer is None:
            await self.fallback(stream, read)
            return None
        await SocketWriter(stream, self.send_timeout).write(answer)
        if self.access_log:
            summary: ResponseSummary = {"status": int(answer[9:12]), "headers": []}
            await self.config.log.access(scope, summary, time.time() - started)
        return None if close else read[start + length :]

    async def _first(
        self,
        stream: trio.SocketStream,
        read: bytes,
        request: Head,
        bodyless: bool,
        scope: HTTPScope,
    ) -> None:
        """Answer a stream request here, or hand the connection to Hypercorn.

        An open stream keeps neither the request's head nor its scope (the scope stays only
        when the access log is written)."""
        started = time.time()
        writer = SocketWriter(stream, self.send_timeout)
        problem = framing_problem(scope["headers"])
        session_ids = stream_target(scope) if _front_serves(request, bodyless) else None
        if problem is None and session_ids is None:
            await self.fallback(stream, read)
            return
        del read, request
        logged: HTTPScope | None = scope
        try:
            if problem is not None:
                raise problem
            admitted = admit(self.hub, session_ids or (), scope)
        except Problem as refused:
            status = await self._refuse(writer, scope, refused, started)
        except Exception:
            log.exception("Exception on request %s %s", scope["method"], scope["path"])
            status = await self._refuse(writer, scope, internal_error(), started)
        else:
            answer = self._answer(stream, writer, scope, admitted)
            if not self.access_log:
                logged = None
            del scope
            status = await answer
        if logged is not None:
            summary: ResponseSummary = {"status": status, "headers": []}
            await self.config.log.access(logged, summary, time.time() - started)

    async def _refuse(
        self, writer: SocketWriter, scope: HTTPScope, problem: Problem, now: float
    ) -> int:
        """Answer ``problem`` and close the connection; its status."""
        await writer.write(
            problem_response(
                problem,
                scope["path"],
                now,
                http_version=scope["http_version"],
                head_only=scope["method"] == "HEAD",
                keep_alive=False,
                headers=self.hub.cors.stream_headers(scope["headers"]),
            )
        )
        return problem.status

    async def _answer(
        self, stream: trio.SocketStream, writer: SocketWriter, scope: HTTPScope, admitted: Admitted
    ) -> int:
        """Answer an admitted request: the head alone for ``HEAD`` (nothing subscribed), else
        the stream until it ends, the client goes, a write times out or the body fails (logged;
        the response is left without its end, so that the client retries)."""
        cors = self.hub.cors.stream_headers(scope["headers"])
        response = StreamResponse(scope["http_version"], admitted.head_only, cors)
        path = scope["path"]
        del scope
        if admitted.head_only:
            await writer.write(response.head(time.time()))
            return 200
        with trio.CancelScope() as gone:  # cancelled when the client goes
            sink = StreamSink(stream, self.send_timeout, response, gone)
            ids, principal, last = admitted.session_ids, admitted.principal, admitted.last_event_id
            del admitted
            body = self.hub.stream(ids, principal, last, sink=sink)
            fileno = sink.fileno
            status = 200
            if Hangups.available:
                # The watcher runs beside the connections' tasks, in their nursery.
                nursery = trio.lowlevel.current_task().parent_nursery
                assert nursery is not None
                self.hangups.watch(fileno, gone, nursery)
                try:
                    status = await _stream(sink, path, response, body)
                finally:
                    self.hangups.forget(fileno)
            else:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(cancel_when_gone, stream, gone)
                    status = await _stream(sink, path, response, body)
                    nursery.cancel_scope.cancel()
        return status


async def _stream(
    sink: StreamSink, path: str, response: StreamResponse, body: AsyncGenerator[bytes]
) -> int:
    """Write the stream: its head with its first chunk once subscribed (the 503 problem
    instead when the backplane cannot be reached: :func:`~server.streaming.body.first_chunk`),
    each chunk ``body`` yields (the frames it does not yield were written by ``sink`` from the
    fan-out), its end; a client gone or too slow ends it. Returns the status answered."""
    status = 200
    try:
        async with aclosing(body):
            try:
                first = await first_chunk(body)
            except Problem as problem:
                status = problem.status
                await sink.write(
                    problem_response(
                        problem,
                        path,
                        time.time(),
                        http_version=response.http_version,
                        keep_alive=False,
                        headers=response.headers,
                    )
                )
                return status
            await _write(sink, body, response.head(time.time()) + response.chunk(first))
            del first
            async for chunk in body:
                await _write(sink, body, response.chunk(chunk))
                del chunk  # (not kept while the stream waits)
        await sink.write(response.end())
    except _GONE:
        pass
    except Exception:
        log.exception("Exception on request GET %s", path)
    return status


async def _write(sink: StreamSink, body: AsyncGenerator[bytes], data: bytes) -> None:
    """Write ``data`` of ``body``'s stream; a write not taken in time is thrown into ``body``,
    so that the stream learns why it ends (its log says so), and raised from there."""
    try:
        await sink.write(data)
    except trio.TooSlowError as slow:
        await body.athrow(slow)
