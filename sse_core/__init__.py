"""The Sluice broadcaster: sessions, bounded fan-out, history and resume, on pure Trio.

The guide's names are here too (``EnhancedSSEBroadcaster``, ``get_sse_broadcaster``,
``SSEEvent``, ``SSEEventBuilder``, ``ThoughtProcessTracker``, ``ProgressTracker``), so code
written from it ports with new imports and trio idioms.
"""

from protocol import SSEEvent

from .backplane import (
    Backplane,
    BackplaneUnavailable,
    Interrupt,
    MemoryBackplane,
    Sink,
    find_error,
)
from .broadcaster import Broadcaster, EnhancedSSEBroadcaster
from .builders import SSEEventBuilder
from .config import BroadcasterConfig, ConfigError
from .current import get_sse_broadcaster, open_broadcaster
from .events import Draft, HistoryPage, ResetReason, StoredEvent
from .history import HistoryFigures
from .inputs import EventTooLarge
from .subscription import FrameSink, Subscription
from .trackers import ProgressTracker, ThoughtProcessTracker

__all__ = [
    "Backplane",
    "BackplaneUnavailable",
    "Broadcaster",
    "BroadcasterConfig",
    "ConfigError",
    "Draft",
    "EnhancedSSEBroadcaster",
    "EventTooLarge",
    "FrameSink",
    "HistoryFigures",
    "HistoryPage",
    "Interrupt",
    "MemoryBackplane",
    "ProgressTracker",
    "ResetReason",
    "SSEEvent",
    "SSEEventBuilder",
    "Sink",
    "StoredEvent",
    "Subscription",
    "ThoughtProcessTracker",
    "find_error",
    "get_sse_broadcaster",
    "open_broadcaster",
]
