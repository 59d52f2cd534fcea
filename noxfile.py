"""Every way to work on Sluice: tests, lint, types, codegen, benchmark, serve.

`nox` runs the default sessions (tests, browser, lint, types); `nox -l` lists them all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "browser", "lint", "types"]
nox.options.reuse_existing_virtualenvs = True
nox.options.download_python = "never"

PYTHON = "3.13"
#: Debian's Chromium, which the browser tests drive (Playwright's own download is not used).
CHROMIUM = Path("/usr/bin/chromium")


def _npm_install(session: nox.Session) -> None:
    """Install the pinned node tools (json-schema-to-typescript, tsc, AsyncAPI specs)."""
    npm = shutil.which("npm")
    if npm is None:
        session.error("npm is required (the TypeScript and AsyncAPI checks use it)")
    session.run(npm, "ci", "--no-audit", "--no-fund", "--silent", external=True)


def _client_in_place(session: nox.Session) -> None:
    """The Python client as an editable install: the test extra brings a copy (and its
    dependencies); this points it at ``clients/python`` as it is now."""
    session.install("--no-deps", "-e", "./clients/python")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, property and end-to-end), the Python client's included."""
    _npm_install(session)
    session.install("-e", ".[test]")
    _client_in_place(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """Real-browser tests: Chromium, through playwright-core, against a real `sluice serve`."""
    if not CHROMIUM.exists():
        session.error(f"{CHROMIUM} is missing: apt-get install chromium")
    _npm_install(session)
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "browser", "tests/browser", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def types(session: nox.Session) -> None:
    """mypy, strict on protocol, sse_core and server."""
    session.install("-e", ".[test,lint]")
    _client_in_place(session)
    session.run("mypy")


@nox.session(python=PYTHON)
def codegen(session: nox.Session) -> None:
    """Regenerate from the JSON Schemas: protocol/models.py, protocol/builders.py, the Python
    client's copy of the models and the built-in TypeScript declarations
    (clients/typescript/src/sluice-events.d.ts, shipped in the wheel)."""
    session.install("-e", ".")
    session.run("python", "-m", "protocol.codegen")
    session.run("python", "-m", "server.typescript")
    session.install("ruff>=0.8")
    session.run("ruff", "format", "protocol/models.py", "protocol/builders.py")


BENCH_DEPS = (
    "sse-starlette>=3.0",
    "uvicorn[standard]>=0.30",
    "psutil>=6.0",
    "matplotlib>=3.9",
    "py-spy>=0.4",
)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark Sluice against sse-starlette, better-sse on Node and nginx + nchan when
    installed (args go to bench/run.py, e.g. --quick)."""
    session.install("-e", ".", *BENCH_DEPS)
    npm = shutil.which("npm")
    if npm is None:
        session.error("npm is required (better-sse, the Node reference, is installed with it)")
    with session.chdir("bench/better-sse"):
        session.run(npm, "ci", "--no-audit", "--no-fund", "--silent", external=True)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Run the server on the embedded memory backplane (args go to `sluice serve`)."""
    session.install("-e", ".")
    session.run("sluice", "serve", *session.posargs)
