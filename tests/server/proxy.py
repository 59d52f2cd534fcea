"""A TCP proxy on 127.0.0.1 for end-to-end tests: it can lose answers and cut connections.

Each connection goes to the next of its ``targets`` in turn (one server, or two nodes of a
Redis hub). While ``drop`` is above zero, the first bytes of an answer close the connection
instead of reaching the client (``drop`` goes down by one, ``dropped`` up): the server did
the work, the client never hears of it. :meth:`Proxy.cut` closes every open connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from urllib.parse import urlsplit

import attrs
import trio


@attrs.define
class Proxy:
    """The proxy's ``url`` and controls (see the module)."""

    targets: list[tuple[str, int]]
    url: str = ""
    drop: int = 0
    dropped: int = 0
    connections: int = 0
    _open: set[trio.CancelScope] = attrs.Factory(set)

    def cut(self) -> None:
        """Close every open connection (both sides)."""
        for scope in self._open:
            scope.cancel()

    async def _handle(self, client: trio.SocketStream) -> None:
        host, port = self.targets[self.connections % len(self.targets)]
        self.connections += 1
        async with client, await trio.open_tcp_stream(host, port) as upstream:
            async with trio.open_nursery() as nursery:
                self._open.add(nursery.cancel_scope)
                nursery.start_soon(self._pump, client, upstream, nursery, False)
                nursery.start_soon(self._pump, upstream, client, nursery, True)
            self._open.discard(nursery.cancel_scope)

    async def _pump(
        self,
        source: trio.SocketStream,
        sink: trio.SocketStream,
        nursery: trio.Nursery,
        answers: bool,
    ) -> None:
        try:
            while data := await source.receive_some(65536):
                if answers and self.drop > 0:
                    self.drop -= 1
                    self.dropped += 1
                    break
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def proxy(*urls: str) -> AsyncIterator[Proxy]:
    """A proxy before the servers at ``urls`` (``http://127.0.0.1:port``), in a nursery."""
    targets = [(parts.hostname or "", parts.port or 80) for parts in map(urlsplit, urls)]
    running = Proxy(targets)
    async with trio.open_nursery() as nursery:
        serve = partial(trio.serve_tcp, running._handle, 0, host="127.0.0.1")
        (listener,) = await nursery.start(serve)
        running.url = f"http://127.0.0.1:{listener.socket.getsockname()[1]}"
        yield running
        nursery.cancel_scope.cancel()
