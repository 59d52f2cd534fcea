"""``sluice validate`` and ``sluice schemas export``: the contract tests' command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from cli_runner import Run

import schemas
from protocol import builtin
from protocol.registry import HUB_EVENTS
from server import typescript

TS = "2026-01-31T12:00:00Z"
BAD = '{"type":"regeneration_progress","data":{"progress":150}}'
GOOD = '{"type":"message","data":{"content":"hi"}}'


def test_one_invalid_event_prints_every_error_and_exits_1(sluice: Run) -> None:
    status, out, err = sluice("validate", "-", stdin=BAD + "\n")
    assert status == 1
    assert out.splitlines() == [
        "\"/data\": 'messageId' is a required property",
        '"/data/progress": 150 is greater than the maximum of 100',
        "0 valid, 1 invalid",
    ]
    assert err == ""


def test_a_valid_event_from_a_file_exits_0(sluice: Run, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(orjson.dumps(orjson.loads(GOOD), option=orjson.OPT_INDENT_2).decode())
    assert sluice("validate", str(event)) == (0, "1 valid, 0 invalid\n", "")


def test_json_lines_errors_carry_their_line_number(sluice: Run, tmp_path: Path) -> None:
    envelope = {"type": "keepalive", "data": {"timestamp": TS}, "id": "", "timestamp": TS}
    bad_envelope = {**envelope, "timestamp": "noon"}
    lines = [GOOD, BAD, "", orjson.dumps(envelope).decode(), orjson.dumps(bad_envelope).decode()]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    status, out, _ = sluice("validate", str(events))
    assert status == 1
    assert out.splitlines() == [
        "line 2: \"/data\": 'messageId' is a required property",
        'line 2: "/data/progress": 150 is greater than the maximum of 100',
        'line 5: "/timestamp": "noon" is not a \'date-time\'',
        "2 valid, 2 invalid",
    ]


def test_an_unknown_type_is_told_what_a_publisher_may_send(sluice: Run) -> None:
    status, out, _ = sluice("validate", stdin='{"type": "nope", "data": {}}')
    assert status == 1
    (line, summary) = out.splitlines()
    assert line.startswith('"/type": "nope" is not a type a publisher may send: "error", "message"')
    assert "stream_reset" not in line and "connection" not in line
    assert summary == "0 valid, 1 invalid"


def test_an_envelope_is_validated_as_an_envelope(sluice: Run) -> None:
    partial = {"type": "message", "data": {"content": "hi"}, "timestamp": TS}  # no id
    status, out, _ = sluice("validate", stdin=orjson.dumps(partial).decode())
    assert status == 1
    assert out.splitlines()[0] == "\"\": 'id' is a required property"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "stdin is empty"),
        ('{"type": ', "stdin is not JSON"),
        (GOOD + "\n{oops\n", "stdin line 2 is not JSON"),
        (b"\xff\xfe", "stdin is not JSON"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    sluice: Run, stdin: str | bytes, message: str
) -> None:
    status, out, err = sluice("validate", "-", stdin=stdin)
    assert (status, out) == (2, "")
    assert err.startswith(f"sluice validate: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_missing_file_exits_2(sluice: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    status, _, err = sluice("validate", str(missing))
    assert status == 2
    assert err == f"sluice validate: cannot read {missing}: No such file or directory\n"


def test_the_installed_command_reads_stdin() -> None:
    """The issue's own check: a real ``sluice`` process fed through a pipe."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        ["sh", "-c", f"echo '{BAD}' | sluice validate -"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "/data/progress" in result.stdout
    assert "messageId" in result.stdout
    assert "Traceback" not in result.stderr


def test_export_writes_every_schema_keeping_the_folders(sluice: Run, tmp_path: Path) -> None:
    target = tmp_path / "out"
    status, out, _ = sluice("schemas", "export", str(target))
    assert status == 0
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*.json"))
    expected = sorted(name for name, _ in schemas.iter_files())
    assert written == expected
    assert "events/message.json" in written
    assert "rest/problem.json" in written
    for name, source in schemas.iter_files():  # as served: event.json with its dispatch
        assert orjson.loads((target / name).read_bytes()) == builtin().schema(name)
        if name != "event.json":
            assert orjson.loads((target / name).read_bytes()) == orjson.loads(source.read_bytes())
    assert out == f"wrote {len(expected)} schemas to {target}\n"


