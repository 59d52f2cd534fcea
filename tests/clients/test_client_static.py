"""The files the hub serves (``server/web/static``: the one-file client and the dashboard) are
what ``clients/typescript`` builds today, the dashboard's sources type-check, and the one-file
client runs as an ES module with no bundler and no React."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

from node_tools import BUILD, CLIENT, ROOT, tsc

STATIC = ROOT / "server" / "web" / "static"


def _files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_the_served_files_are_fresh(tmp_path: Path) -> None:
    result = subprocess.run(
        ["node", str(BUILD), "static", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    built = _files(tmp_path)
    assert built == _files(STATIC)
    stale = [name for name in sorted(built) if not filecmp.cmp(tmp_path / name, STATIC / name)]
    assert not stale, f"stale: run `node clients/typescript/scripts/build.mjs static` ({stale})"


def test_the_dashboard_type_checks() -> None:
    result = tsc("-p", str(CLIENT / "dashboard"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_one_file_client_is_a_module_without_imports(tmp_path: Path) -> None:
    source = (STATIC / "sluice-client.js").read_text()
    assert "import " not in source.replace("// ", "")  # nothing left for a bundler
    probe = tmp_path / "probe.mjs"
    probe.write_text(
        f'import {{ SluiceStream, EVENT_TYPES }} from "{(STATIC / "sluice-client.js").as_uri()}";\n'
        'const stream = new SluiceStream("http://127.0.0.1:9/sse/x");\n'
        "console.log(JSON.stringify([stream.state, EVENT_TYPES.length]));\n"
    )
    result = subprocess.run(
        ["node", str(probe)], capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '["disconnected",16]'
