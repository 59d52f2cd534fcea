"""The server's limits, each with a clear problem: session ids, event sizes, streams per user
and in all.

The request body limit itself is Quart's ``MAX_CONTENT_LENGTH`` (413, see ``problems``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson

from protocol import SchemaError, is_session_id, session_id_rule

from ..problems import Problem


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` when well formed; raise a 400 problem otherwise."""
    if not is_session_id(session_id):
        raise Problem(
            400,
            "invalid-session-id",
            "Invalid session id",
            session_id_rule(),
        )
    return session_id


def check_event_sizes(events: Sequence[Any], body_size: int, limit: int, *, batch: bool) -> None:
    """Raise a 413 problem listing every event larger than ``limit`` bytes as JSON.

    A body no larger than the limit cannot hold a larger event, so it is not measured again.
    """
    if body_size <= limit:
        return
    errors = [
        SchemaError(f"/{i}" if batch else "", f"the event is {size} bytes as JSON, at most {limit}")
        for i, event in enumerate(events)
        if (size := len(orjson.dumps(event))) > limit
    ]
    if errors:
        raise Problem(
            413,
            "event-too-large",
            "Event too large",
            f"an event may be at most {limit} bytes as JSON",
            errors=errors,
        )


class ConnectionCounter:
    """Open streams: per user, bounded by ``limit`` (anonymous callers, without auth, are not
    counted per user), and in all, bounded by ``total_limit`` (0: no bound)."""

    __slots__ = ("_open", "limit", "total", "total_limit")

    def __init__(self, limit: int, total_limit: int = 0) -> None:
        self.limit = limit
        self.total_limit = total_limit
        self.total = 0
        self._open: Counter[str] = Counter()

    def full(self, user: str | None) -> bool:
        """Whether ``user`` already holds ``limit`` streams."""
        return user is not None and self._open[user] >= self.limit

    def at_capacity(self) -> bool:
        """Whether ``total_limit`` streams are open."""
        return 0 < self.total_limit <= self.total

    def acquire(self, user: str | None) -> bool:
        """Count one more stream for ``user``; False (nothing counted) at either limit."""
        if self.full(user) or self.at_capacity():
            return False
        self.total += 1
        if user is not None:
            self._open[user] += 1
        return True

    def release(self, user: str | None) -> None:
        """Count one stream less for ``user`` (synchronous: safe in ``finally`` under cancel)."""
        self.total -= 1
        if user is None:
            return
        self._open[user] -= 1
        if self._open[user] <= 0:
            del self._open[user]

    def __getitem__(self, user: str) -> int:
        return self._open[user]


def too_many_connections(limit: int) -> Problem:
    """The 429 problem of a user at the stream limit."""
    return Problem(
        429,
        "too-many-connections",
        "Too many connections",
        f"a user may hold at most {limit} open streams; close one first",
        headers={"Retry-After": "5"},
    )


def too_many_streams(limit: int) -> Problem:
    """The 503 problem of a server holding its ``--max-streams``."""
    return Problem(
        503,
        "too-many-streams",
        "Too many streams",
        f"this server holds its limit of {limit} open streams; retry later",
        headers={"Retry-After": "5"},
    )
