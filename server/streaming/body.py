"""The body of one SSE response, independent of the web framework: bytes out, nothing else.

:func:`event_stream` is an async generator of body chunks: a ``retry:`` hint, the ``connection``
event (one per session, in the order listed, on a stream of several sessions), then the
subscription's frames (history, then live; coalesced, one chunk per wake-up), a
typed ``keepalive`` event whenever the stream has been idle for ``keepalive`` seconds, and, when
the server ends the stream (shutdown, token expiry, the session closed), a final ``connection``
event with status ``disconnected`` (again one per session).

Trio rules kept here: no cancel scope spans a ``yield`` (the wait for frames takes its deadline
itself, without a scope), and cleanup is synchronous, so a disconnect (``Cancelled`` at the
``await``, or ``GeneratorExit`` at the ``yield``) frees the subscription and the connection slot
at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator, Callable
from typing import Literal

import attrs
import trio

from protocol import encode_retry
from sse_core import BackplaneUnavailable, Broadcaster, SSEEventBuilder, Subscription
from sse_core.subscription import FrameSink, with_session_id

from .. import logs
from ..problems import backplane_unavailable
from ..security.auth import Principal
from ..security.limits import ConnectionCounter

log = logging.getLogger("sluice.stream")


def _connection(
    broadcaster: Broadcaster,
    status: Literal["connected", "disconnected"],
    session_ids: tuple[str, ...],
    user: str | None,
) -> bytes:
    """The ``connection`` event of each of ``session_ids``; on a stream of several sessions,
    each envelope names its session in a top-level ``sessionId``, as every frame there does."""
    frames = []
    for session_id in session_ids:
        event = SSEEventBuilder.connection(status=status, session_id=session_id, user_id=user)
        frame = broadcaster.encode_ephemeral(event)
        frames.append(frame if len(session_ids) == 1 else with_session_id(frame, session_id))
    return b"".join(frames)


def _error(broadcaster: Broadcaster, code: str, message: str) -> bytes:
    return broadcaster.encode_ephemeral(SSEEventBuilder.error(message=message, code=code))


#: How a stream can end, as its ``disconnect`` log line says: ``client_gone`` (the client closed
#: the connection), ``too_slow`` (it did not take a write within the send timeout),
#: ``overflow`` (it fell ``max_queue_size`` events behind: ``stream_overflow``),
#: ``closed_by_hub`` (shutdown, the session closed or cleared, Redis lost its data), ``complete``
#: (a stream asked to end after a given event), ``token_expired``, ``backplane_unavailable``.
Outcome = Literal[
    "client_gone",
    "too_slow",
    "overflow",
    "closed_by_hub",
    "complete",
    "token_expired",
    "backplane_unavailable",
]


@attrs.define
class _Tally:
    """How a stream went: since when (trio's clock), its subscription (whose frames taken are
    the frames sent), how it ended."""

    started: float
    sub: Subscription | None = None
    outcome: Outcome = "client_gone"

    def connected(
        self, session_id: str, user: str | None, last_event_id: str | None, sub: Subscription
    ) -> None:
        """Log the stream's start (``session_id``: its sessions, joined by commas)."""
        self.sub = sub
        one = len(sub.session_ids) == 1
        reset = sub.reset_reason if one else sub.reset_reasons
        logs.event(
            log,
            "connect",
            session_id=session_id,
            user=user,
            last_event_id=last_event_id,
            reset=reset,
        )

    def log(self, session_id: str, user: str | None) -> None:
        """Log the stream's end: how, after how long, with how many frames."""
        logs.event(
            log,
            "disconnect",
            session_id=session_id,
            user=user,
            outcome=self.outcome,
            duration=round(trio.current_time() - self.started, 3),
            events=0 if self.sub is None else self.sub.taken,
        )


def _ending(
    broadcaster: Broadcaster, outcome: Outcome, session_ids: tuple[str, ...], user: str | None
) -> bytes:
    """The frames that end a stream the hub or the token's expiry ended: an ``error`` event
    (code ``token_expired``) when the token expired, then ``disconnected`` per session."""
    expired = b""
    if outcome == "token_expired":
        expired = _error(
            broadcaster, "token_expired", "the token has expired; reconnect with a new one"
        )
    return expired + _connection(broadcaster, "disconnected", session_ids, user)


_TOO_MANY = "too many open streams for this user or server"


