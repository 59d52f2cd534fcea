from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sse_core import Broadcaster, open_broadcaster


@pytest.fixture
async def bc() -> AsyncIterator[Broadcaster]:
    """A broadcaster with the default config."""
    async with open_broadcaster() as broadcaster:
        yield broadcaster
