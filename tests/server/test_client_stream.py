"""sluice_client's stream reader against a real hub: it resumes after a drop and after the hub
ends the stream, with no event missed or repeated, and reports a reset; under trio and asyncio;
and how long it waits before resuming."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trio
from hub_client import Server, running, settings, settles, token
from proxy import proxy
from sluice_client import AsyncClient, Client, Retry, StreamEvent
from sluice_client.events import Catalogue
from sluice_client.models import MessageEvent, StreamResetEvent
from sluice_client.stream import Resumer

QUICK = Retry(attempts=5, backoff=0.01)


@pytest.fixture(params=["front", "hypercorn"])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """A server asking clients to reconnect after 50 ms, streams served both ways."""
    async with running(settings(retry=50), front=request.param == "front") as server:
        yield server


async def _publish(server: Server, session_id: str, content: str) -> str:
    async with AsyncClient(server.url, token=token()) as client:
        return (await client.publish(session_id, MessageEvent(content=content))).ids[0]


async def test_a_dropped_stream_resumes_where_it_was(
    hub: Server, under: Callable[..., Awaitable[Any]]
) -> None:
    first = await _publish(hub, "alice:chat", "before")
    seen: list[StreamEvent] = []

    async def read(url: str) -> None:
        async with AsyncClient(url, token=token(), retry=QUICK) as client:
            events = client.stream("alice:chat")
            async for event in events:
                seen.append(event)
                if len(seen) == 3:
                    break
            await events.aclose()

    async with proxy(hub.url) as flaky, trio.open_nursery() as nursery:
        nursery.start_soon(under, read, flaky.url)
        await settles(lambda: len(seen) == 1, within=10)
        flaky.cut()
        second = await _publish(hub, "alice:chat", "while away")
        third = await _publish(hub, "alice:chat", "after")
    assert flaky.connections == 2
    assert [e.id for e in seen] == [first, second, third]
    assert [e.data.content for e in seen] == ["before", "while away", "after"]


async def test_the_hub_ending_the_stream_is_resumed(hub: Server) -> None:
    first = await _publish(hub, "alice:chat", "one")
    async with AsyncClient(hub.url, token=token(), retry=QUICK) as client:
        events = client.stream("alice:chat")
        assert (await anext(events)).id == first
        await hub.app.hub.broadcaster.clear_session("alice:chat", close_subscribers=True)
        second = await _publish(hub, "alice:chat", "two")
        with trio.fail_after(10):
            resumed = await anext(events)
        await events.aclose()
    assert resumed.id == second


@pytest.mark.parametrize(
    ("last_event_id", "reason"),
    [("000000000000-000000000001", "unknown_epoch"), ("not an id", "malformed_id")],
)
async def test_a_reset_is_reported_first(hub: Server, last_event_id: str, reason: str) -> None:
    held = await _publish(hub, "alice:chat", "held")
    async with AsyncClient(hub.url, token=token()) as client:
        events = client.stream("alice:chat", last_event_id=last_event_id)
        reset, after = await anext(events), await anext(events)
        await events.aclose()
    assert reset.type == "stream_reset" and isinstance(reset.data, StreamResetEvent)
    assert reset.data.reason == reason
    assert after.id == held


async def test_the_blocking_reader_resumes_from_a_given_id(hub: Server) -> None:
    one = await _publish(hub, "alice:chat", "one")
    two = await _publish(hub, "alice:chat", "two")

    def read() -> str:
        with Client(hub.url, token=token()) as client:
            events = client.stream("alice:chat", last_event_id=one)
            event = next(events)
            events.close()
            return event.id

    assert await trio.to_thread.run_sync(read) == two


@pytest.mark.parametrize(
    ("lines", "wait"),
    [
        ([], 3.0),  # no hint yet: the default, never a busy loop
        (["retry: 0", ""], 0.0),  # the server asked for no wait
        (["retry: 250", ""], 0.25),
        (["retry: soon", ""], 3.0),  # not a number: ignored, as the WHATWG rules say
    ],
)
def test_a_stream_that_ended_is_resumed_after_the_hint_or_a_few_seconds(
    lines: list[str], wait: float
) -> None:
    resumer = Resumer(Catalogue(), QUICK, None)
    for line in lines:
        resumer.feed(line)
    assert resumer.ended() == wait


def test_a_retry_field_of_more_digits_than_int_reads_is_ignored() -> None:
    """WHATWG HTML: a ``retry:`` of ASCII digits only sets the delay; one too long for
    ``int()`` (over 4,300 digits) is ignored rather than ending the reading with an error."""
    resumer = Resumer(Catalogue(), Retry(), None)
    resumer.feed("retry: 2500")
    resumer.feed("retry: " + "9" * 5000)
    resumer.feed("retry: ²")
    assert resumer.retry == 2.5
