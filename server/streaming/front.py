"""The connection handler in front of Hypercorn: admitted streams are written to their socket.

Through Hypercorn each body chunk costs an h11 event, a send lock, a shielded cancel scope and
two trips through trio's scheduler, and each connection carries Hypercorn's tasks and protocol
objects: the benchmark measured about twice the reference's CPU per delivery and half again its
memory per stream there. So :class:`Front` reads the head of each new connection's first
request itself (with h11). A ``GET`` of a stream route over HTTP/1.1 that the checks admit
(:func:`~server.streaming.asgi.open_stream`, the same checks and body as every other way in) is
served here: chunked, each coalesced batch in one write that is tried without waiting first,
and the connection closed after the stream. Everything else (every other route, a rejected
stream, HTTP/1.0, a request with a body or an upgrade, pipelined requests) goes to Hypercorn's
own connection handler with the bytes already read, and is served exactly as without the front.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any
from urllib.parse import unquote

import h11
import trio
from hypercorn.config import Config
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import (
    AppWrapper,
    ConnectionState,
    HTTPScope,
    LifespanState,
    ResponseSummary,
)
from hypercorn.utils import parse_socket_addr

from ..hub import Hub
from .asgi import open_stream, stream_session
from .body import HEADERS

log = logging.getLogger("sluice.server")
MAX_RECV = 2**16
_HEAD = b"".join(
    [b"HTTP/1.1 200 OK\r\n"]
    + [f"{name}: {value}\r\n".encode() for name, value in HEADERS.items()]
    + [b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"]
)
_LAST_CHUNK = b"0\r\n\r\n"
_GONE = (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError)


class _Replay(trio.abc.HalfCloseableStream):
    """A socket stream whose first read returns ``head``, the bytes the front already read.

    Hypercorn's connection handler reads, writes and closes it as the accepted stream itself,
    and reads its ``socket`` for the addresses.
    """

    def __init__(self, stream: trio.SocketStream, head: bytes) -> None:
        self.stream = stream
        self.socket = stream.socket
        self.head = head

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self.head:
            head, self.head = self.head, b""
            await trio.lowlevel.checkpoint()
            return head
        return bytes(await self.stream.receive_some(max_bytes))

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.stream.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        await self.stream.send_eof()

    async def aclose(self) -> None:
        await self.stream.aclose()


def _scope(request: h11.Request, stream: trio.SocketStream, state: LifespanState) -> HTTPScope:
    """The ASGI scope Hypercorn would build for ``request`` on ``stream``."""
    path, _, query = request.target.partition(b"?")
    socket = stream.socket
    return {
        "type": "http",
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "http_version": request.http_version.decode(),
        "method": request.method.decode("ascii"),
        "scheme": "http",
        "path": unquote(path.decode("ascii")),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": list(request.headers),
        "client": parse_socket_addr(socket.family, socket.getpeername()),
        "server": parse_socket_addr(socket.family, socket.getsockname()),
        "state": ConnectionState(state.copy()),
        "extensions": {},
    }


async def _read_head(stream: trio.SocketStream, config: Config) -> tuple[bytes, h11.Request | None]:
    """The bytes read until the first request's head is complete, and that request when the
    front may serve it (an HTTP/1.1 ``GET`` with no body, no upgrade, nothing after it).

    ``(b"", None)`` when the client sends nothing within the keep-alive timeout, or closes.
    """
    connection = h11.Connection(
        h11.SERVER, max_incomplete_event_size=config.h11_max_incomplete_size
    )
    read = bytearray()
    with trio.move_on_after(config.keep_alive_timeout) as waiting:
        event: h11.Event | type[h11.PAUSED] | type[h11.NEED_DATA] = h11.NEED_DATA
        while event is h11.NEED_DATA:
            data = await stream.receive_some(MAX_RECV)
            if not data:
                return b"", None
            read += data
            connection.receive_data(bytes(data))
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:
                return bytes(read), None  # Hypercorn answers it
    if waiting.cancelled_caught:
        return b"", None
    if (
        isinstance(event, h11.Request)
        and event.method == b"GET"
        and event.http_version == b"1.1"
        and not any(name == b"upgrade" for name, _ in event.headers)
        and connection.next_event() == h11.EndOfMessage()
        and not connection.trailing_data[0]
    ):
        return bytes(read), event
    return bytes(read), None


class _ChunkWriter:
    """Writes a response's chunks to a socket, without a trip through the scheduler whenever
    the socket's buffer takes the whole chunk; waits at most ``timeout`` seconds otherwise."""

    def __init__(self, stream: trio.SocketStream, timeout: float) -> None:
        self.stream = stream
        self.fileno = stream.socket.fileno()
        self.timeout = timeout

    async def write(self, data: bytes) -> None:
        """Write ``data``; ``trio.BrokenResourceError`` when the client is gone,
        ``trio.TooSlowError`` when it has not taken it within the timeout."""
        try:
            sent = os.write(self.fileno, data)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            raise trio.BrokenResourceError from error
        if sent < len(data):
            with trio.fail_after(self.timeout):
                await self.stream.send_all(memoryview(data)[sent:])

    async def chunk(self, data: bytes) -> None:
        """Write ``data`` as one chunk of a chunked body."""
        await self.write(b"%x\r\n%b\r\n" % (len(data), data))


