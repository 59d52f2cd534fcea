"""Reading what a subscription yields, for the sse_core tests."""

from __future__ import annotations

from typing import Any

import orjson
import trio

from protocol import EventStreamParser
from sse_core import Broadcaster, Subscription


def message(n: int | str) -> dict[str, Any]:
    """A valid ``message`` event to publish."""
    return {"type": "message", "data": {"content": f"m{n}"}}


def envelopes(chunk: bytes) -> list[dict[str, Any]]:
    """The envelopes of the frames in ``chunk``, checking each SSE id against its envelope."""
    parsed = EventStreamParser().feed(chunk)
    found = [orjson.loads(event.data) for event in parsed]
    for event, envelope in zip(parsed, found, strict=True):
        assert event.event == envelope["type"]
        if envelope["id"]:
            assert event.id == envelope["id"]
    return found


async def pending(subscription: Subscription) -> bytes:
    """Every frame the subscription holds now (without waiting for new ones)."""
    chunk = b""
    with trio.fail_after(1):
        while subscription.qsize():
            chunk += await subscription.receive_batch()
    return chunk


async def pending_envelopes(subscription: Subscription) -> list[dict[str, Any]]:
    """The envelopes of :func:`pending`."""
    return envelopes(await pending(subscription))


def ids(found: list[dict[str, Any]]) -> list[str]:
    """The ids of stored events among ``found`` (control frames have none)."""
    return [envelope["id"] for envelope in found if envelope["id"]]


def task_count() -> int:
    """Tasks alive in this trio run."""

    def walk(task: trio.lowlevel.Task) -> int:
        return 1 + sum(walk(t) for n in task.child_nurseries for t in n.child_tasks)

    return walk(trio.lowlevel.current_root_task())


async def receive(subscription: Subscription, count: int) -> list[dict[str, Any]]:
    """The next ``count`` envelopes (stored events and control frames alike), waiting for
    them (a remote backplane delivers live events a little after their publish returned)."""
    found: list[dict[str, Any]] = []
    with trio.fail_after(5):
        while len(found) < count:
            found += envelopes(await subscription.receive_batch())
    return found


async def delivered(broadcaster: Broadcaster, session_id: str, last_id: str) -> None:
    """Wait until this process's subscribers of ``session_id`` have been handed the event
    ``last_id`` and everything before it (at once on the memory backplane)."""
    with trio.fail_after(5):
        while broadcaster.backplane.figures(session_id).last_id != last_id:  # noqa: ASYNC110 (a figure another process moves; no event to wait on)
            await trio.sleep(0.005)
