"""Hypercorn's private pieces, in this module alone: its trio worker, taken apart.

Hypercorn's public API (``hypercorn.trio.serve``) accepts connections itself, so a connection
could not reach the front (:mod:`server.streaming.front`) first. Sluice therefore assembles the
worker that ``serve`` runs (``hypercorn/trio/run.py::worker_serve``) from its pieces, and relies
on, as of Hypercorn 0.18 (pinned to that release line in ``pyproject.toml``):

- ``hypercorn.trio.lifespan.Lifespan(app, config, state)``: ``handle_lifespan`` (started in a
  nursery), ``wait_for_startup``, ``wait_for_shutdown``: the ASGI lifespan, as ``serve`` runs it;
- ``hypercorn.trio.worker_context.WorkerContext(max_requests)`` and its ``terminated`` event,
  set at shutdown so that kept-alive connections close;
- ``hypercorn.trio.tcp_server.TCPServer(app, config, context, state, stream)``, awaited: serves
  one accepted connection to its end (HTTP/1.1, h2c, upgrades). It reads the stream's ``socket``
  for the addresses; it is annotated as taking a TLS stream but serves any stream with a
  ``socket``, as Hypercorn's own worker passes it plain socket streams. Its read loop
  (``_read_data``, with ``protocol.handle``, ``RawData`` and ``Closed`` from
  ``hypercorn.events``) is replaced here: Hypercorn's HTTP/1.1 protocol stops reading while a
  request pipelined behind a response in progress waits (h11's ``PAUSED``), so a client that
  closed such a connection went unnoticed until a write failed, holding the stream's
  subscription and descriptor for up to a keepalive interval. :class:`_ConnectionHandler` reads
  in a task of its own and, at the client's close, ends a handling that waits on such a request;
- ``hypercorn.utils``: ``wrap_app`` (the ASGI app as Hypercorn calls it), ``parse_socket_addr``
  and ``repr_socket_addr``;
- ``hypercorn.protocol.h11.H11Protocol``'s ``_send_error_response(status_code)`` and
  ``_send_h11_event(event)``: its answer to a request h11 cannot read (400, 431, 501) has an
  empty body; :func:`_answer_unreadable_with_problems` makes it a problem document, as every
  other error of the hub is.

Everything else in Sluice uses Hypercorn's public modules (``hypercorn.config``,
``hypercorn.typing``). :func:`verify` checks that the installed Hypercorn still has each piece
with the shape used here; a test calls it, so an upgrade that breaks this fails by name.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import h11
import trio
from hypercorn.config import Config
from hypercorn.events import Closed, RawData
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.trio.lifespan import Lifespan
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import AppWrapper, ConnectionState, LifespanState
from hypercorn.utils import parse_socket_addr, repr_socket_addr, wrap_app

from ..problems import MEDIA_TYPE, unreadable_request

__all__ = ["Worker", "parse_socket_addr", "repr_socket_addr", "verify"]
MAX_RECV = 2**16

_SHAPES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "hypercorn.trio.lifespan.Lifespan": (Lifespan, ("app", "config", "state")),
    "hypercorn.trio.worker_context.WorkerContext": (WorkerContext, ("max_requests",)),
    "hypercorn.trio.tcp_server.TCPServer": (
        TCPServer,
        ("app", "config", "context", "state", "stream"),
    ),
    "hypercorn.utils.wrap_app": (wrap_app, ("app", "wsgi_max_body_size", "mode")),
    "hypercorn.protocol.h11.H11Protocol": (
        H11Protocol,
        ("app", "config", "context", "task_group", "connection_state", "ssl"),
    ),
}
_METHODS = {
    "hypercorn.protocol.h11.H11Protocol": ("_send_error_response", "_send_h11_event"),
    "hypercorn.trio.lifespan.Lifespan": (
        "handle_lifespan",
        "wait_for_startup",
        "wait_for_shutdown",
    ),
    "hypercorn.trio.tcp_server.TCPServer": ("run", "_read_data"),
}


def verify() -> None:
    """Raise ``RuntimeError`` naming this module and the piece when the installed Hypercorn
    lacks one of the pieces this module relies on, or its shape changed."""
    for name, (piece, parameters) in _SHAPES.items():
        found = tuple(inspect.signature(piece).parameters)
        if found[: len(parameters)] != parameters:
            raise RuntimeError(
                f"{__name__}: the installed Hypercorn's {name} takes {found}, not {parameters}"
            )
        for method in _METHODS.get(name, ()):
            if not callable(getattr(piece, method, None)):
                raise RuntimeError(f"{__name__}: the installed Hypercorn's {name} has no {method}")
    if not hasattr(WorkerContext(None), "terminated"):
        raise RuntimeError(f"{__name__}: the installed Hypercorn's WorkerContext has no terminated")


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


class _ConnectionHandler(TCPServer):
    """Hypercorn's connection handler, reading the connection in a task of its own (see the
    module's docstring)."""

    #: Headers added to the answer to a request h11 cannot read (set by :class:`Worker`).
    error_headers: Sequence[tuple[str, str]] = ()

    async def _read_data(self) -> None:
        if isinstance(self.protocol.protocol, H11Protocol):
            _answer_unreadable_with_problems(self.protocol.protocol, self.error_headers)
        send, receive = trio.open_memory_channel[bytes](0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._handle_received, receive)
            async with send:
                while True:
                    try:
                        with trio.fail_after(self.config.read_timeout or math.inf):
                            data = await self.stream.receive_some(MAX_RECV)
                    except (trio.ClosedResourceError, trio.BrokenResourceError, trio.TooSlowError):
                        break
                    if not data:
                        break
                    await send.send(bytes(data))
            if self._waiting_behind_a_response():
                nursery.cancel_scope.cancel()
        await self.protocol.handle(Closed())

    async def _handle_received(self, receive: trio.MemoryReceiveChannel[bytes]) -> None:
        async with receive:
            async for data in receive:
                await self.protocol.handle(RawData(data))

    def _waiting_behind_a_response(self) -> bool:
        """Whether HTTP/1.1 handling waits for a response in progress to end before it reads a
        pipelined request (a wait that the client's close would never end)."""
        connection = getattr(self.protocol.protocol, "connection", None)
        return (
            isinstance(connection, h11.Connection)
            and connection.their_state in (h11.DONE, h11.MUST_CLOSE)
            and bool(connection.trailing_data[0])
        )