async def _cancel_when_gone(stream: trio.SocketStream, scope: trio.CancelScope) -> None:
    """Cancel ``scope`` when the client closes the connection (whatever else it sends is
    ignored: a stream's request has no body)."""
    try:
        while await stream.receive_some(4096):
            pass
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    scope.cancel()


class Front:
    """Handles each accepted connection: an admitted stream here, anything else in Hypercorn.

    ``app`` is Hypercorn's wrapper of the ASGI app, ``hub`` the hub that streams come from,
    ``send_timeout`` the seconds a stream's write may wait for a client that does not read.
    """

    def __init__(
        self,
        app: AppWrapper,
        hub: Hub,
        config: Config,
        context: WorkerContext,
        state: LifespanState,
        send_timeout: float,
    ) -> None:
        self.app = app
        self.hub = hub
        self.config = config
        self.context = context
        self.state = state
        self.send_timeout = send_timeout

    async def __call__(self, stream: trio.SocketStream) -> None:
        """Serve the connection on ``stream`` until it closes.

        An unexpected error is logged and closes this connection only.
        """
        try:
            admitted = await self._first_request(stream)
            if admitted is not None:
                await self._stream(stream, *admitted)
        except Exception:
            log.exception("Error serving a connection")
        finally:
            await trio.aclose_forcefully(stream)

    async def _first_request(
        self, stream: trio.SocketStream
    ) -> tuple[HTTPScope, AsyncGenerator[bytes]] | None:
        """The scope and body of the connection's first request when it is a stream this front
        serves. Otherwise ``None``, once Hypercorn has served the connection (or, when the client
        sent no request, at once); what was read is not kept while a stream runs."""
        try:
            read, request = await _read_head(stream, self.config)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return None
        if not read:
            return None
        if request is not None:
            scope = _scope(request, stream, self.state)
            session_id = stream_session(scope)
            body = None if session_id is None else self._admit(session_id, scope)
            if body is not None:
                return scope, body
        state = ConnectionState(self.state.copy())
        # Annotated as taking a TLS stream, it serves any stream with a ``socket``, as
        # Hypercorn's own worker passes it plain socket streams.
        replay: Any = _Replay(stream, read)
        await TCPServer(self.app, self.config, self.context, state, replay)
        return None

    def _admit(self, session_id: str, scope: HTTPScope) -> AsyncGenerator[bytes] | None:
        """The stream's body when the checks admit it; ``None`` leaves the request (and its
        problem answer, and the logging of an unexpected error) to Hypercorn and the app."""
        try:
            return open_stream(self.hub, session_id, scope)
        except Exception:
            return None

    async def _stream(
        self, stream: trio.SocketStream, scope: HTTPScope, body: AsyncGenerator[bytes]
    ) -> None:
        """Write ``body`` as the response until it ends, the client goes, a write times out or
        the body fails (logged; the response is left without its end, so the client retries)."""
        started = time.time()
        writer = _ChunkWriter(stream, self.send_timeout)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_when_gone, stream, nursery.cancel_scope)
            try:
                await writer.write(_HEAD)
                async with aclosing(body):
                    async for chunk in body:
                        await writer.chunk(chunk)
                await writer.write(_LAST_CHUNK)
            except _GONE:
                pass
            except Exception:
                log.exception("Exception on request GET %s", scope["path"])
            nursery.cancel_scope.cancel()
        response: ResponseSummary = {"status": 200, "headers": []}
        await self.config.log.access(scope, response, time.time() - started)