def test_export_to_a_place_that_cannot_be_written_exits_2(sluice: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status, _, err = sluice("schemas", "export", str(blocker))
    assert status == 2
    assert err.startswith("sluice schemas export: ")


def test_export_typescript_writes_the_shipped_declarations_without_node(
    sluice: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no node, no npm
    status, out, _ = sluice("schemas", "export", "--typescript", str(tmp_path))
    assert status == 0
    assert out == f"wrote {tmp_path / typescript.DECLARATIONS}\n"
    written = (tmp_path / typescript.DECLARATIONS).read_bytes()
    assert written == typescript.shipped_declarations()
    assert b"export interface MessageData {" in written


def test_export_typescript_of_a_custom_catalogue_without_npm_exits_2_in_one_line(
    sluice: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = tmp_path / "events"
    catalogue.mkdir()
    (catalogue / "ping.json").write_text(
        '{"type": "object", "description": "A ping.", "properties": {}, '
        '"additionalProperties": false}'
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    argv = ("schemas", "export", "--typescript", str(tmp_path / "out"))
    status, _, err = sluice(*argv, "--event-schemas", str(catalogue))
    assert status == 2
    assert err.startswith("sluice schemas export: npm is not on PATH: install Node.js")
    assert err.count("\n") == 1


def test_export_python_without_types_of_ones_own_exits_2(sluice: Run, tmp_path: Path) -> None:
    status, _, err = sluice("schemas", "export", "--python", str(tmp_path))
    assert status == 2
    assert err == "sluice schemas export: the catalogue has no event types of its own to export\n"


def test_export_typescript_when_npm_cannot_fetch_the_package_is_one_line(
    sluice: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = tmp_path / "events"
    catalogue.mkdir()
    (catalogue / "ping.json").write_text(
        '{"type": "object", "description": "A ping.", "properties": {}, '
        '"additionalProperties": false}'
    )
    monkeypatch.chdir(tmp_path)  # not the checkout, whose node_modules would serve it
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    argv = ("schemas", "export", "--typescript", str(tmp_path / "out"))
    status, _, err = sluice(*argv, "--event-schemas", str(catalogue))
    assert status == 2
    assert err.startswith(
        f"sluice schemas export: npm could not run {typescript.JSON2TS} (exit 1; is the npm "
        "registry reachable?): npm error FetchError: request to http://127.0.0.1:9/"
    )
    assert err.count("\n") == 1


@pytest.mark.parametrize("kind", sorted(HUB_EVENTS))
def test_a_publisher_cannot_send_a_hub_only_event(sluice: Run, kind: str) -> None:
    """As the publish route refuses it; the same event as an envelope a stream carries is fine."""
    data = (
        {"status": "connected", "sessionId": "s", "timestamp": TS} if kind == "connection" else {}
    )
    status, out, _ = sluice("validate", "-", stdin=orjson.dumps({"type": kind, "data": data}))
    assert status == 1
    assert out.splitlines()[0] == (
        f'"/type": "{kind}" is sent by the hub only: a publisher cannot send '
        "connection, keepalive, stream_overflow, stream_reset"
    )
    if kind == "connection":
        envelope = {"type": kind, "data": data, "id": "", "timestamp": TS}
        assert sluice("validate", "-", stdin=orjson.dumps(envelope))[0] == 0


@pytest.mark.parametrize(
    ("document", "line"),
    [
        ("42", "\"\": 42 is not of type 'object'"),
        ("null", "\"\": null is not of type 'object'"),
        ("true", "\"\": true is not of type 'object'"),
        ('"s"', '"": "s" is not of type \'object\''),
    ],
)
def test_json_that_is_no_event_is_one_error_of_the_whole_document(
    sluice: Run, document: str, line: str
) -> None:
    """As the publish route's 422 says it: the pointer "" (the whole document), the value as
    JSON."""
    assert sluice("validate", "-", stdin=document) == (1, f"{line}\n0 valid, 1 invalid\n", "")
