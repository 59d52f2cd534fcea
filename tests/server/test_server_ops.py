"""End-to-end: health, readiness, metrics, the schemas and the AsyncAPI document."""

from __future__ import annotations

from hub_client import Server, bearer, check_problem, message, running, settings, token

from protocol import builtin
from protocol.asyncapi import build_document


async def test_health_and_readiness(server: Server) -> None:
    health = await server.client.get("/healthz")
    assert health.json() == {
        "status": "ok",
        "auth": "jwt",
        "backplane": "memory",
        "maxSessionsPerStream": 16,
    }
    ready = (await server.client.get("/readyz")).json()
    assert ready == {"status": "ready", "epoch": server.app.hub.broadcaster.epoch}


async def test_metrics_read_the_broadcaster(server: Server) -> None:
    auth = bearer(token())
    await server.publish("alice:chat", [message("a"), message("b")], headers=auth)
    async with server.stream("/sse/alice:chat", headers=auth) as stream:
        await stream.until("connection")
        response = await server.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "sluice_events_published_total 2.0" in lines
    assert "sluice_subscribers 1.0" in lines
    assert "sluice_sessions 1.0" in lines
    assert any(line.startswith("process_resident_memory_bytes") for line in lines)


async def test_metrics_can_be_turned_off() -> None:
    async with running(settings(enable_metrics=False)) as server:
        check_problem(await server.client.get("/metrics"), 404)


async def test_schemas_index_and_files(server: Server) -> None:
    index = (await server.client.get("/schemas/")).json()["schemas"]
    assert {entry["name"] for entry in index} == set(builtin().schemas)
    entry = next(e for e in index if e["name"] == "events/message.json")
    response = await server.client.get(entry["url"])
    assert response.headers["content-type"] == "application/schema+json"
    assert response.json() == builtin().schema("events/message.json")
    assert response.json()["$id"] == entry["id"]


async def test_asyncapi_document_names_this_server(server: Server) -> None:
    response = await server.client.get("/asyncapi.json")
    assert response.json() == build_document(server.url)
