"""Resume as a state machine: publishes, subscribes, reads, disconnects and resumes from
arbitrary last ids, interleaved, on every backplane. Every stream is exactly what the
session's events say it should be: the events after the resume point, or ``stream_reset``
and what history held.

The broadcaster runs in a trio run on its own thread; each step is one blocking call into
it (``trio.from_thread``), so steps happen one at a time, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import trio
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sse_frames import delivered, ids, message, pending_envelopes

from sse_core import Backplane, Broadcaster, BroadcasterConfig, Subscription, open_broadcaster
from sse_core.ids import parse_event_id

T = TypeVar("T")
HISTORY = 6


class TrioThread:
    """An open broadcaster in a trio run on another thread, called step by step."""

    def __init__(self, config: BroadcasterConfig, backplane: Backplane) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=trio.run, args=(self._main, config, backplane))
        self._thread.start()
        assert self._ready.wait(10)

    async def _main(self, config: BroadcasterConfig, backplane: Backplane) -> None:
        async with open_broadcaster(config, backplane) as broadcaster:
            self.broadcaster = broadcaster
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self._ready.set()
            await self._stop.wait()

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        return trio.from_thread.run(fn, *args, trio_token=self._token)

    def close(self) -> None:
        trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join()


@attrs.define
class Reader:
    """One subscription and what it must see: ``reset`` first (or not), then the session's
    events from index ``first`` on."""

    subscription: Subscription
    reset: str | None
    first: int
    seen: list[dict[str, Any]] = attrs.Factory(list)


def garbage(epoch: str) -> st.SearchStrategy[str]:
    """Last event ids a client may send that the hub never issued, around ``epoch``'s."""
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from(["-", f"{epoch}-", f"{epoch}-x", f"{epoch}--1", "E0-000000000001"]),
        st.integers(0, 99).map(lambda n: f"{epoch}-{n}"),
        st.integers(0, 99).map(lambda n: f"other-{n:012d}"),
    )


class ResumeMachine(RuleBasedStateMachine):
    readers = Bundle("readers")
    gone = Bundle("gone")

    def __init__(self, backplane: Backplane) -> None:
        super().__init__()
        self.hub = TrioThread(BroadcasterConfig(max_history_per_session=HISTORY), backplane)
        self.bc: Broadcaster = self.hub.broadcaster
        self.events: list[str] = []
        self.elsewhere: list[str] = []  # ids of another session (the same sequence)
        self.live: list[Reader] = []

    def teardown(self) -> None:
        self.hub.close()

    def expect(self, last_event_id: str | None) -> tuple[str | None, int]:
        """What a subscription from ``last_event_id`` must see: (reset reason, first index)."""
        held_from = max(len(self.events) - HISTORY, 0)
        if not last_event_id:
            return None, held_from
        parsed = parse_event_id(last_event_id)
        if parsed is None:
            return "malformed_id", held_from
        if parsed.epoch != self.bc.epoch:
            return "unknown_epoch", held_from
        n, positions = parsed.sequence, self.positions
        if n > self.issued:
            return "history_exhausted", held_from
        origin = positions[0] - 1 if positions else self.issued
        if n <= origin:
            return ("history_exhausted" if held_from else None), held_from
        floor = positions[held_from - 1] if held_from else origin
        if n < floor:
            return "history_exhausted", held_from
        if n == floor or n in positions:
            return None, sum(1 for p in positions if p <= n)
        return "foreign_id", held_from

    @property
    def positions(self) -> list[int]:
        """The sequences of the session's events."""
        return [parse_event_id(i).sequence for i in self.events]  # type: ignore[union-attr]

    @property
    def issued(self) -> int:
        """The newest sequence issued, to either session."""
        last = max([*self.events[-1:], *self.elsewhere[-1:]], default=None)
        return 0 if last is None else parse_event_id(last).sequence  # type: ignore[union-attr]

    def open(self, last_event_id: str | None) -> Reader:
        reason, first = self.expect(last_event_id)
        subscription = self.hub.run(self.bc.add_subscriber, "s", last_event_id)
        assert subscription.reset_reason == reason
        event(f"reset: {reason}")
        reader = Reader(subscription, reason, first)
        self.live.append(reader)
        return reader

    @rule(count=st.integers(1, 4), many=st.booleans())
    def publish(self, count: int, many: bool) -> None:
        batch = [message(len(self.events) + n) for n in range(count)]
        if many:
            self.events += self.hub.run(self.bc.publish_many, "s", batch)
        else:
            for event in batch:
                self.events.append(self.hub.run(self.bc.publish, "s", event))
        self.hub.run(delivered, self.bc, "s", self.events[-1])

    @rule(count=st.integers(1, 3))
    def publish_elsewhere(self, count: int) -> None:
        batch = [message(f"o{len(self.elsewhere) + n}") for n in range(count)]
        self.elsewhere += self.hub.run(self.bc.publish_many, "o", batch)

    @rule(target=readers, data=st.data())
    def resume_from_another_sessions_id(self, data: st.DataObject) -> Reader:
        last = data.draw(st.sampled_from(self.elsewhere)) if self.elsewhere else None
        return self.open(last)

    @rule(target=readers)
    def join(self) -> Reader:
        return self.open(None)

    @rule(target=readers, data=st.data())
    def resume_from_a_published_id(self, data: st.DataObject) -> Reader:
        last = data.draw(st.sampled_from(self.events)) if self.events else None
        return self.open(last)

    @rule(target=readers, data=st.data())
    def resume_from_anything(self, data: st.DataObject) -> Reader:
        return self.open(data.draw(garbage(self.bc.epoch)))

    @rule(reader=readers)
    def read(self, reader: Reader) -> None:
        if reader in self.live:
            reader.seen += self.hub.run(pending_envelopes, reader.subscription)

    @rule(target=gone, reader=consumes(readers))
    def disconnect(self, reader: Reader) -> Reader:
        if reader in self.live:
            self.read(reader)
            self.live.remove(reader)
            self.hub.run(self.bc.remove_subscriber, "s", reader.subscription)
        return reader

    @rule(target=readers, reader=consumes(gone))
    def reconnect(self, reader: Reader) -> Any:
        seen = ids(reader.seen)
        return multiple(self.open(seen[-1] if seen else None))

    @invariant()
    def every_stream_is_exact(self) -> None:
        for reader in self.live:
            reader.seen += self.hub.run(pending_envelopes, reader.subscription)
            frames = reader.seen
            if reader.reset is not None:
                assert frames[0]["type"] == "stream_reset"
                assert frames[0]["data"]["reason"] == reader.reset
                frames = frames[1:]
            assert all(f["type"] == "message" for f in frames)
            assert ids(frames) == self.events[reader.first :]

    @invariant()
    def stats_count_the_live_readers(self) -> None:
        assert self.bc.session_stats("s")["subscribers"] == len(self.live)


def test_resume_machine(make_backplane: Callable[[], Backplane]) -> None:
    run_state_machine_as_test(
        lambda: ResumeMachine(make_backplane()),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
