"""Fixtures shared by every test folder: a Redis server of the tests' own, the command line,
the compiled TypeScript client; the root logger as each test found it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Run, runner
from node_tools import compile_client
from redis_process import redis_server_process


@pytest.fixture(autouse=True)
def root_logger_kept() -> Iterator[None]:
    """The root logger's handlers and level put back after each test: ``sluice serve`` run in
    the test process (``server.cli.main``) sends them to the ``sys.stderr`` of its moment, a
    capture closed once that test ends, where a later test's in-process hub would log."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL (without a database) of a ``redis-server`` shared by this test run."""
    with redis_server_process() as (url, _):
        yield url


@pytest.fixture
def sluice(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``sluice(*argv, stdin=...)`` runs ``server.cli.main`` and returns (status, out, err)."""
    return runner(capsys, monkeypatch)


@pytest.fixture(scope="session")
def client_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clients/typescript`` compiled by tsc: the folder of ``index.js``, ``client.js`` and
    ``useSSE.js``, whose imports resolve the checkout's ``node_modules``."""
    return compile_client(tmp_path_factory.mktemp("sluice-client"))