def _answer_unreadable_with_problems(
    protocol: H11Protocol, extra: Sequence[tuple[str, str]]
) -> None:
    """Answer the requests h11 cannot read on ``protocol``'s connection with a problem
    document (:func:`~server.problems.unreadable_request`) instead of an empty body, with
    the ``extra`` headers."""

    async def send_error_response(status_code: int) -> None:
        problem = unreadable_request(status_code)
        body = problem.encode()
        headers = [
            *(
                (name.lower().encode(), value.encode())
                for name, value in [*problem.headers.items(), *extra]
            ),
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *protocol.config.response_headers("h11"),
        ]
        send = protocol._send_h11_event
        await send(h11.Response(status_code=problem.status, headers=headers))
        await send(h11.Data(data=body))
        await send(h11.EndOfMessage())

    protocol._send_error_response = send_error_response  # type: ignore[method-assign]


class Worker:
    """Hypercorn's trio worker for ``app``: its lifespan, its context, its connection handler.

    ``app`` is the ASGI app; ``config`` Hypercorn's configuration; ``error_headers`` go on the
    answer to a request that cannot be read (its origin unknown: ``Vary: Origin`` when the
    hub's answers depend on it).
    """

    def __init__(
        self, app: Any, config: Config, error_headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.config = config
        self.error_headers = tuple(error_headers)
        self.app: AppWrapper = wrap_app(app, config.wsgi_max_body_size, "asgi")
        self.state: LifespanState = {}
        self._lifespan = Lifespan(self.app, config, self.state)
        self._context = WorkerContext(None)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the ASGI lifespan: startup on entry, shutdown on a normal exit."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self._lifespan.handle_lifespan)
            await self._lifespan.wait_for_startup()
            yield
            await self._lifespan.wait_for_shutdown()
            nursery.cancel_scope.cancel()

    def connection_state(self) -> ConnectionState:
        """A new connection's copy of the lifespan state (ASGI ``scope["state"]``)."""
        return ConnectionState(self.state.copy())

    async def serve_connection(self, stream: trio.SocketStream, already_read: bytes) -> None:
        """Serve the connection on ``stream`` to its end, as if ``already_read`` (the bytes
        read from it so far) had not been read."""
        replay: Any = _Replay(stream, already_read)
        handler = _ConnectionHandler(
            self.app, self.config, self._context, self.connection_state(), replay
        )
        handler.error_headers = self.error_headers
        await handler

    async def terminate(self) -> None:
        """Tell every connection Hypercorn serves that the worker is shutting down."""
        await self._context.terminated.set()
