"""The listening sockets: a backlog as long as the system allows, one port for every worker.

A listening socket's backlog is the queue of connections the kernel has completed and the
server has not accepted yet. Hypercorn's default is 100: when a thousand clients connect at
once, the kernel drops the SYNs beyond it and each such client retries after 1, 2, 4 seconds
(RFC 6298's initial retransmission timeout), so connecting a thousand subscribers took
seconds. The backlog follows the system's own limit instead (``net.core.somaxconn`` on Linux;
a larger request is silently cut to it).
"""

from __future__ import annotations

import socket
from pathlib import Path

from hypercorn.config import Config

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def listen_backlog() -> int:
    """The longest backlog the system grants: ``net.core.somaxconn`` where it can be read,
    else Python's ``socket.SOMAXCONN`` (the C library's constant)."""
    try:
        return max(int(SOMAXCONN.read_text()), 1)
    except (OSError, ValueError):
        return socket.SOMAXCONN


def listening_sockets(config: Config, workers: int = 1) -> list[socket.socket]:
    """Hypercorn's bound sockets for ``config.bind``, listening with :func:`listen_backlog`;
    with more than one worker each has ``SO_REUSEPORT``, so that every worker process binds the
    same address and the kernel spreads new connections over them."""
    config.workers = workers  # Hypercorn sets SO_REUSEPORT before binding when above 1
    sockets = config.create_sockets().insecure_sockets
    backlog = listen_backlog()
    for sock in sockets:
        sock.listen(backlog)
    return sockets
