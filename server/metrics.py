"""Prometheus metrics: a collector reading the broadcaster's stats, one registry per app.

``get_stats()`` is async and a collector's ``collect()`` is not, so the ``/metrics`` route takes
a snapshot first (:meth:`HubCollector.render`) and the collector reads that snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from sse_core import Broadcaster

# (stats key, metric name, help); counters get Prometheus' _total suffix
_GAUGES = (
    ("sessions", "sluice_sessions", "Sessions the hub holds."),
    ("subscribers", "sluice_subscribers", "Open subscriptions over all sessions."),
    ("bytesHeld", "sluice_history_bytes", "Bytes of encoded frames held in history."),
    ("idempotencyKeys", "sluice_idempotency_keys", "Idempotency-Key records held in memory."),
)
_COUNTERS = (
    ("published", "sluice_events_published", "Events accepted into sessions."),
    ("delivered", "sluice_frames_delivered", "Frames handed to subscribers."),
    ("overflowed", "sluice_subscribers_overflowed", "Subscribers cut off for reading too slowly."),
    (
        "deduplicated",
        "sluice_publishes_deduplicated",
        "Publishes answered from an Idempotency-Key's record, publishing nothing.",
    ),
    ("expired", "sluice_events_expired", "Events dropped from history when their ttl ran out."),
    ("shed", "sluice_events_shed", "Events dropped from history to relieve memory pressure."),
)


class HubCollector:
    """Exposes the hub's totals (never per-session series: their number is unbounded)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._snapshot: dict[str, Any] = {}
        self.registry.register(self)
        ProcessCollector(registry=self.registry)

    def collect(self) -> Iterator[Metric]:
        """The metrics of the last snapshot."""
        stats = self._snapshot
        for key, name, help in _GAUGES:
            yield GaugeMetricFamily(name, help, value=stats.get(key, 0))
        for key, name, help in _COUNTERS:
            yield CounterMetricFamily(name, help, value=stats.get(key, 0))

    async def render(self, broadcaster: Broadcaster) -> bytes:
        """Snapshot the broadcaster's stats and return every metric in the text format."""
        self._snapshot = await broadcaster.get_stats()
        return bytes(generate_latest(self.registry))
