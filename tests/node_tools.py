"""The checkout's pinned node tools (``npm ci``), run by the tests: tsc above all."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def node_command(tool: str) -> list[str]:
    """The command line that runs the checkout's ``node_modules/.bin/<tool>`` with node."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js, then run npm ci"
    script = ROOT / "node_modules" / ".bin" / tool
    assert script.exists(), f"{script} is missing: run npm ci"
    return [node, str(script)]
