"""``max_event_bytes``: no event larger is stored or fanned out, whoever publishes it (a dict,
a model, a batch, a tracker), on every backplane; the hub's own frames are not held to it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from sse_frames import delivered, message, receive

from protocol import InvalidEvent, MessageEvent, SchemaError
from sse_core import (
    Broadcaster,
    BroadcasterConfig,
    ConfigError,
    EventTooLarge,
    ProgressTracker,
    open_broadcaster,
)

OpenHub = Callable[..., AbstractAsyncContextManager[Broadcaster]]

LIMIT = 200
#: ``{"type":"message","data":{"content":""}}``: a message of n ASCII characters is 40 + n bytes.
FRAME = 40


def content(size: int) -> str:
    """The content of a ``message`` event of ``size`` bytes as JSON."""
    return "x" * (size - FRAME)


def sized(size: int) -> dict[str, Any]:
    """A ``message`` event of ``size`` bytes as JSON."""
    return {"type": "message", "data": {"content": content(size)}}


async def test_an_event_over_the_limit_is_refused_and_one_at_it_published(
    open_hub: OpenHub,
) -> None:
    async with open_hub(max_event_bytes=LIMIT) as bc, bc.subscribe("s1") as sub:
        with pytest.raises(EventTooLarge) as caught:
            await bc.publish("s1", sized(LIMIT + 1))
        assert caught.value.limit == LIMIT
        assert caught.value.errors == (
            SchemaError("", f"the message event is {LIMIT + 1} bytes as JSON, at most {LIMIT}"),
        )
        assert str(caught.value) == caught.value.errors[0].message
        at_limit = await bc.publish("s1", sized(LIMIT))
        await delivered(bc, "s1", at_limit)
        (received,) = await receive(sub, 1)
        assert received["id"] == at_limit  # the refused one was never sent
        assert [e.id for e in await bc.get_event_history("s1")] == [at_limit]
        assert bc.session_stats("s1")["published"] == 1


async def test_a_batch_names_each_event_too_large_and_publishes_nothing(open_hub: OpenHub) -> None:
    async with open_hub(max_event_bytes=LIMIT) as bc:
        batch = [
            message("fits"),
            sized(LIMIT + 5),
            {"type": "message", "data": {}},  # invalid too: the size is told first
            {"type": "nope", "data": {"x": content(LIMIT + FRAME)}},
        ]
        with pytest.raises(EventTooLarge) as caught:
            await bc.publish_many("s1", batch)
        assert [e.pointer for e in caught.value.errors] == ["/1", "/3"]
        assert caught.value.errors[1].message.startswith("the event is ")  # no such type
        with pytest.raises(InvalidEvent):
            await bc.publish_many("s1", [batch[0], batch[2]])
        assert await bc.get_event_history("s1") == []


async def test_a_model_a_tracker_and_the_ttl_count_alike() -> None:
    async with open_broadcaster(BroadcasterConfig(max_event_bytes=LIMIT)) as bc:
        with pytest.raises(EventTooLarge):
            await bc.publish("s1", MessageEvent(content=content(LIMIT + 1)))
        fits = sized(LIMIT)
        with pytest.raises(EventTooLarge):  # ,"ttl":5 makes it 8 bytes larger
            await bc.publish("s1", fits, ttl=5)
        tracker = ProgressTracker(broadcaster=bc, message_id="m", session_id="s1", task_id="t")
        with pytest.raises(EventTooLarge, match="the message_regenerated event is"):
            await tracker.complete(content(LIMIT))
        with pytest.raises(EventTooLarge):
            bc.check_event(MessageEvent(content=content(LIMIT + 1)))
        bc.check_event(fits)
        assert await bc.get_event_history("s1") == []


async def test_the_hubs_own_frames_are_not_held_to_the_limit() -> None:
    async with open_broadcaster(BroadcasterConfig(max_event_bytes=50)) as bc:
        frame = bc.encode_ephemeral(
            {"type": "keepalive", "data": {"timestamp": "2026-01-31T12:00:00Z"}}
        )
        assert len(frame) > 50


def test_the_limit_is_a_positive_integer_of_the_config() -> None:
    assert BroadcasterConfig().max_event_bytes == 65_536
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="max_event_bytes"):
            BroadcasterConfig(max_event_bytes=bad)
