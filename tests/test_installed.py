"""The protocol tools from a plain ``pip install`` of the wheel, run from a directory that is
not the checkout: ``sluice validate`` and ``sluice schemas export`` with a team's catalogue."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = {
    "title": "Build log line",
    "description": "One line of a build's log.",
    "type": "object",
    "properties": {
        "buildId": {"description": "The build.", "type": "string", "minLength": 1},
        "line": {"description": "The text of the line.", "type": "string"},
        "stream": {"description": "Where it came from.", "type": "string", "enum": ["out", "err"]},
    },
    "required": ["buildId", "line"],
    "additionalProperties": False,
}


def _run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` folder of a fresh venv holding Sluice installed from its wheel."""
    place = tmp_path_factory.mktemp("installed")
    built = _run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", place)
    assert built.returncode == 0, built.stderr
    (wheel,) = place.glob("sluice_sse-*.whl")
    venv = place / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    install = _run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    assert install.returncode == 0, install.stderr
    yield venv / "bin"
    shutil.rmtree(place, ignore_errors=True)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory with a team's catalogue in ``events/``."""
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "build_log_line.json").write_text(json.dumps(SCHEMA))
    return tmp_path


def _env(bin: Path, *, node: bool) -> dict[str, str]:
    """No checkout on the import path; ``node`` and ``npm`` only when asked for."""
    path = [str(bin)]
    if node:
        path += [str(Path(shutil.which(tool) or "/").parent) for tool in ("npm", "node")]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PATH": os.pathsep.join(path)}


def test_the_installed_package_is_not_the_checkout(installed: Path, elsewhere: Path) -> None:
    where = _run(
        installed / "python",
        "-c",
        "import protocol; print(protocol.__file__)",
        cwd=elsewhere,
        env=_env(installed, node=False),
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.parent)


def test_validate_with_a_catalogue(installed: Path, elsewhere: Path) -> None:
    event = json.dumps({"type": "build_log_line", "data": {"buildId": "b1", "line": "ok"}})
    result = _run(
        installed / "sluice",
        "validate",
        "--event-schemas",
        "events",
        "-",
        input=event,
        cwd=elsewhere,
        env=_env(installed, node=False),
    )
    assert (result.returncode, result.stdout) == (0, "1 valid, 0 invalid\n"), result.stderr


def test_builtin_declarations_need_no_node(installed: Path, elsewhere: Path) -> None:
    env = _env(installed, node=False)
    assert shutil.which("node", path=env["PATH"]) is None
    result = _run(
        installed / "sluice", "schemas", "export", "out", "--typescript", cwd=elsewhere, env=env
    )
    assert result.returncode == 0, result.stderr
    shipped = (ROOT / "clients" / "typescript" / "src" / "sluice-events.d.ts").read_text()
    assert (elsewhere / "out" / "sluice-events.d.ts").read_text() == shipped


def test_declarations_of_a_catalogue_through_npm(installed: Path, elsewhere: Path) -> None:
    result = _run(
        installed / "sluice",
        "schemas",
        "export",
        "out",
        "--typescript",
        "--event-schemas",
        "events",
        cwd=elsewhere,
        env=_env(installed, node=True),
    )
    assert result.returncode == 0, result.stderr
    text = (elsewhere / "out" / "sluice-events.d.ts").read_text()
    assert "export interface BuildLogLineData {" in text
    assert "build_log_line: BuildLogLineEnvelope;" in text
    assert "export interface MessageData {" in text


def test_declarations_of_a_catalogue_without_node_is_one_line(
    installed: Path, elsewhere: Path
) -> None:
    result = _run(
        installed / "sluice",
        "schemas",
        "export",
        "out",
        "--typescript",
        "--event-schemas",
        "events",
        cwd=elsewhere,
        env=_env(installed, node=False),
    )
    assert result.returncode == 2
    assert result.stderr.startswith("sluice schemas export: npm is not on PATH")
    assert result.stderr.count("\n") == 1


def test_python_models_of_a_catalogue(installed: Path, elsewhere: Path) -> None:
    env = _env(installed, node=False)
    result = _run(
        installed / "sluice",
        "schemas",
        "export",
        "out",
        "--python",
        "--event-schemas",
        "events",
        cwd=elsewhere,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    check = (
        "from sluice_events import BuildLogLineEvent, converter\n"
        "event = BuildLogLineEvent(build_id='b1', line='ok', stream='err')\n"
        "wire = converter.unstructure(event)\n"
        "assert wire == {'buildId': 'b1', 'line': 'ok', 'stream': 'err'}, wire\n"
        "assert converter.structure(wire, BuildLogLineEvent) == event\n"
        "# an optional field added to the schema since is compatible: ignored when read\n"
        "assert converter.structure({**wire, 'addedLater': 1}, BuildLogLineEvent) == event\n"
        "print('round trip')\n"
    )
    ran = _run(installed / "python", "-c", check, cwd=elsewhere / "out", env=env)
    assert ran.stdout == "round trip\n", ran.stderr