async def first_chunk(body: AsyncGenerator[bytes]) -> bytes:
    """The first chunk of a stream's ``body`` (:func:`event_stream`): once subscribed, the
    ``retry:`` hint and the ``connection`` event. Taken before the response's head is
    written, so that a backplane that cannot be reached to subscribe is answered with the
    503 problem (:func:`~server.problems.backplane_unavailable`) instead of a ``200`` that
    never streams; ``body`` is done then. A checkpoint: it waits while history is read.
    """
    try:
        return await anext(body)
    except BackplaneUnavailable as error:
        raise backplane_unavailable(error, kind="stream") from None


async def event_stream(
    broadcaster: Broadcaster,
    connections: ConnectionCounter,
    *,
    session_ids: tuple[str, ...],
    principal: Principal,
    last_event_id: str | None,
    keepalive: float,
    retry: int,
    on_open: Callable[[], None] | None = None,
    until: Callable[[bytes], bool] | None = None,
    sink: FrameSink | None = None,
) -> AsyncGenerator[bytes]:
    """Stream ``session_ids`` (one session, or several on one stream: see
    :meth:`~sse_core.Broadcaster.subscribe_sessions`) to ``principal`` from ``last_event_id``
    (``None``: all history), counted as one connection of ``principal``.

    ``on_open`` runs once subscribed (nothing published after it can be missed); the stream
    ends after the first chunk for which ``until`` is true. The token's expiry (if any) ends
    the stream with an ``error`` event (code ``token_expired``). A user already holding the
    connection limit, or a server at its stream limit (a race the route's check cannot see), gets
    an ``error`` event and the end. When the backplane cannot be reached to subscribe (gone
    since the admission, or not answering in time), the first step raises
    :class:`~sse_core.BackplaneUnavailable` having yielded nothing: the caller takes the first
    chunk before it writes the head (:func:`first_chunk`), and answers 503.

    With a ``sink`` (the front's socket; not with ``until``), live frames that find the
    stream waiting are written through it by the publishing task
    (:meth:`~sse_core.Subscription.attach`) rather than yielded; the keepalive then counts from
    the last frame written either way.

    One generator on purpose (a little over 60 lines): splitting the loop into nested
    generators would add a generator frame to every chunk of every stream.
    """
    user = principal.subject
    session_id = ",".join(session_ids)  # for the log
    if not connections.acquire(user):
        yield _error(broadcaster, "too_many_connections", _TOO_MANY)
        return
    left = principal.seconds_left()
    expires = math.inf if left is None else trio.current_time() + left
    tally = _Tally(trio.current_time())
    try:
        try:
            async with broadcaster.subscribe_sessions(session_ids, last_event_id) as sub:
                tally.connected(session_id, user, last_event_id, sub)
                if on_open is not None:
                    on_open()
                yield encode_retry(retry) + _connection(broadcaster, "connected", session_ids, user)
                if sink is not None and until is None:
                    sub.attach(sink)
                sent = trio.current_time()  # when the stream last sent something
                while tally.outcome == "client_gone":
                    quiet = max(sent, sub.last_active) + keepalive  # (direct writes move it)
                    try:
                        chunk = await sub.receive_batch(min(quiet, expires))
                    except trio.EndOfChannel:
                        tally.outcome = sub.ended_by or "closed_by_hub"
                        break
                    if chunk:
                        yield chunk
                        sent = trio.current_time()
                        if until is not None and until(chunk):
                            tally.outcome = "complete"
                    elif trio.current_time() >= expires:
                        tally.outcome = "token_expired"
                    elif trio.current_time() >= max(sent, sub.last_active) + keepalive:
                        yield broadcaster.encode_ephemeral(SSEEventBuilder.keepalive())
                        sent = trio.current_time()
        except BackplaneUnavailable as error:  # (only subscribing reads the backplane)
            log.debug("stream of %s not opened: %s", session_id, str(error))
            tally.outcome = "backplane_unavailable"
            raise
        yield _ending(broadcaster, tally.outcome, session_ids, user)
    except trio.TooSlowError:  # a write did not complete in time (here, or thrown in at a yield)
        tally.outcome = "too_slow"
        raise
    finally:
        if tally.sub is not None and tally.sub.ended_by is not None:
            # (the hub ended it first: its end not taken in time, or the client gone before
            # it, are not why it ended)
            tally.outcome = tally.sub.ended_by
        connections.release(user)
        tally.log(session_id, user)
