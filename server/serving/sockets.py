"""Listening: a backlog as long as the system allows, and accepting in batches.

A listening socket's backlog is the queue of connections the kernel has completed and the
server has not accepted yet. Hypercorn's default is 100: when a thousand clients connect at
once, the kernel drops the SYNs beyond it and each such client retries after 1, 2, 4 seconds
(RFC 6298's initial retransmission timeout), so connecting a thousand subscribers took
seconds. The backlog follows the system's own limit instead (``net.core.somaxconn`` on Linux;
a larger request is silently cut to it).

That limit holds per listening socket. When ten thousand dropped clients reconnect at once
(a proxy restarting, say), one queue of the default 4,096 overflowed: the kernel dropped some
17,000-19,000 SYNs, retried 1, 3 and 7 seconds later. On Linux, :data:`LISTENERS` sockets share
the address with ``SO_REUSEPORT`` and the kernel spreads new connections over them by their
addresses, so the queues together hold that many times the limit (none dropped in the same
storm, every client resumed sooner: 6.0 and 5.6 s against 7.9 and 6.9 s).

:func:`serve_sockets` accepts every connection waiting on a socket in one pass (trio's
``serve_listeners`` takes one per wake-up, two trips through the scheduler each).
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio

log = logging.getLogger("sluice.server")
#: accept() errors that mean the process or the system is out of a resource for now.
CAPACITY_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})
#: Connections accepted in one pass before the loop lets other tasks run.
BATCH = 256

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")
#: Listening sockets per process on one address: several where the kernel spreads connections
#: over sockets sharing an address (Linux's ``SO_REUSEPORT``), else one.
LISTENERS = 4 if sys.platform == "linux" else 1


def listen_backlog() -> int:
    """The longest backlog the system grants: ``net.core.somaxconn`` where it can be read,
    else Python's ``socket.SOMAXCONN`` (the C library's constant)."""
    try:
        return max(int(SOMAXCONN.read_text()), 1)
    except (OSError, ValueError):
        return socket.SOMAXCONN


Handler = Callable[[trio.SocketStream], Awaitable[object]]


async def serve_sockets(
    handler: Handler, sockets: list[socket.socket], handler_nursery: trio.Nursery
) -> None:
    """Accept connections on every listening socket of ``sockets`` until cancelled, starting
    ``handler(stream)`` in ``handler_nursery`` for each; the sockets are closed at the end.

    An accept that fails for want of descriptors or memory is logged and retried 100 ms later
    (as trio's ``serve_listeners`` does); any other error ends the serving.
    """
    async with trio.open_nursery() as nursery:
        for sock in sockets:
            nursery.start_soon(_accept_batches, handler, sock, handler_nursery)


async def _accept_batches(
    handler: Handler, listening: socket.socket, handler_nursery: trio.Nursery
) -> None:
    listening.setblocking(False)
    with listening:
        while True:
            await trio.lowlevel.wait_readable(listening)
            for _ in range(BATCH):
                try:
                    accepted, _address = listening.accept()
                except BlockingIOError:
                    break
                except OSError as error:
                    if error.errno not in CAPACITY_ERRNOS:
                        raise
                    log.error("accept failed: %s; retrying in 0.1 s", error.strerror)
                    await trio.sleep(0.1)
                    break
                stream = trio.SocketStream(trio.socket.from_stdlib_socket(accepted))
                handler_nursery.start_soon(_run_handler, handler, stream)
            await trio.lowlevel.checkpoint()


async def _run_handler(handler: Handler, stream: trio.SocketStream) -> None:
    try:
        await handler(stream)
    finally:
        await trio.aclose_forcefully(stream)
