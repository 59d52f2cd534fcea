"""A ``redis-server`` of the tests' own, for the tests of the Redis backplane."""

from __future__ import annotations

import gc
import itertools
import random
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_prefixes = itertools.count()


def unique_prefix() -> str:
    """Redis keys of one test's own (the tests share one Redis)."""
    return f"t{next(_prefixes)}-{random.getrandbits(32):x}:"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server_process(port: int = 0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``redis-server`` on ``port`` (0: a free one) keeping nothing on disk: its URL
    (without a database) and its process. Skips the test when the binary is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not found on PATH: the Redis backplane tests need it")
    port = port or _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10  # a process starting, not a timed behaviour
        while not _answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"redis-server did not start on port {port}: {stderr}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@contextmanager
def failed_connections_collected() -> Iterator[None]:
    """For a block where Redis connections fail: coredis 6.9 leaves the anyio memory streams of
    each failed connection unclosed. They are collected when the block ends, where their
    ResourceWarning is known, not in whichever test runs next."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield
        gc.collect()


@contextmanager
def stalled(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """``process`` (a ``redis-server``) stopped with SIGSTOP for the block: the kernel still
    accepts connections for it, and nothing answers, as with a Redis behind a network that
    drops packets. It is continued (SIGCONT) however the block ends."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)
