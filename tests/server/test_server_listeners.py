"""The listening sockets: several sharing one address on Linux, one address in use refused."""

from __future__ import annotations

import socket
import sys
from contextlib import ExitStack

import pytest
from hub_client import settings

from server.serving.run import StartupFailed, bind_listeners, claim_port
from server.serving.sockets import LISTENERS
from server.serving.workers import supervise


def test_linux_listens_on_several_sockets_of_one_port() -> None:
    expected = 4 if sys.platform == "linux" else 1
    assert expected == LISTENERS
    with ExitStack() as closing:
        sockets = [closing.enter_context(s) for s in bind_listeners(settings(no_auth=True))]
        assert len(sockets) == LISTENERS
        assert len({s.getsockname() for s in sockets}) == 1
        assert sockets[0].getsockname()[1] != 0
        if LISTENERS > 1:
            assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in sockets)


def test_an_address_listened_on_is_refused_whoever_listens() -> None:
    with ExitStack() as closing:
        first = [closing.enter_context(s) for s in bind_listeners(settings(no_auth=True))]
        for sock in first:
            sock.listen()
        port = first[0].getsockname()[1]
        with pytest.raises(StartupFailed, match=f"127.0.0.1:{port}: Address already in use"):
            bind_listeners(settings(no_auth=True, port=port))


def test_the_kernel_spreads_new_connections_over_the_sockets() -> None:
    with ExitStack() as closing:
        sockets = [closing.enter_context(s) for s in bind_listeners(settings(no_auth=True))]
        for sock in sockets:
            sock.listen()
            sock.setblocking(False)
        address = sockets[0].getsockname()
        clients = [closing.enter_context(socket.create_connection(address)) for _ in range(64)]
        accepted = []
        for sock in sockets:
            count = 0
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                closing.enter_context(conn)
                count += 1
            accepted.append(count)
        assert sum(accepted) == len(clients)
        # 64 connections all on one of 4 sockets: a chance of 4 / 4**64
        assert sum(1 for count in accepted if count) > 1 or LISTENERS == 1, accepted


def _held_with_reuseport() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1 with ``SO_REUSEPORT``: the port as
    another Sluice (or any process of this user sharing its port) holds it."""
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", 0))
    other.listen()
    return other


def test_a_port_shared_by_another_process_is_refused_with_one_worker_or_several(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _held_with_reuseport() as other:
        port = other.getsockname()[1]
        with pytest.raises(StartupFailed, match=f"127.0.0.1:{port}: Address already in use"):
            claim_port(settings(no_auth=True, port=port))
        with pytest.raises(StartupFailed, match="Address already in use"):
            bind_listeners(settings(no_auth=True, port=port))
        several = settings(no_auth=True, port=port, workers=2, backplane="redis")
        assert supervise(several) == 1  # before any worker starts
    assert capsys.readouterr().err == (
        f"sluice serve: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
