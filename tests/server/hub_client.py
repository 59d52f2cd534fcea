"""A real Sluice server for end-to-end tests, read with httpx and httpx-sse; contract checks.

Every event read through :class:`Stream` and every error response passed to
:func:`check_problem` is validated against the schemas, so each test also checks the contract.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from unittest import mock

import attrs
import httpx
import jwt
import orjson
import trio
from httpx_sse import EventSource, ServerSentEvent

from protocol import Catalogue, EventStreamParser, builtin, check_envelope, validator
from server.agent import Agent, DemoAgent
from server.serving.run import serve
from server.settings import Settings
from server.streaming.admission import LIST_PATHS, PREFIXES
from server.web.app import create_app
from server.web.context import SluiceApp

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def settings(**overrides: Any) -> Settings:
    """Settings for a test server: loopback, a free port, HS256 auth, a short graceful timeout."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "jwt_secret": SECRET,
        "graceful_timeout": 3.0,
    }
    if overrides.get("no_auth") or "jwt_public_key_file" in overrides:
        values.pop("jwt_secret")
    return Settings(**{**values, **overrides})


def token(
    sub: str = "alice",
    *,
    subscribe: list[str] | None = None,
    publish: list[str] | None = None,
    ttl: float = 300,
    key: Any = SECRET,
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    """A signed token for ``sub`` with the rights given (default: its own ``{sub}:*`` sessions)."""
    now = int(time.time())
    payload = {
        "sub": sub,
        "iat": now,
        "exp": now + ttl,
        "sluice": {
            "subscribe": ["{sub}:*"] if subscribe is None else subscribe,
            "publish": ["{sub}:*"] if publish is None else publish,
        },
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm)


def bearer(value: str) -> dict[str, str]:
    """The Authorization header carrying ``value``."""
    return {"Authorization": f"Bearer {value}"}


def check_frame(sse: ServerSentEvent, catalogue: Catalogue | None = None) -> dict[str, Any] | None:
    """The envelope of one SSE event, checked against ``envelope.json`` (of ``catalogue``, the
    built-in one unless given) and its SSE fields.

    A frame without data must be the bare ``retry:`` hint; ``None`` is returned for it.
    """
    if not sse.data:
        assert sse.retry is not None, sse
        return None
    envelope: dict[str, Any] = orjson.loads(sse.data)
    (catalogue or builtin()).check_envelope(envelope)
    assert sse.event == envelope["type"]
    if envelope["id"]:
        assert sse.id == envelope["id"]
    return envelope


def envelopes(chunk: bytes) -> list[dict[str, Any]]:
    """The envelopes of the complete frames in ``chunk``, each checked as by :func:`check_frame`."""
    found = []
    for event in EventStreamParser(strict=True).feed(chunk):
        envelope: dict[str, Any] = orjson.loads(event.data)
        check_envelope(envelope)
        assert event.event == envelope["type"]
        assert event.id == envelope["id"]  # a fresh parser: no id carried over
        found.append(envelope)
    return found


def check_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem body of an error response, checked against ``rest/problem.json``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    validator("rest/problem.json").check(body)
    assert body["status"] == status
    return body


def check_body(response: httpx.Response, schema: str, status: int = 200) -> Any:
    """A JSON response body, checked against ``schema``."""
    assert response.status_code == status, response.text
    body = response.json()
    validator(schema).check(body)
    return body


class Stream:
    """One open SSE response; every event read is checked by :func:`check_frame`.

    Each read fails after :attr:`patience` seconds.
    """

    patience = 5.0

    def __init__(self, response: httpx.Response, catalogue: Catalogue | None = None) -> None:
        self.response = response
        self.catalogue = catalogue
        self.retry: int | None = None
        self.events = EventSource(response).aiter_sse()

    async def close(self) -> None:
        """Close the response, then let httpx's nested generators run into the closed stream
        and finish (abandoned, trio would warn about each when they are collected)."""
        await self.response.aclose()
        with contextlib.suppress(Exception):
            while True:  # what is buffered, then the error of the closed stream
                await anext(self.events)
        await self.events.aclose()

    async def next(self) -> dict[str, Any]:
        """The next event's envelope (the ``retry:`` hint is recorded in :attr:`retry`)."""
        with trio.fail_after(self.patience):
            while True:
                sse = await anext(self.events)
                envelope = check_frame(sse, self.catalogue)
                if envelope is not None:
                    return envelope
                self.retry = sse.retry

    async def until(self, event_type: str) -> list[dict[str, Any]]:
        """Every envelope up to and including the first of ``event_type``."""
        seen = [await self.next()]
        while seen[-1]["type"] != event_type:
            seen.append(await self.next())
        return seen

    async def rest(self) -> list[dict[str, Any]]:
        """Every remaining envelope, until the server ends the stream cleanly."""
        seen = []
        while True:
            try:
                seen.append(await self.next())
            except StopAsyncIteration:
                return seen


@attrs.define
class Server:
    """A running server: its URL, app and an ``httpx.AsyncClient`` bound to it."""

    url: str
    app: SluiceApp
    client: httpx.AsyncClient
    streams: httpx.AsyncClient  # keeps no connection alive: a new one for each request
    stop: trio.Event
    stopped: trio.Event
    front: bool = True  # whether the front serves streams on new connections, and publishes

    @asynccontextmanager
    async def stream(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Stream]:
        """Open ``path`` as a stream and check the SSE response headers.

        Without ``client`` the stream goes through :attr:`streams`: on a new connection, as a
        browser's ``EventSource`` usually has one, where the front must serve a stream route
        (no ``server`` header, which Hypercorn adds); a ``client`` may send it on a kept-alive
        connection.
        """
        async with (client or self.streams).stream(
            "GET", path, headers=headers, **kwargs
        ) as response:
            assert response.status_code == 200, (await response.aread()).decode()
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            assert response.headers["x-accel-buffering"] == "no"
            if client is None and (path.startswith(PREFIXES) or path.split("?")[0] in LIST_PATHS):
                served_by_front = "server" not in response.headers
                assert served_by_front == self.front, response.headers
            stream = Stream(response, self.app.catalogue)
            try:
                yield stream
            finally:
                await stream.close()

    async def publish(
        self, session_id: str, event: Any, headers: dict[str, str] | None = None
    ) -> list[str]:
        """Publish ``event`` (or a list) and return the ids assigned."""
        response = await self.client.post(
            f"/api/sessions/{session_id}/events", json=event, headers=headers
        )
        body = check_body(response, "rest/publish-response.json", 201)
        ids: list[str] = body["ids"]
        return ids

    def subscribers(self, session_id: str) -> int:
        """Open subscriptions of ``session_id``, from the hub itself."""
        count: int = self.app.hub.broadcaster.session_stats(session_id)["subscribers"]
        return count


@asynccontextmanager
async def running(
    config: Settings | None = None,
    *,
    agent: Agent | None = None,
    headers: dict[str, str] | None = None,
    front: bool = True,
) -> AsyncIterator[Server]:
    """Run a server on 127.0.0.1 (a free port) in a nursery; stop it on leaving.

    Setting ``stop`` shuts it down as a signal would; ``stopped`` is set once it has returned.
    With ``front`` false, streams and publishes bypass the front: Hypercorn and the app
    serve them, as they do a stream on a kept-alive connection.
    """
    app = create_app(config or settings(), agent=agent or DemoAgent(delay=0))
    stop, stopped = trio.Event(), trio.Event()

    async def serving(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(app, stop.wait, task_status=task_status)
        stopped.set()

    async with contextlib.AsyncExitStack() as stack:
        if not front:  # the front takes no stream, no publish: Hypercorn and the app serve all
            stack.enter_context(
                mock.patch("server.streaming.front.stream_target", lambda scope: None)
            )
            stack.enter_context(
                mock.patch("server.streaming.front.publish_length", lambda *_: None)
            )
        nursery = await stack.enter_async_context(trio.open_nursery())
        (url,) = await nursery.start(serving)
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=20)
        async with (
            httpx.AsyncClient(base_url=url, timeout=10, limits=limits, headers=headers) as client,
            httpx.AsyncClient(
                base_url=url,
                timeout=10,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
                headers=headers,
            ) as streams,
        ):
            yield Server(url, app, client, streams, stop, stopped, front)
        stop.set()


async def settles(condition: Callable[[], bool], within: float = 1.0) -> None:
    """Wait (polling, real clock) until ``condition()`` holds; fail after ``within`` seconds."""
    with trio.fail_after(within):
        for _ in itertools.count():
            if condition():
                return
            await trio.sleep(0.01)


def message(content: str) -> dict[str, Any]:
    """A ``message`` event to publish."""
    return {"type": "message", "data": {"content": content}}


#: Publish bodies that are JSON but no event (nor a batch of events), each with the errors
#: (pointer, message) of its 422.
NOT_EVENTS: list[tuple[bytes, list[tuple[str, str]]]] = [
    (b"42", [("", "42 is not of type 'object'")]),
    (b"null", [("", "null is not of type 'object'")]),
    (b"true", [("", "true is not of type 'object'")]),
    (b'"s"', [("", "\"s\" is not of type 'object'")]),
    (b"[1]", [("/0", "1 is not of type 'object'")]),
    (b"[null]", [("/0", "null is not of type 'object'")]),
    (b'[{"type":"message","data":{"content":"a"}},3]', [("/1", "3 is not of type 'object'")]),
]
