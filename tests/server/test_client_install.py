"""``pip install ./clients/python`` in a fresh virtual environment: sluice_client imports
without trio, Quart or Hypercorn, and the README's example publishes and reads a session."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import trio
from hub_client import Server

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
#: What the client may bring: its own dependencies (httpx, anyio, attrs, cattrs) and theirs.
ALLOWED = {
    "anyio",
    "attrs",
    "cattrs",
    "certifi",
    "exceptiongroup",
    "h11",
    "httpcore",
    "httpx",
    "idna",
    "sluice-client",
    "sniffio",
    "typing-extensions",
}


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a new virtual environment holding only ``./clients/python``."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    subprocess.run(
        [*pip, ROOT / "clients" / "python"], check=True, capture_output=True, timeout=600
    )
    return python


def test_it_installs_without_the_servers_dependencies(fresh_python: Path) -> None:
    script = (
        "import importlib.metadata, importlib.util, json, sluice_client\n"
        "print([m for m in ('trio', 'quart', 'quart_trio', 'hypercorn') "
        "if importlib.util.find_spec(m)])\n"
        "print(json.dumps([d.metadata['Name'].lower().replace('_', '-') "
        "for d in importlib.metadata.distributions()]))\n"
        "print([f.name for f in importlib.metadata.distribution('sluice-client').files])\n"
    )
    result = subprocess.run(
        [fresh_python, "-c", script], check=True, capture_output=True, text=True, timeout=60
    )
    server_modules, distributions, files = result.stdout.splitlines()
    assert server_modules == "[]"
    assert "'LICENSE'" in files  # MIT asks for its text beside the code
    installed = set(json.loads(distributions))
    assert "sluice-client" in installed and installed <= ALLOWED, installed - ALLOWED


def _readme_example() -> tuple[str, str]:
    """The Python example of "Publishing from Python" and the output the README shows."""
    section = README.read_text().split("## Publishing from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    output = re.search(r"prints\n\n```text\n(.*?)```", section, re.S)
    assert code is not None and output is not None
    return code[1], output[1]


async def test_the_readme_example_publishes_and_reads(
    fresh_python: Path, open_server: Server
) -> None:
    code, expected = _readme_example()
    assert "http://127.0.0.1:8002" in code  # the README's server without auth, beside the first
    code = code.replace("http://127.0.0.1:8002", open_server.url)
    with trio.fail_after(60):
        result = await trio.run_process(
            [str(fresh_python), "-c", code], capture_stdout=True, capture_stderr=True, check=False
        )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == expected


def test_a_teams_models_exported_for_the_client_need_only_the_client(
    fresh_python: Path, tmp_path: Path
) -> None:
    # `--python` writes a module that imports the hub's `protocol`: a backend with only
    # sluice-client installed could not import its own models.
    events = tmp_path / "events"
    events.mkdir()
    schema = {
        "description": "An invoice was paid in full.",
        "type": "object",
        "properties": {
            "invoiceId": {"description": "The invoice.", "type": "string", "minLength": 1},
            "amount": {"description": "Amount in cents.", "type": "integer", "minimum": 0},
        },
        "required": ["invoiceId", "amount"],
        "additionalProperties": False,
    }
    (events / "invoice_paid.json").write_text(json.dumps(schema))
    out = tmp_path / "backend"
    sluice = Path(sys.executable).with_name("sluice")
    exported = subprocess.run(
        [sluice, "schemas", "export", out, "--python-client", "--event-schemas", events],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    script = (
        "import importlib.util, sluice_events\n"
        "from sluice_client.events import Catalogue, to_wire\n"
        "assert importlib.util.find_spec('protocol') is None\n"
        "event = sluice_events.InvoicePaidEvent(invoice_id='i-1', amount=1250)\n"
        "print(to_wire(event))\n"
        "envelope = {'type': 'invoice_paid', 'data': {'invoiceId': 'i-1', 'amount': 1250},\n"
        "            'id': 'e-1', 'timestamp': '2026-01-01T00:00:00Z'}\n"
        "print(Catalogue([sluice_events.InvoicePaidEvent]).event(envelope).data == event)\n"
        "try:\n"
        "    sluice_events.InvoicePaidEvent(invoice_id='i-1', amount=-1)\n"
        "except ValueError:\n"
        "    print('refused')\n"
    )
    result = subprocess.run(
        [fresh_python, "-c", script], cwd=out, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "{'type': 'invoice_paid', 'data': {'invoiceId': 'i-1', 'amount': 1250}}",
        "True",
        "refused",
    ]


def test_every_module_the_client_imports_is_a_dependency_it_declares() -> None:
    # `_async.py` imports anyio, which only came as httpx's own dependency.
    source = ROOT / "clients" / "python" / "src" / "sluice_client"
    project = tomllib.loads((ROOT / "clients" / "python" / "pyproject.toml").read_text())
    declared = {
        re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in project["project"]["dependencies"]
    }
    imported: set[str] = set()
    for path in source.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "sluice_client"}
    assert third_party <= declared, third_party - declared
