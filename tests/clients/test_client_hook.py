"""The client's and the hook's own tests (``clients/typescript/test``, node's test runner with
a fake EventSource and fake timers): the guide's frontend tests, and render counts that fail on
a reconnect storm."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from node_tools import CLIENT


def test_the_hook_tests_pass(client_dist: Path) -> None:
    files = sorted(str(path) for path in (CLIENT / "test").glob("*.test.mjs"))
    assert files
    result = subprocess.run(
        ["node", "--test", "--test-reporter=tap", *files],
        env={**os.environ, "SLUICE_CLIENT_DIST": client_dist.as_uri()},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=CLIENT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    assert "# pass 17" in result.stdout  # none skipped or lost
