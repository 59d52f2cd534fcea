from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trio
from hub_client import Server, running, settings


@pytest.fixture(params=["front", "hypercorn"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """A real server with HS256 auth on 127.0.0.1 (free port); each test runs twice: with
    streams served by the front, and by Hypercorn and the app (as on a kept-alive connection)."""
    async with running(front=request.param == "front") as running_server:
        yield running_server


@pytest.fixture
async def open_server() -> AsyncIterator[Server]:
    """A real server in --no-auth mode."""
    async with running(settings(no_auth=True)) as running_server:
        yield running_server


@pytest.fixture(params=["trio", "asyncio"])
def under(request: pytest.FixtureRequest) -> Callable[..., Awaitable[Any]]:
    """Runs an async function under trio (in the test's own run, beside the server) or under
    asyncio (``asyncio.run`` in a worker thread): ``await under(fn, *args)``."""

    async def run(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        if request.param == "trio":
            return await fn(*args)
        return await trio.to_thread.run_sync(lambda: asyncio.run(_coroutine(fn, *args)))

    return run


async def _coroutine(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return await fn(*args)
