from __future__ import annotations

import math

import pytest

from sse_core import BroadcasterConfig, ConfigError


def test_defaults_are_the_guides() -> None:
    config = BroadcasterConfig()
    assert (config.max_queue_size, config.max_history_per_session) == (1000, 500)
    assert (config.event_ttl, config.session_ttl, config.cleanup_interval) == (300.0, 1800.0, 60.0)
    assert config.enable_metrics is True
    assert config.max_subscriber_idle_time == 600.0
    assert (config.memory_warning_threshold_mb, config.memory_critical_threshold_mb) == (100, 200)


def test_the_guides_custom_config_is_accepted() -> None:
    BroadcasterConfig(
        max_queue_size=2000,
        max_history_per_session=1000,
        event_ttl=600.0,
        session_ttl=3600.0,
        cleanup_interval=120.0,
        enable_metrics=True,
        max_subscriber_idle_time=1200.0,
        memory_warning_threshold_mb=200.0,
        memory_critical_threshold_mb=500.0,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_queue_size", 0),
        ("max_queue_size", -5),
        ("max_queue_size", 1.5),
        ("max_queue_size", True),
        ("max_history_per_session", 0),
        ("event_ttl", 0),
        ("event_ttl", -1.0),
        ("event_ttl", math.inf),
        ("session_ttl", math.nan),
        ("cleanup_interval", 0.0),
        ("cleanup_interval", "60"),
        ("max_subscriber_idle_time", -0.1),
        ("memory_warning_threshold_mb", 0),
        ("memory_critical_threshold_mb", -1),
        ("enable_metrics", 1),
    ],
)
def test_nonsense_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        BroadcasterConfig(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


def test_warning_above_critical_is_refused() -> None:
    with pytest.raises(ConfigError, match="memory_critical_threshold_mb") as caught:
        BroadcasterConfig(memory_warning_threshold_mb=300.0, memory_critical_threshold_mb=200.0)
    assert caught.value.field == "memory_warning_threshold_mb"


def test_config_is_frozen() -> None:
    config = BroadcasterConfig()
    with pytest.raises(AttributeError):
        config.max_queue_size = 5  # type: ignore[misc]
