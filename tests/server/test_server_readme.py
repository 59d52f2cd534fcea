"""The README runs as written: its shell blocks against a real `sluice serve`, in order, with
their output checked (see readme_blocks); its set-up finds Python 3.13; it lists every setting."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse
from hub_client import check_frame
from readme_blocks import Block, MarkerError, Terminal, free_port, missing_line, parse

from server.settings import options

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"


def test_readme_lists_every_setting() -> None:
    text = README.read_text()
    for option in options().values():
        assert f"| `{option.flag}`" in text, option.flag
        assert f"`{option.env}`" in text, option.env


def test_every_block_says_its_language_and_every_marker_is_known() -> None:
    blocks = parse(README.read_text())  # raises MarkerError naming the line
    unlabelled = [block.where for block in blocks if not block.info]
    assert not unlabelled, f"a fenced block needs a language (sh, text, ...): {unlabelled}"
    skipped = [b for b in blocks if b.info == "sh" and not b.runs]
    assert all(b.marker and b.marker.removeprefix("not run: ") for b in skipped)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """A terminal in a directory that looks like a clone (the repository's files linked in)."""
    for entry in ROOT.iterdir():
        if entry.name not in {".venv", ".nox", ".git", "node_modules"}:
            (tmp_path / entry.name).symlink_to(entry)
    running = Terminal(tmp_path, free_port())
    try:
        yield running
    finally:
        running.close()


def test_readme_blocks_run_as_written(terminal: Terminal) -> None:
    """From the first session on, every shell block not marked 'not run', in order; then a
    client that reads streams as a browser does (the WHATWG parser, the token in the query)
    sees the first session's event on the server the README started, with auth on."""
    ran = [block for block in parse(README.read_text()) if block.runs]
    for block in ran:
        terminal.run(block)
    url = f"http://127.0.0.1:{terminal.port}"
    assert httpx.get(f"{url}/healthz").json()["auth"] == "jwt"
    query = {"access_token": terminal.variable("TOKEN")}
    with (
        httpx.Client(base_url=url, timeout=10) as client,
        connect_sse(client, "GET", "/sse/alice:demo", params=query) as source,
    ):
        for sse in source.iter_sse():
            envelope = check_frame(sse)
            if envelope is not None and envelope["type"] == "message":
                break
    assert envelope["data"] == {"content": "hello"}


def _commands(block: Block) -> list[str]:
    """The block's command lines, a line continued with a backslash joined to the next."""
    return re.sub(r"\\\n\s*", " ", block.text).splitlines()


def test_background_jobs_after_the_first_session_are_stopped_by_their_pid() -> None:
    """A reader who follows the README in one terminal has started more background jobs by
    the time a later section starts one (the servers of the client example, of the tutorial, the
    page server) than that section can know: job numbers are right only in the first session
    (``%1``, ``%2``). Every later ``&`` keeps its ``$!`` in a variable, and each ``kill $NAME`` the
    README gives names one of them."""
    text = README.read_text()
    blocks = [b for b in parse(text) if b.info == "sh"]
    (first,) = [i for i, b in enumerate(blocks) if "sluice serve 2>sluice.log &" in b.text]
    kept: set[str] = set()
    for block in blocks[first + 1 :]:
        for command in _commands(block):
            background = re.search(r"&(?!&)\s*(?:(\w+)=\$!)?\s*(?:#.*)?$", command)
            if background is not None and not command.rstrip().endswith("&&"):
                assert background[1], f"{block.where}: `{command}` keeps no $!"
                kept.add(background[1])
    assert not re.findall(r"%[3-9]", re.sub(r"%[0-9A-F]{2}", "", text)), "a job named by number"
    killed = set(re.findall(r"kill((?: \$\w+)+)", text))
    named = {name for names in killed for name in names.split(" $") if name.strip()}
    assert named and {n.strip() for n in named} <= kept, named - kept


def test_every_json_answer_a_block_prints_ends_its_line() -> None:
    """A JSON answer has no newline of its own: without ``-w '\\n'`` the reader's prompt is
    glued to it. Every ``curl`` that prints an answer (not a stream, ``-N``, nor ``-o``) adds one;
    ``/metrics`` ends its lines itself and a ``DELETE`` answers no body."""
    for block in parse(README.read_text()):
        if block.info != "sh":
            continue
        for command in _commands(block):
            if not re.match(r"curl\b", command.strip()):
                continue
            if re.search(r" -s?N\b| -o |/metrics\b| -X DELETE ", command):
                continue
            assert "-w '\\n'" in command, f"{block.where}: `{command}`"


def test_the_set_up_installs_what_a_plain_pytest_needs() -> None:
    """The tests of the TypeScript client run the checkout's pinned node tools (``npm ci``); the
    README's set-up installs them, as nox does, so that a plain ``pytest`` passes."""
    (setup, *_) = [b for b in parse(README.read_text()) if b.info == "sh"]
    assert "npm ci" in _commands(setup)[-1]


# --- the runner itself --------------------------------------------------------------------------


def test_expected_lines_are_found_in_order_with_wildcards() -> None:
    output = 'noise\nid: 0123456789ab-000000000001\ndata: {"a":1,"t":"now"}\n'
    assert missing_line(("id: 3f2a9c1d0b7e-000000000001", 'data: {"a":1,...}'), output) is None
    assert missing_line(('data: {"a":1,...}', "id: ..."), output) == "id: ..."
    assert missing_line(("id: 3f2a9c1d0b7e",), output) == "id: 3f2a9c1d0b7e"


def test_an_expected_line_may_follow_another_jobs_unfinished_line() -> None:
    output = '{"ids":["0123456789ab-000000000001"]}id: 0123456789ab-000000000001\nevent: message\n'
    assert missing_line(("id: 3f2a9c1d0b7e-000000000001", "event: message"), output) is None
    assert missing_line(("event: message",), "event: message2\n") == "event: message"


def test_a_failing_block_is_reported_with_its_readme_line(terminal: Terminal) -> None:
    readme = "# T\n\n```sh\necho one\nfalse\necho two\n```\n\n```text\none\ntwo\n```\n"
    (block, _) = parse(readme)
    assert block.expected == ("one", "two")
    with pytest.raises(AssertionError, match=r"README.md:5: `false` exited 1"):
        terminal.run(block)


def test_blocks_share_variables_and_output_is_awaited(terminal: Terminal) -> None:
    readme = (
        "```sh\nGREETING=hello\n```\n\n"
        '```sh\n(sleep 0.5; echo "$GREETING") &\n```\n\n```text\nhello\n```\n'
    )
    first, second, _ = parse(readme)
    terminal.run(first)
    assert "hello" in terminal.run(second)


def test_a_block_that_does_not_print_what_the_readme_says_fails(terminal: Terminal) -> None:
    (block, _) = parse("## Here\n\n```sh\necho hi\n```\n\n```text\nbye\n```\n")
    terminal.output_within = 0.5
    with pytest.raises(AssertionError, match=r"README.md:3 \(Here\).*prints 'bye'"):
        terminal.run(block)


def test_unknown_markers_are_refused() -> None:
    with pytest.raises(MarkerError, match=r"README\.md:1: unknown marker 'skip'"):
        parse("<!-- readme: skip -->\n```sh\ntrue\n```\n")


def test_an_interrupted_block_must_print_first(terminal: Terminal) -> None:
    block = Block(1, "sh", "sleep 30", "t", marker="runs until Ctrl-C")
    terminal.output_within = 0.5
    with pytest.raises(AssertionError, match="printed nothing"):
        terminal.run(block)


# --- the set-up's Python ------------------------------------------------------------------------

FIND_PYTHON = ROOT / ".ci" / "find-python"


def _script(path: Path, text: str) -> None:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)


