"""Timing behaviour through the Quart test client on trio's MockClock (autojump): keepalives,
token expiry, the response timeout that must not cut streams, idle subscribers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from hub_client import bearer, envelopes, message, settings, token
from quart import typing as quart_types

from server.agent import DemoAgent
from server.web.app import create_app
from server.web.context import SluiceApp


@asynccontextmanager
async def serving(
    **overrides: Any,
) -> AsyncIterator[tuple[SluiceApp, quart_types.TestClientProtocol]]:
    """The app with its lifespan running (the hub open), and a test client."""
    app = create_app(settings(**overrides), agent=DemoAgent(delay=0))
    async with app.test_app() as test_app:
        yield app, test_app.test_client()


@asynccontextmanager
async def open_stream(
    client: quart_types.TestClientProtocol, path: str, headers: dict[str, str]
) -> AsyncIterator[quart_types.TestHTTPConnectionProtocol]:
    """A streaming request; leaving cancels it (quart-trio's disconnect would hang)."""
    with trio.CancelScope() as scope:
        async with client.request(path, headers=headers) as connection:
            await connection.send_complete()
            yield connection
            scope.cancel()


async def receive(connection: quart_types.TestHTTPConnectionProtocol) -> list[dict[str, Any]]:
    """The envelopes of the next body chunk."""
    return envelopes(await connection.receive())


async def test_keepalive_events_when_idle(autojump_clock: trio.abc.Clock) -> None:
    async with (
        serving(keepalive=30) as (_, client),
        open_stream(client, "/sse/alice:chat", bearer(token())) as stream,
    ):
        (hello,) = await receive(stream)
        assert hello["type"] == "connection"
        start = trio.current_time()
        for n in range(1, 4):
            (keepalive,) = await receive(stream)
            assert keepalive["type"] == "keepalive"
            assert keepalive["id"] == ""
            assert trio.current_time() - start == pytest.approx(30 * n)


async def test_response_timeout_does_not_cut_streams(autojump_clock: trio.abc.Clock) -> None:
    async with serving(keepalive=50) as (app, client):
        assert app.config["RESPONSE_TIMEOUT"] == 60
        async with open_stream(client, "/sse/alice:chat", bearer(token())) as stream:
            await receive(stream)
            await trio.sleep(140)  # past RESPONSE_TIMEOUT; two keepalives wait in the client
            await app.hub.broadcaster.publish("alice:chat", message("late"))
            types = []
            while not types or types[-1] != "message":
                types += [e["type"] for e in await receive(stream)]
            assert types == ["keepalive", "keepalive", "message"]


async def test_stream_ends_when_the_token_expires(autojump_clock: trio.abc.Clock) -> None:
    async with (
        serving(keepalive=30) as (_, client),
        open_stream(client, "/sse/alice:chat", bearer(token(ttl=100))) as stream,
    ):
        start = trio.current_time()
        seen = []
        while (chunk := await stream.receive()) != b"":
            seen += envelopes(chunk)
        # exp is whole seconds (a JWT NumericDate, the token's issue time rounded down) and the
        # wall clock runs on while the stream opens: what is left is (99, 100] seconds, less that
        assert 98.5 < trio.current_time() - start <= 100
    types = [e["type"] for e in seen]
    assert types == ["connection", "keepalive", "keepalive", "keepalive", "error", "connection"]
    assert seen[-2]["data"]["code"] == "token_expired"
    assert seen[-1]["data"]["status"] == "disconnected"


async def test_idle_subscribers_are_closed_with_a_final_frame(
    autojump_clock: trio.abc.Clock,
) -> None:
    overrides = {"keepalive": 40, "max_subscriber_idle_time": 100, "cleanup_interval": 10}
    async with serving(**overrides) as (app, client):
        async with open_stream(client, "/sse/alice:chat", bearer(token())) as stream:
            seen = []
            while (chunk := await stream.receive()) != b"":
                seen += envelopes(chunk)
        assert app.hub.broadcaster.session_stats("alice:chat")["subscribers"] == 0
    assert [e["type"] for e in seen][-1] == "connection"
    assert seen[-1]["data"]["status"] == "disconnected"
