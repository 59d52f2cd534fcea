"""The broadcaster's knobs, with the guide's names and defaults, checked when built."""

from __future__ import annotations

import math
from typing import Any

import attrs


class ConfigError(ValueError):
    """A :class:`BroadcasterConfig` value makes no sense; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def _positive_int(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(attribute.name, f"must be a positive integer, got {value!r}")


def _positive_number(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigError(attribute.name, f"must be a positive finite number, got {value!r}")


def _boolean(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(attribute.name, f"must be true or false, got {value!r}")


@attrs.frozen(kw_only=True)
class BroadcasterConfig:
    """How much the broadcaster buffers and keeps, and for how long (seconds, MiB).

    ``max_queue_size``
        Frames that may wait for one subscriber; a subscriber with a full queue is cut off
        with ``stream_overflow``.
    ``max_history_per_session``
        Events kept per session for late joiners and resumes (oldest dropped first).
    ``event_ttl``
        Seconds an event stays in history unless it carries its own ``ttl``.
    ``session_ttl``
        Seconds a session with no subscribers and no events lives on.
    ``cleanup_interval``
        Seconds between two passes of the cleanup loop (expiry, idle subscribers, sessions).
    ``enable_metrics``
        Whether the server exports Prometheus metrics; the broadcaster's own counters
        (:meth:`~sse_core.Broadcaster.get_stats`) cost O(1) per publish and are always kept.
    ``max_subscriber_idle_time``
        Seconds a subscriber may go without taking a frame before it is closed.
    ``memory_warning_threshold_mb``, ``memory_critical_threshold_mb``
        History memory (encoded frames, MiB) past which a warning is logged, and past which
        the oldest events are shed until usage is back at the warning threshold.
    ``max_event_bytes``
        The largest event published, in bytes: its ``{"type", "data", "ttl"?}`` as compact
        JSON (UTF-8). A larger one is refused, whoever publishes it, and nothing of its
        publish is stored or sent (:class:`~sse_core.EventTooLarge`).

    Raises :class:`ConfigError` naming the field for a zero, negative or non-finite value,
    a wrong type, or a warning threshold above the critical one.
    """

    max_queue_size: int = attrs.field(default=1000, validator=_positive_int)
    max_history_per_session: int = attrs.field(default=500, validator=_positive_int)
    event_ttl: float = attrs.field(default=300.0, validator=_positive_number)
    session_ttl: float = attrs.field(default=1800.0, validator=_positive_number)
    cleanup_interval: float = attrs.field(default=60.0, validator=_positive_number)
    enable_metrics: bool = attrs.field(default=True, validator=_boolean)
    max_subscriber_idle_time: float = attrs.field(default=600.0, validator=_positive_number)
    memory_warning_threshold_mb: float = attrs.field(default=100.0, validator=_positive_number)
    memory_critical_threshold_mb: float = attrs.field(default=200.0, validator=_positive_number)
    max_event_bytes: int = attrs.field(default=65_536, validator=_positive_int)

    def __attrs_post_init__(self) -> None:
        if self.memory_warning_threshold_mb > self.memory_critical_threshold_mb:
            raise ConfigError(
                "memory_warning_threshold_mb",
                f"must not exceed memory_critical_threshold_mb "
                f"({self.memory_warning_threshold_mb!r} > {self.memory_critical_threshold_mb!r})",
            )

    @property
    def memory_warning_bytes(self) -> int:
        """The warning threshold in bytes."""
        return int(self.memory_warning_threshold_mb * 2**20)

    @property
    def memory_critical_bytes(self) -> int:
        """The critical threshold in bytes."""
        return int(self.memory_critical_threshold_mb * 2**20)
