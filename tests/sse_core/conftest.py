from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from redis_process import unique_prefix
from trio.testing import MockClock
from wall_clock import WallClock

from sse_core import Backplane, Broadcaster, BroadcasterConfig, MemoryBackplane, open_broadcaster
from sse_core.redis_backplane import RedisBackplane


@pytest.fixture
async def bc() -> AsyncIterator[Broadcaster]:
    """A broadcaster with the default config."""
    async with open_broadcaster() as broadcaster:
        yield broadcaster


@pytest.fixture(params=["memory", "redis"])
def backplane_kind(request: pytest.FixtureRequest) -> str:
    """Each backplane in turn, for the tests of the backplane contract."""
    kind: str = request.param
    return kind


@pytest.fixture
def clock(backplane_kind: str) -> MockClock | WallClock:
    """The clock that ttls are measured on, moved with ``jump(seconds)``. A test that takes
    it runs the memory backplane on a trio clock that stands still; Redis tests keep trio's
    real clock (STACK-NOTES C15) and get a wall clock of their own."""
    return MockClock() if backplane_kind == "memory" else WallClock()


@pytest.fixture
def make_backplane(
    backplane_kind: str, clock: MockClock | WallClock, request: pytest.FixtureRequest
) -> Callable[[], Backplane]:
    """Makes a fresh backplane of ``backplane_kind`` (on Redis, with keys of its own)."""
    if backplane_kind == "memory":
        return MemoryBackplane
    url = f"{request.getfixturevalue('redis_server')}/1"
    wall = clock if isinstance(clock, WallClock) else WallClock()
    return lambda: RedisBackplane(url, prefix=unique_prefix(), block=0.2, clock=wall)


@pytest.fixture
def open_hub(
    make_backplane: Callable[[], Backplane],
) -> Callable[..., AbstractAsyncContextManager[Broadcaster]]:
    """``open_hub(**config)``: a broadcaster on a fresh backplane of the kind under test."""

    def open_hub(**config: Any) -> AbstractAsyncContextManager[Broadcaster]:
        return open_broadcaster(BroadcasterConfig(**config), make_backplane())

    return open_hub
