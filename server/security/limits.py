"""The server's limits, each with a clear problem: session ids, event sizes, streams per user
and in all.

The request body limit itself is Quart's ``MAX_CONTENT_LENGTH`` (413, see ``problems``); the
event size limit is the broadcaster's ``max_event_bytes``, held for every publisher by
``sse_core``, which raises :class:`~sse_core.EventTooLarge`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from protocol import SchemaError, is_session_id, session_id_rule
from sse_core import EventTooLarge

from ..problems import Problem

#: How much of a refused session id a detail quotes (a valid one has at most 128 characters).
_QUOTED = 128


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` when well formed; raise a 400 ``invalid-session-id`` problem
    otherwise, whose detail names the id at fault (its first 128 characters, quoted) and
    states the rule."""
    if not is_session_id(session_id):
        quoted = repr(session_id[:_QUOTED])
        if len(session_id) > _QUOTED:
            quoted += f"... ({len(session_id)} characters)"
        raise Problem(
            400,
            "invalid-session-id",
            "Invalid session id",
            f"session id {quoted} is not valid. {session_id_rule()}",
        )
    return session_id


def check_session_list(session_ids: Sequence[str], limit: int) -> tuple[str, ...]:
    """Return ``session_ids`` (the ``session`` parameters of a request for several sessions)
    when they are one to ``limit`` well formed ids, each once; raise a 400 problem otherwise
    (``invalid-parameter`` for the list, ``invalid-session-id`` for an id)."""
    if not 1 <= len(session_ids) <= limit:
        raise _invalid_list(f"session= must be given 1 to {limit} times, not {len(session_ids)}")
    repeated = sorted(s for s, n in Counter(session_ids).items() if n > 1)
    if repeated:
        raise _invalid_list(f"session= repeats {', '.join(repeated)}; list each session once")
    for session_id in session_ids:
        check_session_id(session_id)
    return tuple(session_ids)


def _invalid_list(detail: str) -> Problem:
    return Problem(400, "invalid-parameter", "Invalid parameter", detail)


def event_too_large(error: EventTooLarge) -> Problem:
    """The 413 problem of a publish with events over ``--max-event-bytes``, listing each
    (its pointer, its size)."""
    return Problem(
        413,
        "event-too-large",
        "Event too large",
        f"an event may be at most {error.limit} bytes as JSON",
        errors=error.errors,
    )


def query_too_large(error: EventTooLarge, pointer: str | None) -> Problem:
    """The 413 problem of a run (regenerate, the run endpoint) refused before it starts: its
    query does not fit in the events that carry it (``error``, from
    :func:`~server.agent.check_query`). ``pointer`` is the query's in the request body (None:
    the query is a parameter)."""
    detail = (
        f"the query does not fit in an event: {error} (--max-event-bytes); send a shorter query"
    )
    errors = () if pointer is None else (SchemaError(pointer, str(error)),)
    return Problem(413, "event-too-large", "Event too large", detail, errors=errors)


class ConnectionCounter:
    """Open streams of this process: per user, bounded by ``limit`` (anonymous callers, without
    auth, are not counted per user), and in all, bounded by ``total_limit`` (0: no bound).

    Counted in this process only: with several processes on one Redis (``--workers N``) a user
    may hold up to N times ``limit`` streams in all."""

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
        f"a user may hold at most {limit} open streams on this server process; close one first",
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
