"""Fixtures shared by every test folder: a Redis server of the tests' own, the command line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_runner import Run, runner
from redis_process import redis_server_process


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL (without a database) of a ``redis-server`` shared by this test run."""
    with redis_server_process() as (url, _):
        yield url


@pytest.fixture
def sluice(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``sluice(*argv, stdin=...)`` runs ``server.cli.main`` and returns (status, out, err)."""
    return runner(capsys, monkeypatch)
