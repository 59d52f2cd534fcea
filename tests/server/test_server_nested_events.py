"""End-to-end: a team's event type with nested objects (a field, the items of an array, one by
``$ref`` to its ``defs.json``, three deep) through ``sluice validate``, publish, the stream,
``/schemas/``, ``/asyncapi.json``, ``sluice check``, the Python export and the Python client,
and the TypeScript declarations."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError
from cli_runner import Run
from hub_client import Server, bearer, check_problem, running, settings, token
from nested_catalogue import DEFS, ORDER_PLACED
from node_tools import tsc
from sluice_client import AsyncClient
from test_server_contract_check import frame, serving, sluice_check

import protocol
from protocol.event_schemas import load
from server import cli
from server.typescript import write_declarations

DATA = {
    "order": {
        "id": "o-1",
        "total": 12.5,
        "shipTo": {"city": "Lyon", "geo": {"lat": 45.75, "lon": 4.85}},
    },
    "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}],
}
PLACED = {"type": "order_placed", "data": DATA}
#: The same order, wrong inside: a negative total, a line of no items, a map point without lon.
WRONG = {
    "type": "order_placed",
    "data": {
        "order": {"id": "o-1", "total": -1, "shipTo": {"city": "Lyon", "geo": {"lat": 45.75}}},
        "items": [{"sku": "a", "qty": 0}],
    },
}
WRONG_POINTERS = {"/data/order/total", "/data/order/shipTo/geo", "/data/items/0/qty"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    (folder / "order_placed.json").write_text(json.dumps(ORDER_PLACED))
    (folder / "defs.json").write_text(json.dumps(DEFS))
    return folder


@pytest.fixture
async def hub(shop: Path) -> AsyncIterator[Server]:
    async with running(settings(event_schemas=(str(shop),))) as server:
        yield server


async def test_publish_checks_inside_the_nested_values(hub: Server) -> None:
    auth = bearer(token())
    response = await hub.client.post(
        "/api/sessions/alice:shop/events", json=[PLACED, WRONG], headers=auth
    )
    pointers = {e["pointer"] for e in check_problem(response, 422)["errors"]}
    assert pointers == {"/1" + pointer for pointer in WRONG_POINTERS}
    async with hub.stream("/sse/alice:shop", headers=auth) as stream:
        assert (await stream.next())["type"] == "connection"
        (event_id,) = await hub.publish("alice:shop", PLACED, headers=auth)
        received = await stream.next()
    assert (received["type"], received["id"], received["data"]) == ("order_placed", event_id, DATA)


def test_sluice_validate_reads_nested_data(sluice: Run, shop: Path) -> None:
    lines = f"{json.dumps(PLACED)}\n{json.dumps(WRONG)}\n"
    status, out, err = sluice("validate", "--event-schemas", str(shop), "-", stdin=lines)
    assert (status, err) == (1, "")
    said = out.splitlines()
    assert said[-1] == "1 valid, 1 invalid"
    assert {line.split('"')[1] for line in said[:-1]} == WRONG_POINTERS
    assert all(line.startswith("line 2: ") for line in said[:-1])


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"sluice_events_{id(path)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["--python", "--python-client"])
def exported(request: pytest.FixtureRequest, sluice: Run, shop: Path, tmp_path: Path) -> ModuleType:
    """``sluice schemas export --python`` (or ``--python-client``) of the nested catalogue,
    imported."""
    status, _, err = sluice(
        "schemas", "export", request.param, "--event-schemas", str(shop), str(tmp_path)
    )
    assert (status, err) == (0, "")
    return _import(tmp_path / "sluice_events.py")


def _order(m: ModuleType) -> Any:
    """``DATA`` as the exported models."""
    geo = m.OrderPlacedEventOrderShipToGeo(lat=45.75, lon=4.85)
    return m.OrderPlacedEvent(
        order=m.OrderPlacedEventOrder(
            id="o-1", total=12.5, ship_to=m.OrderPlacedEventOrderShipTo(city="Lyon", geo=geo)
        ),
        items=[
            m.OrderPlacedEventItemsItem(sku="a", qty=2),
            m.OrderPlacedEventItemsItem(sku="b", qty=1),
        ],
    )


def test_the_python_export_has_a_class_per_nested_object(exported: ModuleType) -> None:
    m = exported
    assert m.__all__ == [
        "EVENT_CLASSES",
        "Event",
        "OrderPlacedEvent",
        "OrderPlacedEventItemsItem",
        "OrderPlacedEventOrder",
        "OrderPlacedEventOrderShipTo",
        "OrderPlacedEventOrderShipToGeo",
        "converter",
    ]
    event = _order(m)
    assert m.converter.unstructure(event) == DATA
    assert m.converter.structure(DATA, m.OrderPlacedEvent) == event
    assert protocol.to_wire(event) == PLACED
    fields = attrs.fields(m.OrderPlacedEvent)
    assert fields.items.type == list[m.OrderPlacedEventItemsItem]
    assert attrs.fields(m.OrderPlacedEventOrder).ship_to.type == (
        m.OrderPlacedEventOrderShipTo | None
    )
    assert "The order." in m.OrderPlacedEventOrder.__doc__
    # a key a newer schema added, at any depth, is ignored, as at the top
    newer = {**DATA, "order": {**DATA["order"], "coupon": "X"}}
    assert m.converter.structure(newer, m.OrderPlacedEvent) == event


def test_the_nested_models_check_their_constraints(exported: ModuleType) -> None:
    m = exported
    with pytest.raises(ValueError, match="qty"):
        m.OrderPlacedEventItemsItem(sku="a", qty=0)
    with pytest.raises(ValueError, match="total"):
        m.OrderPlacedEventOrder(id="o-1", total=-1)
    with pytest.raises(TypeError, match="order"):  # a dict is not the nested model
        m.OrderPlacedEvent(order=DATA["order"], items=[])
    with pytest.raises(TypeError, match="items"):
        m.OrderPlacedEvent(order=_order(m).order, items=[{"sku": "a", "qty": 1}])
    with pytest.raises(ClassValidationError):
        m.converter.structure(WRONG["data"], m.OrderPlacedEvent)


async def test_the_python_client_reads_a_nested_event_as_its_models(
    hub: Server, exported: ModuleType
) -> None:
    event = _order(exported)
    async with AsyncClient(hub.url, token=token(), models=[exported.OrderPlacedEvent]) as client:
        await client.publish("alice:orders", event)
        events = client.stream("alice:orders")
        received = await anext(events)
        await events.aclose()
    assert (received.type, received.data) == ("order_placed", event)


TS_SAMPLE = """\
import type { SluiceEventMap } from "./sluice-events";
import type { OrderPlacedDataOrder, OrderPlacedDataItemsItem } from "./sluice-events";

