"""``sluice schemas diff OLD NEW``: directories and running hubs, exit codes, one-line errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio
from hub_client import Server

from server import cli
from server.contract import diff

ORDER: dict[str, Any] = {
    "description": "An order left the warehouse.",
    "type": "object",
    "properties": {
        "orderId": {"description": "The order.", "$ref": "defs.json#/$defs/orderId"},
        "carrier": {"description": "Who carries it.", "type": "string", "enum": ["dhl", "ups"]},
        "progress": {"description": "Done, in percent.", "$ref": "../defs.json#/$defs/progress"},
    },
    "required": ["orderId"],
    "additionalProperties": False,
}
DEFS = {"$defs": {"orderId": {"type": "string", "minLength": 1}}}


def catalogue(root: Path, name: str, **files: Any) -> Path:
    """A directory ``root/name`` holding each ``files`` item as ``<key>.json``."""
    directory = root / name
    directory.mkdir()
    for stem, body in files.items():
        text = body if isinstance(body, str) else orjson.dumps(body).decode()
        (directory / f"{stem}.json").write_text(text)
    return directory


def sluice_diff(
    old: Path | str, new: Path | str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str], str]:
    status = cli.main(["schemas", "diff", str(old), str(new)])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_a_breaking_change_is_listed_with_its_side_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = catalogue(tmp_path, "old", order_shipped=ORDER, defs=DEFS)
    changed = {**ORDER, "required": ["orderId", "carrier"]}
    changed["properties"] = {**ORDER["properties"], "note": {"type": "string"}}
    new = catalogue(tmp_path, "new", order_shipped=changed, defs=DEFS)
    assert sluice_diff(old, new, capsys) == (
        1,
        [
            "order_shipped#/properties/note: optional field added (compatible)",
            "order_shipped#/properties/carrier: optional field becomes required"
            " (breaks publishers)",
            "2 changes, 1 breaking (breaks publishers)",
        ],
        "",
    )


def test_shared_definitions_are_compared_where_they_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = catalogue(tmp_path, "old", order_shipped=ORDER, defs=DEFS)
    new = catalogue(
        tmp_path, "new", order_shipped=ORDER, defs={"$defs": {"orderId": {"type": "string"}}}
    )
    status, out, _ = sluice_diff(old, new, capsys)
    assert (status, out[0]) == (
        1,
        "order_shipped#/properties/orderId/minLength: range widens ([1, inf) -> [0, inf))"
        " (breaks consumers)",
    )


def test_compatible_changes_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = catalogue(tmp_path, "old", order_shipped=ORDER, defs=DEFS)
    new = catalogue(tmp_path, "new", order_shipped=ORDER, defs=DEFS, ping={"type": "object"})
    assert sluice_diff(old, new, capsys) == (
        0,
        ["ping: type added (compatible)", "1 change, 0 breaking (compatible)"],
        "",
    )


def test_a_directory_the_hub_would_refuse_is_still_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = {**ORDER, "additionalProperties": True}  # sluice serve refuses an open object
    old = catalogue(tmp_path, "old", order_shipped=opened, defs=DEFS)
    new = catalogue(tmp_path, "new", order_shipped=ORDER, defs=DEFS)
    assert sluice_diff(old, new, capsys) == (
        1,
        [
            "order_shipped#/additionalProperties: object closes (breaks publishers)",
            "1 change, 1 breaking (breaks publishers)",
        ],
        "",
    )


def test_directories_written_by_schemas_export_are_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = {**ORDER, "title": "Order shipped"}  # what sluice serve (and export) accept
    strict["properties"] = {
        **ORDER["properties"],
        "note": {"description": "A note.", "type": "string"},
    }
    described = {"$defs": {"orderId": {"description": "An order.", **DEFS["$defs"]["orderId"]}}}
    old_events = catalogue(tmp_path, "old-events", order_shipped=strict, defs=described)
    changed = {**strict, "required": ["orderId", "carrier"]}
    new_events = catalogue(tmp_path, "new-events", order_shipped=changed, defs=described)
    exported = {}
    for name, events in (("old", old_events), ("new", new_events)):
        exported[name] = tmp_path / f"{name}-export"
        argv = ["schemas", "export", str(exported[name]), "--event-schemas", str(events)]
        assert cli.main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert (exported["old"] / "events" / "order_shipped.json").is_file()
    expected = (
        1,
        [
            "order_shipped#/properties/carrier: optional field becomes required"
            " (breaks publishers)",
            "1 change, 1 breaking (breaks publishers)",
        ],
        "",
    )
    assert sluice_diff(exported["old"], exported["new"], capsys) == expected
    assert sluice_diff(old_events, exported["new"], capsys) == expected  # the layouts mix
    assert sluice_diff(exported["old"], old_events, capsys) == (
        0,
        ["0 changes, 0 breaking (compatible)"],
        "",
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"order_shipped": "{\n  'x'"}, "order_shipped.json: not JSON (line 2 column 3: "),
        ({"order_shipped": "[]"}, "order_shipped.json: not a JSON object"),
        ({"Order-Shipped": ORDER}, "Order-Shipped.json: 'Order-Shipped' is not an event type"),
        ({"message": ORDER}, "message.json: redefines the built-in type message"),
        (
            {"order_shipped": ORDER},
            "order_shipped.json: $ref 'defs.json#/$defs/orderId' leaves the catalogue",
        ),
    ],
    ids=["not-json", "not-an-object", "bad-name", "built-in-clash", "ref-leaves-catalogue"],
)
def test_an_unreadable_catalogue_is_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Any], message: str
) -> None:
    good = catalogue(tmp_path, "good", order_shipped=ORDER, defs=DEFS)
    bad = catalogue(tmp_path, "bad", **files)
    status, out, err = sluice_diff(good, bad, capsys)
    assert (status, out) == (2, [])
    assert err.startswith("sluice schemas diff: ") and err.count("\n") == 1, err
    assert message in err


def test_a_missing_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = catalogue(tmp_path, "good", order_shipped=ORDER, defs=DEFS)
    assert sluice_diff(good, tmp_path / "gone", capsys) == (
        2,
        [],
        f"sluice schemas diff: {tmp_path / 'gone'}: does not exist\n",
    )
    (tmp_path / "a-file").write_text("{}")
    assert sluice_diff(tmp_path / "a-file", good, capsys) == (
        2,
        [],
        f"sluice schemas diff: {tmp_path / 'a-file'}: not a directory\n",
    )


def test_a_directory_without_event_schemas_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong path in CI is no empty catalogue: an export's TypeScript or Python folder, a
    folder of only subdirectories or only shared definitions holds no event schema."""
    good = catalogue(tmp_path, "good", order_shipped=ORDER, defs=DEFS)
    typescript, python = tmp_path / "ts", tmp_path / "py"
    for argv in (
        ["schemas", "export", "--typescript", str(typescript), "--event-schemas", str(good)],
        ["schemas", "export", "--python", str(python), "--event-schemas", str(good)],
    ):
        assert cli.main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    nested = tmp_path / "nested"
    (nested / "events").mkdir(parents=True)
    (nested / "events" / "order_shipped.json").write_text(orjson.dumps(ORDER).decode())
    only_defs = catalogue(tmp_path, "only-defs", defs=DEFS)
    for folder in (typescript, python, nested, only_defs, catalogue(tmp_path, "empty")):
        for old, new in ((good, folder), (folder, good)):
            status, out, err = sluice_diff(old, new, capsys)
            assert (status, out) == (2, []), (folder, out)
            assert err == (
                f"sluice schemas diff: {folder}: holds no event schemas: a catalogue directory"
                " holds one <type>.json per event type (the data schema of that type) and may"
                " hold a defs.json\n"
            )


