"""Node.js for the tests of ``clients/typescript``: tsc, the compiled client, and a node (or
browser) driver process that reports JSON lines."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "typescript"
BUILD = CLIENT / "scripts" / "build.mjs"


def node_command(tool: str) -> list[str]:
    """The command line that runs the checkout's ``node_modules/.bin/<tool>`` with node."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js, then run npm ci"
    script = ROOT / "node_modules" / ".bin" / tool
    assert script.exists(), f"{script} is missing: run npm ci"
    return [node, str(script)]


def tsc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the checkout's pinned ``tsc`` with ``args``."""
    return subprocess.run(
        [*node_command("tsc"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=cwd,
    )


def compile_client(out: Path) -> Path:
    """``clients/typescript`` compiled into ``out`` (ES modules resolving the checkout's
    ``node_modules``); returns ``out``."""
    result = tsc("-p", str(CLIENT), "--outDir", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    (out / "package.json").write_text('{"type": "module"}')
    (out / "node_modules").symlink_to(ROOT / "node_modules")
    return out


class Driven:
    """A driver process: what it reported, one JSON object a line."""

    def __init__(self, process: trio.Process, timeout: float = 10) -> None:
        self.process = process
        self.timeout = timeout
        self.buffer = b""
        self.lines: list[dict[str, Any]] = []

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read reports up to the first that ``wanted`` accepts (each is kept in ``lines``)."""
        assert self.process.stdout is not None
        with trio.move_on_after(self.timeout):
            while True:
                while b"\n" in self.buffer:
                    raw, self.buffer = self.buffer.split(b"\n", 1)
                    line = json.loads(raw)
                    self.lines.append(line)
                    if wanted(line):
                        return line
                chunk = await self.process.stdout.receive_some()
                assert chunk, f"the driver exited: {self.lines}"
                self.buffer += chunk
        raise AssertionError(f"not reported within {self.timeout} s; reported: {self.lines}")

    async def send(self, line: str) -> None:
        """Write ``line`` to the driver's standard input."""
        assert self.process.stdin is not None
        await self.process.stdin.send_all(line.encode() + b"\n")

    async def event(self, event_type: str) -> dict[str, Any]:
        return await self.until(lambda line: line.get("type") == event_type)

    async def state(self, state: str) -> dict[str, Any]:
        return await self.until(lambda line: line.get("state") == state)


@asynccontextmanager
async def driving(driver: Path, *args: str, patience: float = 10) -> AsyncIterator[Driven]:
    """``driver`` running in node with ``args`` until the block ends; then sent ``stop`` and
    awaited (it answers ``{"stopped": true}``). Each report is awaited ``patience`` seconds."""
    process = await trio.lowlevel.open_process(
        ["node", str(driver), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        reports = Driven(process, patience)
        yield reports
        await reports.send("stop")
        await reports.until(lambda line: line == {"stopped": True})
        with trio.fail_after(patience):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                await pipe.aclose()
