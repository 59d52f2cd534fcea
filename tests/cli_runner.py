"""The ``sluice`` command line run in the test process: ``sluice(*argv, stdin=...)``."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from server import cli

#: ``sluice(*argv, stdin=...)`` -> (exit status, stdout, stderr)
Run = Callable[..., tuple[int, str, str]]


def runner(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Runs ``server.cli.main`` with ``stdin`` as standard input; returns (status, out, err)."""

    def run(*argv: str, stdin: str | bytes = b"") -> tuple[int, str, str]:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        status = cli.main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run
