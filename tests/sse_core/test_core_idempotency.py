"""Idempotency keys in the broadcaster and the memory backplane: a repeat is answered from the
record, a different request with the key is refused, records last their ttl and are counted."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import trio
from sse_frames import message

from sse_core import (
    BackplaneUnavailable,
    Broadcaster,
    BroadcasterConfig,
    Draft,
    MemoryBackplane,
    StoredEvent,
    open_broadcaster,
)
from sse_core.idempotency import Claim, KeyReused, claim


def _claim(key: str, body: object, ttl: float = 60.0, scope: str = "") -> Claim:
    return claim(scope, "s1", key, body, ttl)


async def test_a_repeat_returns_the_first_ids_and_appends_nothing(bc: Broadcaster) -> None:
    batch = [message(1), message(2)]
    first = await bc.publish_many("s1", batch, claim=_claim("k", batch))
    again = await bc.publish_many("s1", batch, claim=_claim("k", batch))
    assert again == first
    assert [e.id for e in await bc.get_event_history("s1")] == first
    stats = await bc.get_stats()
    assert (stats["published"], stats["deduplicated"]) == (2, 1)
    assert bc.session_stats("s1")["deduplicated"] == 1


async def test_the_key_with_another_request_raises_and_appends_nothing(bc: Broadcaster) -> None:
    await bc.publish("s1", message(1), claim=_claim("k", message(1)))
    with pytest.raises(KeyReused):
        await bc.publish("s1", message(2), claim=_claim("k", message(2)))
    assert len(await bc.get_event_history("s1")) == 1


def test_a_claim_is_scoped_and_its_fingerprint_is_the_json_value() -> None:
    body = {"type": "message", "data": {"content": "x", "role": "user"}}
    reordered = {"data": {"role": "user", "content": "x"}, "type": "message"}
    assert _claim("k", body) == _claim("k", reordered)
    assert _claim("k", body).key != _claim("k", body, scope="sub alice").key
    assert _claim("k", body).key != claim("", "s2", "k", body, 60).key
    assert _claim("k", body).fingerprint != _claim("k", {**body, "ttl": 5}).fingerprint


@pytest.mark.parametrize(
    ("one", "other"),
    [(60, 60.0), ([1, {"a": -0.0}], [1.0, {"a": 0}]), (2**53, float(2**53)), (1e300, 1e300)],
)
def test_numbers_equal_by_value_have_one_fingerprint(one: object, other: object) -> None:
    assert _claim("k", one).fingerprint == _claim("k", other).fingerprint


@pytest.mark.parametrize(("one", "other"), [(60, 60.5), (1, "1"), (0, False), (1, True)])
def test_values_that_differ_have_different_fingerprints(one: object, other: object) -> None:
    assert _claim("k", one).fingerprint != _claim("k", other).fingerprint


async def test_records_last_their_ttl_count_in_memory_and_go_at_cleanup(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = BroadcasterConfig(cleanup_interval=5, event_ttl=600)
    async with open_broadcaster(config) as bc:
        first = await bc.publish("s1", message(1), claim=_claim("k", message(1), ttl=10))
        stats = await bc.get_stats()
        assert stats["idempotencyKeys"] == 1 and stats["idempotencyBytes"] > 0
        assert stats["memoryUsageMb"] == (stats["bytesHeld"] + stats["idempotencyBytes"]) / 2**20
        await trio.sleep(9)
        assert await bc.publish("s1", message(1), claim=_claim("k", message(1))) == first
        await trio.sleep(2)  # past the ttl, and a cleanup pass
        stats = await bc.get_stats()
        assert stats["idempotencyKeys"] == stats["idempotencyBytes"] == 0
        later = await bc.publish("s1", message(1), claim=_claim("k", message(1), ttl=10))
        assert later != first


class _FailsOnce(MemoryBackplane):
    """A backplane whose first append fails as an unreachable store would."""

    failed = False

    async def append(
        self, session_id: str, drafts: Sequence[Draft], claim: Claim | None = None
    ) -> list[StoredEvent]:
        if not self.failed:
            self.failed = True
            raise BackplaneUnavailable("the store is out of reach")
        return await super().append(session_id, drafts, claim)


async def test_a_failed_publish_records_nothing_and_its_retry_goes_through() -> None:
    async with open_broadcaster(backplane=_FailsOnce()) as bc:
        with pytest.raises(BackplaneUnavailable):
            await bc.publish("s1", message(1), claim=_claim("k", message(1)))
        event_id = await bc.publish("s1", message(1), claim=_claim("k", message(1)))
        assert [e.id for e in await bc.get_event_history("s1")] == [event_id]
        assert (await bc.get_stats())["deduplicated"] == 0