export function show(e: SluiceEventMap["order_placed"]): string {
  const order: OrderPlacedDataOrder = e.data.order;
  const first: OrderPlacedDataItemsItem = e.data.items[0];
  const city: string = order.shipTo?.geo ? `${order.shipTo.city} ${order.shipTo.geo.lat}` : "";
  return `${order.id}: ${order.total} (${first.sku} x ${first.qty}) ${city}`;
}
"""


def test_the_typescript_declarations_have_the_nested_interfaces(shop: Path, tmp_path: Path) -> None:
    declarations = write_declarations(tmp_path, load([shop])).read_text()
    for name in ("OrderPlacedDataOrder", "OrderPlacedDataItemsItem", "Address", "AddressGeo"):
        assert f"export interface {name} {{" in declarations
    assert "  order: OrderPlacedDataOrder;" in declarations
    assert "  shipTo?: Address;" in declarations
    sample = tmp_path / "page.ts"
    sample.write_text(TS_SAMPLE)
    ok = tsc("--noEmit", "--strict", sample.name, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    sample.write_text(TS_SAMPLE.replace("first.qty", "first.quantity"))
    wrong = tsc("--noEmit", "--strict", sample.name, cwd=tmp_path)
    assert wrong.returncode != 0
    assert "Property 'quantity' does not exist on type 'OrderPlacedDataItemsItem'" in wrong.stdout
    sample.write_text(TS_SAMPLE.replace("shipTo.geo.lat", "shipTo.geo.latitude"))
    wrong = tsc("--noEmit", "--strict", sample.name, cwd=tmp_path)
    assert "Property 'latitude' does not exist on type 'AddressGeo'" in wrong.stdout


async def test_schemas_and_asyncapi_serve_the_nested_schema_as_written(hub: Server) -> None:
    body = (await hub.client.get("/schemas/events/order_placed.json")).json()
    assert {k: v for k, v in body.items() if k not in ("$id", "$schema")} == ORDER_PLACED
    defs = (await hub.client.get("/schemas/events/defs.json")).json()
    assert defs["$defs"] == DEFS["$defs"]
    components = (await hub.client.get("/asyncapi.json")).json()["components"]["schemas"]
    data = components["OrderPlacedData"]
    assert data["properties"]["items"] == ORDER_PLACED["properties"]["items"]
    assert data["properties"]["order"]["properties"]["shipTo"] == {
        "description": "Where it goes.",
        "$ref": "#/components/schemas/Address",
    }
    assert components["Address"] == DEFS["$defs"]["address"]


async def test_sluice_check_checks_the_nested_data(
    hub: Server, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await hub.publish("alice:checked", PLACED, headers=bearer(token()))
    url = f"{hub.url}/sse/alice:checked"
    assert await sluice_check(capsys, url, "--token", token(), "--count", "1") == (
        0,
        ["2 events, 1 with an id: 0 violations"],
        "",
    )
    body = [frame("order_placed", "e-000000000001", **WRONG["data"])]
    async with serving(body) as fake:
        argv = [f"{fake}/sse/s", "--event-schemas", str(shop), "--count", "1"]
        status, out, err = await sluice_check(capsys, *argv)
    assert (status, err) == (1, "")
    assert {line.split('"')[1] for line in out[:-1]} == WRONG_POINTERS
    assert out[-1] == "1 event, 1 with an id: 3 violations"


def _diff(tmp_path: Path, name: str, schema: dict[str, Any], defs: dict[str, Any]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "order_placed.json").write_text(json.dumps(schema))
    (folder / "defs.json").write_text(json.dumps(defs))
    return folder


def test_schemas_diff_reports_nested_changes_with_their_sides(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = json.loads(json.dumps(ORDER_PLACED))
    order = changed["properties"]["order"]
    order["properties"]["coupon"] = {"description": "A coupon.", "type": "string"}
    del order["properties"]["total"]
    order["required"] = ["id"]
    line = changed["properties"]["items"]["items"]
    line["properties"]["price"] = {"description": "Unit price.", "type": "number"}
    line["required"] = [*line["required"], "price"]
    defs = json.loads(json.dumps(DEFS))
    defs["$defs"]["address"]["properties"]["geo"]["properties"]["lat"]["maximum"] = 90
    new = _diff(tmp_path, "new", changed, defs)
    assert cli.main(["schemas", "diff", str(shop), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    order_at = "order_placed#/properties/order/properties"
    assert out == [
        f"{order_at}/total: required field removed (breaks consumers and publishers)",
        f"{order_at}/coupon: optional field added (compatible)",
        f"{order_at}/shipTo/properties/geo/properties/lat/maximum: range narrows"
        " ((-inf, inf) -> (-inf, 90]) (breaks publishers)",
        "order_placed#/properties/items/items/properties/price: required field added"
        " (breaks publishers)",
        "4 changes, 3 breaking (breaks consumers and publishers)",
    ]
    compatible = json.loads(json.dumps(ORDER_PLACED))
    compatible["properties"]["order"]["properties"]["coupon"] = {
        "description": "C.",
        "type": "string",
    }
    assert (
        cli.main(["schemas", "diff", str(shop), str(_diff(tmp_path, "ok", compatible, DEFS))]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        f"{order_at}/coupon: optional field added (compatible)",
        "1 change, 0 breaking (compatible)",
    ]