async def run_diff(old: Path | str, new: Path | str) -> tuple[int, list[str], str]:
    """``sluice schemas diff`` in a worker thread (it runs trio itself), beside the test's hub."""
    out, err = io.StringIO(), io.StringIO()
    status = await trio.to_thread.run_sync(diff.run, str(old), str(new), out, err)
    return status, out.getvalue().splitlines(), err.getvalue()


async def test_a_hub_is_read_from_its_schemas_routes(open_server: Server, tmp_path: Path) -> None:
    builtin = tmp_path / "builtin"  # the built-in catalogue, as an export
    assert await trio.to_thread.run_sync(cli.main, ["schemas", "export", str(builtin)]) == 0
    assert await run_diff(open_server.url, builtin) == (
        0,
        ["0 changes, 0 breaking (compatible)"],
        "",
    )
    own = catalogue(tmp_path, "own", order_shipped=ORDER, defs=DEFS)
    assert await run_diff(open_server.url, own) == (
        0,
        ["order_shipped: type added (compatible)", "1 change, 0 breaking (compatible)"],
        "",
    )
    assert await run_diff(own, open_server.url + "/") == (
        1,
        [
            "order_shipped: type removed (breaks consumers and publishers)",
            "1 change, 1 breaking (breaks consumers and publishers)",
        ],
        "",
    )


async def test_an_unreachable_hub_exits_2(tmp_path: Path) -> None:
    with trio.socket.socket() as unused:  # a port nobody listens on
        await unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        status, out, err = await run_diff(url, tmp_path)
    assert (status, out) == (2, [])
    assert err.startswith(f"sluice schemas diff: {url}/schemas/: unreachable: "), err
