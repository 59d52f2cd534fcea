"""Real-browser tests (``nox -s browser``): Debian's Chromium, driven by playwright-core through
``browser_driver.mjs``, against a real ``sluice serve`` process on 127.0.0.1. Screenshots go to
``artifacts/browser/`` (ignored by git)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from node_tools import ROOT, Driven, driving

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path(__file__).with_name("browser_driver.mjs")
ARTIFACTS = ROOT / "artifacts" / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Hub:
    """A ``sluice serve`` process on a fixed port, which a test may kill and start again."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.process: trio.Process | None = None

    async def start(self) -> None:
        """Start the server and wait until ``/readyz`` answers 200 (within 60 s: a loaded machine
        may take many seconds to import everything)."""
        sluice = Path(sys.executable).with_name("sluice")
        command = [str(sluice), "serve", "--port", str(self.port), *self.args]
        self.process = await trio.lowlevel.open_process(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            with trio.fail_after(60):
                while True:
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await trio.sleep(0.05)  # polling a starting process: no clock to mock

    async def kill(self) -> None:
        """Kill the server at once (SIGKILL): no graceful end for its streams."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            with trio.move_on_after(10):
                await self.process.wait()
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


class Page:
    """The Chromium page of ``browser_driver.mjs``: each call is one command and its answer."""

    def __init__(self, driven: Driven) -> None:
        self.driven = driven

    async def call(self, command: str, **args: Any) -> Any:
        await self.driven.send(json.dumps({"command": command, **args}))
        answer = await self.driven.until(lambda line: "ok" in line)
        assert answer["ok"], f"{command} {args}: {answer['error']}"
        return answer["value"]

    async def wait_for(self, expression: str, arg: Any = None, within: float = 10) -> Any:
        """The first truthy value of the JavaScript function ``expression`` called with
        ``arg``, polled for ``within`` seconds."""
        return await self.call("waitFor", expression=expression, arg=arg, timeout=within * 1000)

    async def text(self, selector: str) -> str:
        text: str = await self.call(
            "eval", expression="(s) => document.querySelector(s)?.innerText ?? ''", arg=selector
        )
        return text


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    """Where screenshots are kept after the run."""
    assert CHROMIUM.exists(), "Chromium is missing: apt-get install chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield ARTIFACTS


@pytest.fixture
async def page(artifacts: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium (fresh profile) with one page; fails on any page error."""
    async with driving(DRIVER, str(artifacts), patience=60) as driven:
        browser_page = Page(driven)
        yield browser_page
        assert await browser_page.call("errors") == []


@pytest.fixture
async def hubs() -> AsyncIterator[Callable[..., Awaitable[Hub]]]:
    """Start ``sluice serve`` with the given flags (each on its own free port); all are
    stopped when the test ends."""
    started: list[Hub] = []

    async def start(*args: str) -> Hub:
        hub = Hub(*args)
        started.append(hub)
        await hub.start()
        return hub

    yield start
    for hub in started:
        await hub.stop()
