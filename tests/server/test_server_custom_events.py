"""End-to-end: a team's own event type (``--event-schemas``) through publish, stream, polling,
``/schemas/``, ``/asyncapi.json``, ``sluice validate`` and the TypeScript client; a bad catalogue
never starts a server; ``tsc --strict`` samples type it, with the client given the exported map."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cli_runner import Run
from hub_client import Server, bearer, check_problem, message, running, settings, token
from node_tools import CLIENT, ROOT, driving, node_command, tsc

from protocol.event_schemas import load
from server.typescript import DECLARATIONS, write_declarations

SCHEMA = {
    "title": "Invoice paid",
    "description": "An invoice was paid in full.",
    "type": "object",
    "properties": {
        "invoiceId": {"description": "The invoice.", "type": "string", "minLength": 1},
        "amount": {"description": "Amount paid, in cents.", "$ref": "defs.json#/$defs/cents"},
    },
    "required": ["invoiceId", "amount"],
    "additionalProperties": False,
}
DEFS = {"$defs": {"cents": {"description": "Cents.", "type": "integer", "minimum": 0}}}
PAID = {"type": "invoice_paid", "data": {"invoiceId": "inv-7", "amount": 1250}}
DRIVER = Path(__file__).with_name("ts_client_driver.mjs")
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    (folder / "invoice_paid.json").write_text(json.dumps(SCHEMA))
    (folder / "defs.json").write_text(json.dumps(DEFS))
    return folder


@pytest.fixture
async def hub(team: Path) -> AsyncIterator[Server]:
    async with running(settings(event_schemas=(str(team),))) as server:
        yield server


async def test_a_custom_event_is_published_streamed_and_polled(hub: Server) -> None:
    auth = bearer(token())
    async with hub.stream("/sse/alice:books", headers=auth) as stream:
        assert (await stream.next())["type"] == "connection"
        (event_id,) = await hub.publish("alice:books", PAID, headers=auth)
        received = await stream.next()  # checked against the hub's catalogue
    assert (received["type"], received["id"], received["data"]) == (
        "invoice_paid",
        event_id,
        PAID["data"],
    )
    page = await hub.client.get("/api/sessions/alice:books/events", headers=auth)
    assert [(e["type"], e["data"]) for e in page.json()["events"]] == [
        ("invoice_paid", PAID["data"])
    ]


async def test_an_invalid_custom_event_lists_its_errors(hub: Server) -> None:
    bad = {"type": "invoice_paid", "data": {"invoiceId": "", "amount": -5}}
    response = await hub.client.post(
        "/api/sessions/alice:books/events", json=[PAID, bad], headers=bearer(token())
    )
    pointers = {e["pointer"] for e in check_problem(response, 422)["errors"]}
    assert pointers == {"/1/data/invoiceId", "/1/data/amount"}


async def test_an_unknown_type_is_told_the_custom_types_too(hub: Server) -> None:
    unknown = {"type": "invoice_payd", "data": PAID["data"]}
    response = await hub.client.post(
        "/api/sessions/alice:books/events", json=unknown, headers=bearer(token())
    )
    (error,) = check_problem(response, 422)["errors"]
    assert error["pointer"] == "/type"
    assert error["message"].startswith('"invoice_payd" is not a type a publisher may send: ')
    assert error["message"].endswith(', "invoice_paid"')  # the catalogue's order: yours last
    assert '"connection"' not in error["message"] and '"keepalive"' not in error["message"]


async def test_schemas_and_asyncapi_carry_the_custom_type(hub: Server) -> None:
    index = (await hub.client.get("/schemas/")).json()["schemas"]
    names = {entry["name"] for entry in index}
    assert {"events/invoice_paid.json", "events/defs.json", "events/message.json"} <= names
    body = (await hub.client.get("/schemas/events/invoice_paid.json")).json()
    assert body["$id"] == "https://sluice-sse.dev/schemas/events/invoice_paid.json"
    assert body["properties"]["amount"]["$ref"] == "defs.json#/$defs/cents"
    event = (await hub.client.get("/schemas/event.json")).json()
    assert "invoice_paid" in event["properties"]["type"]["enum"]
    document = (await hub.client.get("/asyncapi.json")).json()
    assert "invoice_paid" in document["channels"]["sessionStream"]["messages"]
    assert "InvoicePaidData" in document["components"]["schemas"]


async def test_without_the_catalogue_the_type_is_unknown() -> None:
    async with running() as server:
        response = await server.client.post(
            "/api/sessions/alice:books/events", json=PAID, headers=bearer(token())
        )
    assert "/type" in {e["pointer"] for e in check_problem(response, 422)["errors"]}


def test_sluice_validate_takes_the_catalogue(
    sluice: Run, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = json.dumps(PAID)
    assert sluice("validate", "-", stdin=line)[0] == 1
    assert sluice("validate", "--event-schemas", str(team), "-", stdin=line) == (
        0,
        "1 valid, 0 invalid\n",
        "",
    )
    monkeypatch.setenv("SLUICE_EVENT_SCHEMAS", f"{team}{os.pathsep}{team.parent / 'nowhere'}")
    status, _, err = sluice("validate", "-", stdin=line)
    assert status == 2
    assert err == f"sluice validate: {team.parent / 'nowhere'}#: does not exist (rule: directory)\n"
    monkeypatch.setenv("SLUICE_EVENT_SCHEMAS", str(team))
    assert sluice("validate", "-", stdin=line)[0] == 0


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        (
            "bad_json.json",
            '{"type": "object",\n  "properties": }',
            "bad_json.json: not JSON (line 2 column 17: ",
        ),
        ("message.json", json.dumps(SCHEMA), "message.json#: redefines the built-in type message"),
        (
            "open.json",
            json.dumps({**SCHEMA, "additionalProperties": True}),
            "open.json#: only closed",
        ),
        (
            "far.json",
            json.dumps({**SCHEMA, "properties": {"x": {"$ref": "https://x.org/s"}}}),
            "far.json#/properties/x/$ref",
        ),
        ("Bad-Name.json", json.dumps(SCHEMA), "Bad-Name.json#: 'Bad-Name' is not an event type"),
        (
            "odd.json",
            json.dumps({**SCHEMA, "type": "objet"}),
            "odd.json#/type: not a valid 2020-12",
        ),
        (
            "many.json",
            json.dumps(
                {
                    **SCHEMA,
                    "properties": {"x": {"type": "integer", "multipleOf": 3, "description": "d"}},
                    "required": [],
                }
            ),
            "many.json#/properties/x: keyword(s) not supported",
        ),
        (
            "nested.json",
            json.dumps(
                {
                    **SCHEMA,
                    "properties": {
                        "x": {
                            "description": "An open object.",
                            "type": "object",
                            "properties": {"y": {"type": "string", "description": "d"}},
                        }
                    },
                    "required": [],
                }
            ),
            "nested.json#/properties/x: only closed objects",
        ),
    ],
)
def test_a_bad_catalogue_never_starts_a_server(
    sluice: Run, tmp_path: Path, name: str, text: str, says: str
) -> None:
    (tmp_path / "defs.json").write_text(json.dumps(DEFS))
    (tmp_path / name).write_text(text)
    status, _, err = sluice("serve", "--no-auth", "--port", "0", "--event-schemas", str(tmp_path))
    assert status == 2
    assert err.count("\n") == 1, err
    assert err.startswith("sluice serve: --event-schemas (SLUICE_EVENT_SCHEMAS): ")
    assert f"{tmp_path}/{says}" in err


def _serve_refused(folder: Path) -> str:
    """What ``sluice serve --event-schemas folder``, a process of its own, writes on refusing
    the catalogue: exit 2 and one line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--no-auth", "--event-schemas", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_the_refusal_is_one_line_from_the_command_too(tmp_path: Path) -> None:
    (tmp_path / "message.json").write_text(json.dumps(SCHEMA))
    err = _serve_refused(tmp_path)
    assert f"{tmp_path}/message.json#: redefines the built-in type message" in err


