"""The README's shell blocks, run in order as a reader runs them, and their output checked.

Every ```` ```sh ```` (or ``bash``, ``shell``) block is run unless an HTML comment on the line
before its fence says otherwise:

- ``<!-- readme: not run: REASON -->``: not run (it configures another program, needs another
  machine, or installs the project);
- ``<!-- readme: runs until Ctrl-C -->``: its last command runs until interrupted; it is
  interrupted (SIGINT, as Ctrl-C) once its expected output has been seen;
- ``<!-- readme: exits N -->``: the block ends with exit status N (and a command in it may fail).

A ```` ```text ```` block after a shell block (with only prose between) is what that block prints:
each of its non-blank lines must be printed, in that order, with other lines allowed between.
``...`` in a line stands for any characters, and the example epoch ``3f2a9c1d0b7e`` for any
epoch. Unless the expected output shows one, no block may print a problem document.

Blocks share one state, as in one terminal: variables a block sets (``TOKEN``) are seen by the
next, and what it starts in the background (``sluice serve &``) keeps running. The server's
address ``127.0.0.1:8000`` becomes a free port (and ``SLUICE_PORT`` is set to it), so that a run
never meets another server; so does every other README port from 8000 to 8099 (in an address,
``--port N`` or ``SLUICE_PORT=N``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import attrs

SHELLS = frozenset({"sh", "bash", "shell"})
EXAMPLE_EPOCH = "3f2a9c1d0b7e"
PROBLEM = "https://sluice-sse.dev/problems/"
_MARKER = re.compile(r"^<!--\s*readme:\s*(.*?)\s*-->$")
_FENCE = re.compile(r"^```(\S*)\s*$")
_PORT = re.compile(r"(127\.0\.0\.1:|localhost:|--port |_PORT=)(80\d\d)\b")


@attrs.frozen
class Block:
    """One fenced block of the README: where it opens (1-based line), its info string, text."""

    line: int
    info: str
    text: str
    heading: str
    marker: str | None = None
    expected: tuple[str, ...] | None = None  # the text block that shows its output

    @property
    def where(self) -> str:
        """``README.md:LINE (heading)``, for failure messages."""
        return f"README.md:{self.line} ({self.heading})"

    @property
    def runs(self) -> bool:
        """Whether it is a shell block the runner runs."""
        return self.info in SHELLS and not (self.marker or "").startswith("not run")

    @property
    def interrupted(self) -> bool:
        """Whether it runs until Ctrl-C."""
        return self.marker == "runs until Ctrl-C"

    @property
    def exit_status(self) -> int | None:
        """The exit status the block ends with, when marked (``None``: every command succeeds)."""
        found = re.fullmatch(r"exits (\d+)", self.marker or "")
        return int(found[1]) if found else None


class MarkerError(ValueError):
    """A ``<!-- readme: ... -->`` marker the runner does not know, or misplaced."""


def parse(text: str) -> list[Block]:
    """Every fenced block, with its marker and, for a shell block, the output shown after it."""
    lines = text.splitlines()
    blocks: list[Block] = []
    heading, marker, index = "top", None, 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if found := _MARKER.match(line.strip()):
            marker = found[1]
            _check_marker(marker, index + 1)
        elif fence := _FENCE.match(line):
            end = index + 1
            while not lines[end].startswith("```"):
                end += 1
            body = "\n".join(lines[index + 1 : end])
            block = Block(index + 1, fence[1], body, heading, marker)
            previous = blocks[-1] if blocks else None
            if block.info == "text" and previous is not None and previous.info in SHELLS:
                expected = tuple(t for t in body.splitlines() if t.strip())
                blocks[-1] = attrs.evolve(previous, expected=expected)
            blocks.append(block)
            marker, index = None, end
        elif line.strip() and marker is not None and not line.startswith("<!--"):
            raise MarkerError(f"README.md:{index}: a readme marker must come right before a fence")
        index += 1
    return blocks


def _check_marker(marker: str, line: int) -> None:
    known = (
        marker == "runs until Ctrl-C"
        or re.fullmatch(r"exits \d+", marker)
        or re.fullmatch(r"not run: \S.*", marker)
    )
    if not known:
        raise MarkerError(
            f"README.md:{line}: unknown marker {marker!r}: use 'not run: REASON', "
            "'runs until Ctrl-C' or 'exits N'"
        )


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = re.split(r"(\.\.\.|" + EXAMPLE_EPOCH + ")", expected.rstrip())
    regex = "".join(
        ".*?" if p == "..." else "[0-9a-f]{12}" if p == EXAMPLE_EPOCH else re.escape(p)
        for p in parts
    )
    return re.compile(regex)


def missing_line(expected: tuple[str, ...], output: str) -> str | None:
    """The first expected line not printed in order (``None`` when all were).

    A block's background jobs write to one terminal, so a line may follow another process's
    text that had no newline yet (a publish's answer before its ``-w '\n'``): a non-blank
    expected line also matches at the end of a printed line.
    """
    lines = iter(output.splitlines())
    for wanted in expected:
        pattern = _line_pattern(wanted)
        after_other_text = re.compile(".*?(?:" + pattern.pattern + ")") if wanted.strip() else None
        if not any(
            pattern.fullmatch(line) or (after_other_text and after_other_text.fullmatch(line))
            for line in (raw.rstrip("\r") for raw in lines)
        ):
            return wanted
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Terminal:
    """Runs blocks as one reader's terminal would, in ``directory``, the server on ``port``."""

    finish_within = 60.0  # seconds a block may take to end on its own
    output_within = 30.0  # seconds its expected output may take to appear

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self._ports = {"8000": str(port)}  # README port -> the port it runs on here
        self.state = directory / ".readme-state"
        self._started: list[subprocess.Popen[bytes]] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        self.env |= {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "SLUICE_PORT": str(port),
            "CURL_HOME": str(directory),  # not the machine's ~/.curlrc, but this one:
        }
        # curl shows no progress meter in a terminal when it prints the body; here it would
        (directory / ".curlrc").write_text("no-progress-meter\n")

    def run(self, block: Block) -> str:
        """Run ``block``; return what it printed. Raises ``AssertionError`` naming the README
        line when it fails, does not end, or does not print what the README says."""
        errors = self.directory / ".readme-errors"
        errors.write_text("")
        body = _PORT.sub(self._port, block.text)
        prelude = [
            "set -a",
            f"[ -f {shlex.quote(str(self.state))} ] && . {shlex.quote(str(self.state))}",
            f"trap 'echo \"$? $LINENO\" >> {shlex.quote(str(errors))}' ERR",
        ]
        save = f"readme_status=$?; export -p > {shlex.quote(str(self.state))}; exit $readme_status"
        script = "\n".join([*prelude, body, save, ""])
        output_file = self.directory / f".readme-output-{block.line}"
        with output_file.open("wb") as output:
            process = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-c", script],
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._started.append(process)
        if block.interrupted:
            self._await_output(block, output_file, process)
            os.killpg(process.pid, signal.SIGINT)
            self._wait(block, process, 10.0, output_file)
        else:
            status = self._wait(block, process, self.finish_within, output_file)
            self._check_status(block, status, errors.read_text(), output_file)
            self._await_output(block, output_file, None)
        printed = output_file.read_text(errors="replace")
        if PROBLEM in printed and not any(PROBLEM in line for line in block.expected or ()):
            self._fail(block, "it printed a problem document (an HTTP error)", output_file)
        return printed

    def variable(self, name: str) -> str:
        """The value of the shell variable ``name`` after the blocks run so far."""
        script = f'. {shlex.quote(str(self.state))} && printf %s "${name}"'
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def _port(self, found: re.Match[str]) -> str:
        if found[2] not in self._ports:
            self._ports[found[2]] = str(free_port())
        return found[1] + self._ports[found[2]]

    def _wait(
        self, block: Block, process: subprocess.Popen[bytes], within: float, output: Path
    ) -> int:
        try:
            return process.wait(within)
        except subprocess.TimeoutExpired:
            self._fail(
                block,
                f"it did not end within {within:.0f} s (a command that runs until "
                "interrupted goes last, in a block marked <!-- readme: runs until Ctrl-C -->)",
                output,
            )

    def _check_status(self, block: Block, status: int, errors: str, output: Path) -> None:
        expected = block.exit_status
        if expected is not None:
            if status != expected:
                self._fail(block, f"it exited {status}, not {expected}", output)
            return
        for failed in errors.splitlines():
            code, lineno = failed.split()
            line = block.line + int(lineno) - 3
            command = block.text.splitlines()[int(lineno) - 4].strip()
            self._fail(block, f"README.md:{line}: `{command}` exited {code}", output)
        if status != 0:
            self._fail(block, f"it exited {status}", output)

    def _await_output(
        self, block: Block, output: Path, process: subprocess.Popen[bytes] | None
    ) -> None:
        """Wait for the block's expected output; without one, for a block to be interrupted,
        for some output and then a quiet second."""
        if block.expected is None and process is None:
            return
        deadline = time.monotonic() + self.output_within
        size, quiet_since = 0, time.monotonic()
        while time.monotonic() < deadline:
            printed = output.read_text(errors="replace")
            if block.expected is not None:
                if missing_line(block.expected, printed) is None:
                    return
            elif len(printed) != size:
                size, quiet_since = len(printed), time.monotonic()
            elif size and time.monotonic() - quiet_since > 1.0:
                return
            if process is not None and process.poll() is not None:
                self._fail(block, "it ended before it was interrupted", output)
            time.sleep(0.05)
        if block.expected is None:
            self._fail(block, "it printed nothing before it was to be interrupted", output)
        missing = missing_line(block.expected, output.read_text(errors="replace"))
        self._fail(block, f"the README says it prints {missing!r}; it did not", output)

    def _fail(self, block: Block, reason: str, output: Path) -> NoReturn:
        printed = output.read_text(errors="replace")
        raise AssertionError(
            f"{block.where}: the block failed: {reason}\n--- the block ---\n{block.text}\n"
            f"--- what it printed (stdout and stderr) ---\n{printed[-6000:]}"
        )

    def close(self) -> None:
        """End everything the blocks started (the servers, background readers): each block's
        process group gets SIGTERM, and SIGKILL if it is still there 10 s later."""
        for process in self._started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self._started:
            while time.monotonic() < deadline and _group_alive(process.pid):
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