def _find(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    return subprocess.run([FIND_PYTHON], env=env, capture_output=True, text=True, check=False)


def test_find_python_takes_python3_13_from_path_when_it_runs(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "python3.13", "exit 0\n")
    found = _find(bin_dir)
    assert (found.returncode, found.stdout) == (0, f"{bin_dir}/python3.13\n")


def test_find_python_falls_back_on_pyenv_when_the_shim_fails(tmp_path: Path) -> None:
    """As on a machine whose pyenv's global version is not 3.13: the shim exits 127."""
    bin_dir, root = tmp_path / "bin", tmp_path / "pyenv"
    bin_dir.mkdir()
    _script(bin_dir / "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127\n")
    _script(
        bin_dir / "pyenv",
        f'case "$1" in root) echo {root};;\n'
        'versions) printf "3.11.7\\n3.13.0\\n3.13.2\\n3.12.1\\n";; esac\n',
    )
    for version in ("3.13.0", "3.13.2"):
        (root / "versions" / version / "bin").mkdir(parents=True)
        _script(root / "versions" / version / "bin" / "python3.13", "exit 0\n")
    found = _find(bin_dir)
    assert (found.returncode, found.stdout) == (0, f"{root}/versions/3.13.2/bin/python3.13\n")


def test_find_python_says_what_to_install_without_one(tmp_path: Path) -> None:
    found = _find(tmp_path)
    assert found.returncode == 1
    assert "pyenv install 3.13" in found.stderr


def test_the_readme_and_ci_find_python_the_same_way() -> None:
    (setup, *_) = [b for b in parse(README.read_text()) if b.info == "sh"]
    assert setup.text.startswith('"$(.ci/find-python)" -m venv .venv')
    assert "py=$(.ci/find-python)" in (ROOT / ".ci" / "run").read_text()


def test_readme_ports_become_free_ports(terminal: Terminal) -> None:
    text = "echo 127.0.0.1:8000 localhost:8001 --port 8001 SLUICE_PORT=8001 8001 127.0.0.1:80"
    (here, there, flag, port, variable, other, kept) = terminal.run(
        Block(1, "sh", text, "t")
    ).split()
    assert here == f"127.0.0.1:{terminal.port}"
    assert flag == "--port"
    assert there.split(":")[1] == port == variable.split("=")[1] != "8001"
    assert (other, kept) == ("8001", "127.0.0.1:80")


def test_a_block_that_shows_history_publishes_it_first() -> None:
    """History keeps an event ``--event-ttl`` seconds (300): a block that reads the first
    session and expects an event of it publishes one itself, so that it works for a reader who
    reaches it minutes after the first session (its ``hello`` long expired)."""
    reading = [
        block
        for block in parse(README.read_text())
        if block.runs
        and block.expected
        and ("/sse/alice:demo" in block.text or "session=alice:demo" in block.text)
        and any("event: message" in line or " 1 with an id" in line for line in block.expected)
    ]
    assert len(reading) >= 4, [b.where for b in reading]  # stream, resume, list, sluice check
    for block in reading:
        publishes = "-X POST" in block.text and "/api/sessions/alice:demo/events" in block.text
        assert publishes, f"{block.where}: reads alice:demo's history without publishing first"
