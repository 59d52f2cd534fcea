"""End-to-end: a team's event type with nested objects (a field, the items of an array, one by
``$ref`` to its ``defs.json``, three deep) through ``sluice validate``, publish, the stream,
``/schemas/``, ``/asyncapi.json``, ``sluice check``, the Python export and the Python client,
and the TypeScript declarations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Run
from hub_client import Server, bearer, check_problem, running, settings, token

ORDER_PLACED: dict[str, Any] = {
    "title": "Order placed",
    "description": "A customer placed an order.",
    "type": "object",
    "properties": {
        "order": {
            "description": "The order.",
            "type": "object",
            "properties": {
                "id": {"description": "Order id.", "type": "string", "minLength": 1},
                "total": {"description": "Total, in euros.", "type": "number", "minimum": 0},
                "shipTo": {"description": "Where it goes.", "$ref": "defs.json#/$defs/address"},
            },
            "required": ["id", "total"],
            "additionalProperties": False,
        },
        "items": {
            "description": "The order's lines.",
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"description": "The product.", "type": "string"},
                    "qty": {"description": "How many.", "type": "integer", "minimum": 1},
                },
                "required": ["sku", "qty"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["order", "items"],
    "additionalProperties": False,
}
DEFS = {
    "$defs": {
        "address": {
            "description": "A postal address.",
            "type": "object",
            "properties": {
                "city": {"description": "The city.", "type": "string", "minLength": 1},
                "geo": {
                    "description": "Where on the map.",
                    "type": "object",
                    "properties": {
                        "lat": {"description": "Latitude.", "type": "number"},
                        "lon": {"description": "Longitude.", "type": "number"},
                    },
                    "required": ["lat", "lon"],
                    "additionalProperties": False,
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        }
    }
}
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