def test_a_strict_typescript_sample_uses_the_custom_type(team: Path, tmp_path: Path) -> None:
    declarations = write_declarations(tmp_path, load([team]))
    assert declarations.name == DECLARATIONS
    sample = tmp_path / "page.ts"
    sample.write_text(
        'import type { SluiceEventMap, InvoicePaidEnvelope } from "./sluice-events";\n'
        "export function show(e: SluiceEventMap['invoice_paid']): string {\n"
        "  const paid: InvoicePaidEnvelope = e;\n"
        "  return `${paid.data.invoiceId}: ${paid.data.amount / 100}`;\n"
        "}\n"
    )
    command = [*node_command("tsc"), "--noEmit", "--strict"]
    ok = subprocess.run(
        [*command, str(sample)], capture_output=True, text=True, timeout=120, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    sample.write_text(sample.read_text().replace("paid.data.amount", "paid.data.amout"))
    wrong = subprocess.run(
        [*command, str(sample)], capture_output=True, text=True, timeout=120, check=False
    )
    assert wrong.returncode != 0
    assert "Property 'amout' does not exist on type 'InvoicePaidData'" in wrong.stdout


def _client_sample(web: Path, body: str) -> str:
    """A module importing the checkout's client, and the exported map as ``TeamEventMap``."""
    client = (CLIENT / "src" / "index.js").as_posix()
    return (
        f'import {{ SluiceStream, useSSE }} from "{client}";\n'
        f'import type {{ EventOf, UseSSEResult }} from "{client}";\n'
        f'import type {{ SluiceEventMap as TeamEventMap }} from "./{web.name}/sluice-events.js";\n'
        f"{body}"
    )


TYPED_CLIENT = """\
const stream = new SluiceStream<TeamEventMap>("/sse/books", { eventTypes: ["invoice_paid"] });
stream.on("invoice_paid", (e) => console.log(e.data.invoiceId, (e.data.amount / 100).toFixed(2)));
stream.on("regeneration_progress", (e) => console.log(e.data.progress));
stream.onEvent((e: EventOf<TeamEventMap>) => {
  if (e.type === "invoice_paid") console.log(e.data.amount);
});
export function usePaid(): UseSSEResult<TeamEventMap> {
  const sse = useSSE<TeamEventMap>("/sse/books", { eventTypes: ["invoice_paid"] });
  sse.addEventListener("invoice_paid", (e) => console.log(e.data.amount));
  return sse;
}
"""

MISTYPED_CLIENT = """\
const stream = new SluiceStream<TeamEventMap>("/sse/books");
stream.on("invoice_paid", (e) => e.data.amout);
stream.on("invoice_payd", (e) => e);
new SluiceStream("/sse/books").on("invoice_paid", (e) => e);
export function usePaid(): UseSSEResult<TeamEventMap> {
  const sse = useSSE<TeamEventMap>("/sse/books", { eventTypes: ["invoice_payd"] });
  sse.addEventListener("invoice_paid", (e) => e.data.invoiceID);
  return sse;
}
"""


def test_the_client_and_the_hook_are_typed_by_the_exported_map(
    sluice: Run, team: Path, tmp_path: Path
) -> None:
    web = tmp_path / "web"
    status, out, err = sluice(
        "schemas", "export", str(web), "--typescript", "--event-schemas", str(team)
    )
    assert (status, err) == (0, ""), err
    assert (web / DECLARATIONS).is_file(), out
    (tmp_path / "package.json").write_text('{"type": "module"}')
    options = ["--ignoreConfig", "--noEmit", "--strict", "--exactOptionalPropertyTypes"]
    options += ["--module", "nodenext", "--lib", "ES2022,DOM", "--types", ""]
    good = tmp_path / "good.ts"
    good.write_text(_client_sample(web, TYPED_CLIENT))
    ok = tsc(*options, good.name, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    readme = README.read_text().split("## Your own events", 1)[1]
    (example,) = [
        b for b in re.findall(r"```ts\n(.*?)```", readme, re.DOTALL) if "<TeamEventMap>" in b
    ]
    example = example.replace('"sluice-client"', f'"{(CLIENT / "src" / "index.js").as_posix()}"')
    (web / "example.ts").write_text(example.replace('"./sluice-events"', '"./sluice-events.js"'))
    ok = tsc(*options, "web/example.ts", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr  # the README's example
    bad = tmp_path / "bad.ts"
    bad.write_text(_client_sample(web, MISTYPED_CLIENT))
    wrong = tsc(*options, bad.name, cwd=tmp_path)
    assert wrong.returncode != 0
    errors = [line for line in wrong.stdout.splitlines() if line.startswith("bad.ts(")]
    lines = sorted(int(line.split("(")[1].split(",")[0]) for line in errors)
    assert lines == [5, 6, 7, 9, 10], wrong.stdout  # one error a mistake, nothing else
    says = wrong.stdout
    assert "Property 'amout' does not exist on type 'InvoicePaidData'" in says
    assert "Property 'invoiceID' does not exist on type 'InvoicePaidData'" in says
    assert """Argument of type '"invoice_payd"' is not assignable to parameter""" in says
    assert """Type '"invoice_payd"' is not assignable to type""" in says
    # the built-in map stays the default: it has no invoice_paid
    assert """Argument of type '"invoice_paid"' is not assignable to parameter""" in says


@pytest.mark.parametrize(
    "options",
    [{"eventTypes": ["invoice_paid"]}, {"listen": ["invoice_paid"]}],
    ids=["eventTypes", "on"],
)
async def test_the_ts_client_reads_the_custom_type(
    hub: Server, client_dist: Path, options: dict[str, list[str]]
) -> None:
    url = f"{hub.url}/sse/alice:books?access_token={token()}"
    given = json.dumps({"url": url, "transport": "eventsource", **options})
    async with driving(DRIVER, (client_dist / "client.js").as_uri(), given) as client:
        await client.event("connection")
        (event_id,) = await hub.publish("alice:books", PAID, headers=bearer(token()))
        if "listen" in options:  # the type's listeners first, then onEvent's
            heard = await client.until(lambda line: "heard" in line)
            assert heard == {"heard": "invoice_paid", "id": event_id}
        received = await client.event("invoice_paid")
        assert (received["id"], received["data"]) == (event_id, PAID["data"])


async def test_a_listener_added_to_an_open_stream_reads_its_type_from_then_on(
    hub: Server, client_dist: Path
) -> None:
    auth = bearer(token())
    url = f"{hub.url}/sse/alice:books?access_token={token()}"
    given = json.dumps({"url": url, "transport": "eventsource"})
    async with driving(DRIVER, (client_dist / "client.js").as_uri(), given) as client:
        await client.event("connection")
        unheard, fence = await hub.publish("alice:books", [PAID, message("fence")], headers=auth)
        assert (await client.event("message"))["id"] == fence
        await client.send("listen invoice_paid")
        await client.until(lambda line: line == {"listening": "invoice_paid"})
        (heard,) = await hub.publish("alice:books", PAID, headers=auth)
        assert await client.until(lambda line: "heard" in line) == {
            "heard": "invoice_paid",
            "id": heard,
        }
        assert (await client.event("invoice_paid"))["id"] == heard
    assert unheard not in {line.get("id") for line in client.lines}  # not asked for then


def _with_code_pattern(folder: Path, regex: str) -> Path:
    code = {"description": "A code.", "type": "string", "pattern": regex}
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "code": code}}
    (folder / "invoice_paid.json").write_text(json.dumps(schema))
    (folder / "defs.json").write_text(json.dumps(DEFS))
    return folder


def test_a_pattern_that_does_not_compile_never_starts_a_server(tmp_path: Path) -> None:
    _with_code_pattern(tmp_path, "^\\p{L}+$")  # ECMA-262, but not Python's re
    err = _serve_refused(tmp_path)
    assert f"{tmp_path}/invoice_paid.json#/properties/code/pattern: " in err
    assert err.endswith("(rule: pattern)\n")


@pytest.mark.parametrize("regex", ["[a-", "a{,3}", "^\\p{L}+$"])
def test_validate_and_export_refuse_a_pattern_that_does_not_compile(
    sluice: Run, tmp_path: Path, regex: str
) -> None:
    (tmp_path / "events").mkdir()
    folder = _with_code_pattern(tmp_path / "events", regex)
    line = json.dumps(PAID)
    for argv in (
        ("validate", "--event-schemas", str(folder), "-"),
        ("schemas", "export", "--python", "--event-schemas", str(folder), str(tmp_path / "out")),
    ):
        status, _, err = sluice(*argv, stdin=line)
        assert status == 2, err
        assert err.count("\n") == 1, err
        assert "#/properties/code/pattern: " in err and err.endswith("(rule: pattern)\n")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
