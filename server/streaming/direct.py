"""The front's side of a stream's socket: writing to it, directly from the fan-out, and
noticing the client leave.

:class:`SocketWriter` writes bytes with one ``write()`` when the socket's buffer takes them,
and waits (at most the send timeout) only otherwise. :class:`StreamSink` is a stream's
:class:`~sse_core.FrameSink`: the publishing task frames each publish's frames as a body chunk
and writes them to every waiting subscriber's socket at once (a syscall, not a task switch);
only when a socket would block does the subscriber's own task finish the write, under the same
timeout. :class:`Hangups` watches every stream's socket for the client closing it, in one
``epoll`` set served by one task, instead of a task per stream.
"""

from __future__ import annotations

import os
import select

import trio

from .writer import StreamResponse

#: Bytes read at once from a stream's socket (what a client sends there is read and ignored).
MAX_RECV = 2**16


class SocketWriter:
    """Writes bytes to a socket, without a trip through the scheduler whenever the socket's
    buffer takes them all; waits at most ``timeout`` seconds otherwise."""

    __slots__ = ("fileno", "stream", "timeout")

    def __init__(self, stream: trio.SocketStream, timeout: float) -> None:
        self.stream = stream
        self.fileno = stream.socket.fileno()
        self.timeout = timeout

    async def write(self, data: bytes) -> None:
        """Write ``data``; ``trio.BrokenResourceError`` when the client is gone,
        ``trio.TooSlowError`` when it has not taken it within the timeout."""
        if not data:
            return
        try:
            sent = os.write(self.fileno, data)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            raise trio.BrokenResourceError from error
        if sent < len(data):
            with trio.fail_after(self.timeout):
                await self.stream.send_all(memoryview(data)[sent:])


class StreamSink(SocketWriter):
    """A stream's socket as its subscription's :class:`~sse_core.FrameSink`.

    :meth:`write_now` frames the frames as ``response`` does (a chunk over HTTP/1.1) and tries
    one ``write()``: what the socket does not take is kept for :meth:`flush`, which the stream's
    task awaits before anything else (the send timeout applies there). A client found gone
    cancels ``gone``, the stream's scope: the stream ends as when the client closes.
    """

    __slots__ = ("_rest", "gone", "response")

    def __init__(
        self,
        stream: trio.SocketStream,
        timeout: float,
        response: StreamResponse,
        gone: trio.CancelScope,
    ) -> None:
        super().__init__(stream, timeout)
        self.response = response
        self.gone = gone
        self._rest: memoryview | None = None

    def write_now(self, frames: bytes) -> bool:
        """Write ``frames`` as a body chunk without waiting; False when part of it is kept."""
        data = self.response.chunk(frames)
        try:
            sent = os.write(self.fileno, data)
        except BlockingIOError:
            sent = 0
        except OSError:  # the client is gone (EPIPE, ECONNRESET): end the stream
            self.gone.cancel()
            return True
        if sent == len(data):
            return True
        self._rest = memoryview(data)[sent:]
        return False

    async def flush(self) -> None:
        """Write what :meth:`write_now` kept, if anything, within the send timeout."""
        rest, self._rest = self._rest, None
        if rest is not None:
            with trio.fail_after(self.timeout):
                await self.stream.send_all(rest)


class Hangups:
    """Notices the clients that close (or reset) their stream's connection: every watched
    socket is in one ``epoll`` set, which one task waits on, in the nursery of the connection
    tasks, while there is a socket to watch (the ``epoll`` set is closed with it). Whatever else
    a client sends (e.g. requests pipelined behind its stream) is read and ignored.

    :attr:`available` is false where the system has no ``epoll``: the caller then watches
    each socket with a task of its own.
    """

    __slots__ = ("_epoll", "_running", "_scope", "_watched")

    available = hasattr(select, "epoll")

    def __init__(self) -> None:
        self._epoll: select.epoll | None = None
        self._watched: dict[int, trio.CancelScope] = {}
        self._running = False
        self._scope: trio.CancelScope | None = None

    def watch(self, fileno: int, gone: trio.CancelScope, nursery: trio.Nursery) -> None:
        """Cancel ``gone`` when the client of socket ``fileno`` closes or resets it; the task
        that watches starts in ``nursery`` if it is not running. Pair with :meth:`forget`
        before the socket is closed."""
        if self._epoll is None:
            self._epoll = select.epoll()
        self._epoll.register(fileno, select.EPOLLIN | select.EPOLLRDHUP)
        self._watched[fileno] = gone
        if not self._running:
            self._running = True
            nursery.start_soon(self._run)

    def forget(self, fileno: int) -> None:
        """Stop watching ``fileno`` (if watched); the watching task ends with the last one."""
        if self._watched.pop(fileno, None) is None or self._epoll is None:
            return
        self._epoll.unregister(fileno)
        if not self._watched and self._scope is not None:
            self._scope.cancel()

    async def _run(self) -> None:
        assert self._epoll is not None
        epoll = self._epoll
        try:
            while self._watched:
                with trio.CancelScope() as self._scope:
                    while True:
                        await trio.lowlevel.wait_readable(epoll.fileno())
                        for fileno, events in epoll.poll(0):
                            if fileno in self._watched and _hung_up(fileno, events):
                                gone = self._watched[fileno]
                                self.forget(fileno)
                                gone.cancel()
                self._scope = None
        finally:  # (cancelled from outside, e.g. at shutdown: what was watched is not any more)
            self._running = False
            self._scope = None
            self._watched.clear()
            self._epoll = None
            epoll.close()


async def cancel_when_gone(stream: trio.SocketStream, scope: trio.CancelScope) -> None:
    """Cancel ``scope`` when the client closes the connection on ``stream`` (whatever else it
    sends, such as pipelined requests, is read and ignored): one task per stream, where
    :class:`Hangups` is not available."""
    try:
        while await stream.receive_some(MAX_RECV):
            pass
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    scope.cancel()


def _hung_up(fileno: int, events: int) -> bool:
    """Whether the client of ``fileno`` closed or reset it (what it sent is read and dropped)."""
    if events & (select.EPOLLERR | select.EPOLLHUP | select.EPOLLRDHUP):
        return True
    try:
        return not os.read(fileno, MAX_RECV)
    except BlockingIOError:
        return False
    except OSError:
        return True
