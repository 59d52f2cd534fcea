from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
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
