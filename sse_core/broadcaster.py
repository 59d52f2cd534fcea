"""The broadcaster: publish (validate, encode once, store, fan out), subscribe and resume,
expiry and cleanup, stats, and the lifecycle that owns every task it starts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any

import trio

from protocol import Catalogue, build_envelope, builtin, encode_envelope, utc_now

from . import current
from .alarms import Alarms
from .backplane import Backplane, BackplaneUnavailable, MemoryBackplane
from .builders import SSEEventBuilder
from .config import BroadcasterConfig
from .events import Draft, HistoryPage, ResetReason, StoredEvent
from .idempotency import AlreadyRecorded, Claim, check
from .inputs import EventInput, check_session_id, draft_of, drafts_of
from .session import Session
from .stats import hub_stats, session_stats
from .subscription import Subscribed, Subscription, with_session_id

logger = logging.getLogger("sluice.core")


class Broadcaster:
    """Sessions of ordered events, fanned out to bounded subscribers; the guide's
    ``EnhancedSSEBroadcaster``.

    Run it with ``async with Broadcaster(config) as broadcaster:`` (or
    :func:`~sse_core.current.open_broadcaster`), which runs its cleanup loop and backplane tasks
    and ends them all on exit; built without ``async with`` (the guide's
    ``EnhancedSSEBroadcaster(config)``) it refuses to publish or subscribe, with a
    ``RuntimeError`` that says so. Methods are called from trio tasks of the same run. None of
    them ever waits on a subscriber: a subscriber whose queue is full is cut off with
    ``stream_overflow``. After :meth:`shutdown` (or the end of the block) every subscription's
    stream has ended and publishing or subscribing raises ``RuntimeError``.
    """

    def __init__(
        self,
        config: BroadcasterConfig | None = None,
        backplane: Backplane | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.config = config if config is not None else BroadcasterConfig()
        self.backplane = backplane if backplane is not None else MemoryBackplane()
        #: The event types this hub accepts (the built-in ones unless given a team's catalogue).
        self.catalogue = catalogue if catalogue is not None else builtin()
        self._sessions: dict[str, Session] = {}
        self._published = 0
        self._delivered = 0
        self._overflowed = 0
        self._deduplicated = 0
        self._open = False
        self._closed = False
        self._background = trio.CancelScope()
        self._alarms = Alarms()
        self._stopped = trio.Event()
        self._running: AbstractAsyncContextManager[Broadcaster] | None = None

    @property
    def epoch(self) -> str:
        """Identifies this hub run (the backplane's epoch); part of every event id."""
        return self.backplane.epoch

    # --- publish ---------------------------------------------------------------------------

    async def publish(
        self,
        session_id: str,
        event: EventInput,
        ttl: float | None = None,
        *,
        claim: Claim | None = None,
    ) -> str:
        """Validate ``event``, give it an id, keep it in history, send it to every subscriber.

        ``event`` is a ``protocol.models`` event or a dict ``{"type", "data", "ttl"?}``;
        ``ttl`` (seconds in history) overrides the event's own. Returns the event's id.
        Raises, and then nothing is stored or sent: :class:`~sse_core.EventTooLarge` for an
        event over ``max_event_bytes`` as JSON; ``protocol.InvalidEvent`` listing every
        problem (a JSON value that is not an object is one, at pointer ``""``; so is a type
        only the hub sends, ``connection``, ``keepalive``, ``stream_overflow`` or
        ``stream_reset``, at ``/type``);
        ``TypeError`` for a Python object that is neither a model nor a mapping, or a value
        JSON cannot hold; ``ValueError`` for a malformed session id; ``RuntimeError`` when
        not open.

        A checkpoint; never waits on a subscriber (a full one is cut off). With the memory
        backplane a publish cancelled at its checkpoint publishes nothing, and one past it
        completes. The hub keeps ``data`` as given: do not change it after publishing.

        With a ``claim`` (a request's Idempotency-Key, see :mod:`sse_core.idempotency`) a
        repeat publishes nothing and returns the first one's id (counted as deduplicated);
        one with a different request raises :class:`~sse_core.idempotency.KeyReused`.
        """
        self._require_open()
        check_session_id(session_id)
        draft = draft_of(event, ttl, utc_now(), self.catalogue, self.config.max_event_bytes)
        (event_id,) = await self._append(session_id, [draft], claim)
        return event_id

    async def publish_many(
        self,
        session_id: str,
        events: Sequence[EventInput],
        ttl: float | None = None,
        *,
        claim: Claim | None = None,
    ) -> list[str]:
        """Publish ``events`` in order, all or nothing; returns their ids.

        Every event is measured and validated first; ``EventTooLarge`` lists each event too
        large, else ``InvalidEvent`` the problems of all of them, each pointer prefixed with
        the event's index (``/2/data/progress``). Otherwise as :meth:`publish` (``claim`` too).
        """
        self._require_open()
        check_session_id(session_id)
        drafts = drafts_of(events, ttl, utc_now(), self.catalogue, self.config.max_event_bytes)
        return await self._append(session_id, drafts, claim)

    def check_event(self, event: EventInput, ttl: float | None = None) -> None:
        """Raise what :meth:`publish` would raise for ``event`` (``EventTooLarge``,
        ``InvalidEvent``, ``TypeError``), and publish nothing: to refuse work whose events
        could not be published before starting it. Not a checkpoint."""
        draft_of(event, ttl, utc_now(), self.catalogue, self.config.max_event_bytes)

    async def _append(self, session_id: str, drafts: list[Draft], claim: Claim | None) -> list[str]:
        """Append ``drafts``; with a ``claim`` already recorded, its ids instead."""
        try:
            return await self.backplane.append(session_id, drafts, claim)
        except AlreadyRecorded as repeat:
            assert claim is not None
            ids = list(check(claim, repeat.recorded))
            self._session(session_id).deduplicated += 1
            self._deduplicated += 1
            return ids

    async def broadcast_event(self, session_id: str, event: EventInput) -> str:
        """The guide's name for :meth:`publish` (``ttl`` from the dict's ``"ttl"`` key)."""
        return await self.publish(session_id, event)

    def encode_ephemeral(self, event: EventInput) -> bytes:
        """The frame of an event kept out of history (``connection``, ``keepalive``).

        Validated like a published event (not held to ``max_event_bytes``: the hub's own
        frames); its envelope has id ``""`` (so no ``id:`` line and the client's last event id
        stays) and a fresh timestamp; ``ttl`` is dropped.
        """
        draft = draft_of(event, None, utc_now(), self.catalogue, kept=False)
        return encode_envelope(
            build_envelope(draft.type, draft.data, id="", timestamp=draft.timestamp)
        )

    def _deliver(self, session_id: str, events: Sequence[StoredEvent]) -> None:
        """The backplane's sink: count the events and fan them out to local subscribers."""
        session = self._session(session_id)
        count = len(events)
        session.published += count
        self._published += count
        queued, cut = session.fan_out(events)
        session.delivered += queued
        self._delivered += queued
        for subscription, last_id in cut:
            self._cut_off(session, subscription, last_id)

    def _interrupt(self, epoch: str | None) -> int:
        """The backplane's interrupt: end every stream read in another epoch than ``epoch``
        (all when None) after what is queued; returns how many were ended."""
        stale = {
            subscription
            for session in self._sessions.values()
            for subscription in session.subscribers
            # one still reading its history learns the epoch when that returns
            if subscription.epoch is not None and (epoch is None or subscription.epoch != epoch)
        }
        for subscription in stale:
            self._unregister(subscription)
            subscription._end("backplane_unavailable" if epoch is None else None)
        return len(stale)

    def _cut_off(self, session: Session, subscription: Subscription, last_id: str | None) -> None:
        if len(subscription.session_ids) > 1:
            self._unregister(subscription)
            last_id = subscription.last_offered_id
        overflow = SSEEventBuilder.stream_overflow(
            session_id=session.id,
            max_queue_size=self.config.max_queue_size,
            last_event_id=last_id,
        )
        subscription._cut_off(self.encode_ephemeral(overflow))
        session.overflowed += 1
        self._overflowed += 1
        logger.warning(
            "subscriber of session %s cut off: %d frames queued and not read",
            session.id,
            self.config.max_queue_size,
        )

    # --- subscribe -------------------------------------------------------------------------

    def subscribe(
        self, session_id: str, last_event_id: str | None = None
    ) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to ``session_id`` for the duration of the block.

        Without ``last_event_id`` (or with ``""``) the stream starts with the history held,
        then live events. With it, exactly the events after that id, then live ones, with no
        duplicate and no gap; if history cannot cover it the stream starts with
        ``stream_reset`` and then what history holds. The subscription is removed on leaving
        the block however it is left (cancellation included); holds no cancel scope, so a
        generator may yield inside the block.
        """
        return Subscribed(self, (session_id,), last_event_id)

    def subscribe_sessions(
        self, session_ids: Sequence[str], last_event_id: str | None = None
    ) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to several sessions on one stream for the duration of the block.

        As :meth:`subscribe`, with every frame's envelope naming its session in a top-level
        ``sessionId``. Ids share one sequence, so one ``last_event_id`` resumes them all: for
        each session, exactly its events after that position (``stream_reset`` naming the
        session first, when it cannot); history then live events in the order published.
        ``max_queue_size`` bounds the stream as a whole. Raises ``ValueError`` for no
        sessions, a repeated one, or a malformed id.
        """
        return Subscribed(self, tuple(session_ids), last_event_id)

    async def add_subscriber(
        self, session_id: str, last_event_id: str | None = None
    ) -> Subscription:
        """The guide's form of :meth:`subscribe`: pair it with :meth:`remove_subscriber`.

        A checkpoint. The subscription is registered before history is read, so nothing
        published meanwhile is missed; live events the replay already covered are dropped.
        Cancelled, it leaves nothing registered.
        """
        return await self._add((session_id,), last_event_id)

    async def _add(self, session_ids: tuple[str, ...], last_event_id: str | None) -> Subscription:
        """Register a subscription to ``session_ids``, then serve it the history it missed."""
        self._require_open()
        for session_id in session_ids:
            check_session_id(session_id)
        if not session_ids or len(set(session_ids)) < len(session_ids):
            raise ValueError(f"sessions must be one or more, each once: {session_ids!r}")
        several = len(session_ids) > 1
        subscription = Subscription(session_ids, self.config.max_queue_size, self._alarms)
        for session_id in session_ids:
            session = self._session(session_id)
            offer = session.offer_to(subscription) if several else subscription.offer
            session.subscribers[subscription] = offer
        try:
            if several:
                pages = await self.backplane.replay_sessions(session_ids, last_event_id or None)
            else:
                (only,) = session_ids
                pages = {only: await self.backplane.replay(only, last_event_id or None)}
        except BaseException:
            self._detach(subscription)
            raise
        self._catch_up(subscription, pages, last_event_id)
        if any(page.epoch != self.backplane.epoch for page in pages.values()):
            subscription._end()  # the epoch changed while history was read
        return subscription

    def _catch_up(
        self, subscription: Subscription, pages: dict[str, HistoryPage], last_event_id: str | None
    ) -> None:
        """Queue the catch-up of ``pages`` to ``subscription``: a ``stream_reset`` for each
        session that needs one, then the history (see :meth:`Subscription._catch_up`)."""
        resets: list[bytes] = []
        for session_id, page in pages.items():
            subscription.epoch = page.epoch
            if page.reset_reason is not None:
                subscription.reset_reasons[session_id] = page.reset_reason
                frame = self._reset_frame(session_id, page.reset_reason, last_event_id)
                resets.append(frame if len(pages) == 1 else with_session_id(frame, session_id))
        subscription.reset_reason = next(iter(subscription.reset_reasons.values()), None)
        subscription._catch_up(resets, pages)

    async def remove_subscriber(self, session_id: str, subscription: Subscription) -> None:
        """End and remove a subscription made by :meth:`add_subscriber` (a checkpoint)."""
        self._detach(subscription)
        await trio.lowlevel.checkpoint()

    def _reset_frame(
        self, session_id: str, reason: ResetReason, last_event_id: str | None
    ) -> bytes:
        reset = SSEEventBuilder.stream_reset(
            reason=reason,
            session_id=session_id,
            last_event_id=last_event_id if last_event_id and len(last_event_id) <= 1024 else None,
        )
        return self.encode_ephemeral(reset)

    def _detach(self, subscription: Subscription) -> None:
        self._unregister(subscription)
        subscription._discard()

    def _unregister(self, subscription: Subscription) -> None:
        """Remove ``subscription`` from the subscribers of each of its sessions."""
        for session_id in subscription.session_ids:
            session = self._sessions.get(session_id)
            if session is not None and session.subscribers.pop(subscription, None) is not None:
                session.last_activity = trio.current_time()

    # --- history ---------------------------------------------------------------------------

    async def events_after(
        self, session_id: str, after: str | None = None, limit: int = 100
    ) -> HistoryPage:
        """Up to ``limit`` held events after the id ``after`` (from the oldest when None),
        oldest first, with a reset reason when history cannot cover ``after``: the polling
        fallback. A checkpoint."""
        check_session_id(session_id)
        return await self.backplane.replay(session_id, after or None, limit)

    async def get_event_history(self, session_id: str, limit: int = 50) -> list[StoredEvent]:
        """The newest ``limit`` held events of the session, oldest first. A checkpoint."""
        check_session_id(session_id)
        return await self.backplane.recent(session_id, limit)

    # --- sessions --------------------------------------------------------------------------

    def sessions(self) -> list[str]:
        """The ids of the sessions this hub holds, sorted."""
        return sorted(self._sessions)

    async def create_session(self, session_id: str) -> None:
        """Make the session known (it then lives ``session_ttl`` without activity)."""
        check_session_id(session_id)
        self._session(session_id)
        await trio.lowlevel.checkpoint()

    async def clear_session(self, session_id: str, *, close_subscribers: bool = False) -> None:
        """Drop the session's history; its subscribers stay connected unless
        ``close_subscribers``, which ends their streams after what is queued."""
        check_session_id(session_id)
        await self.backplane.clear(session_id)
        session = self._sessions.get(session_id)
        if session is not None and close_subscribers:
            self._end_all(session)

    def _session(self, session_id: str) -> Session:
        """The session, made if new; its activity time set to now."""
        now = trio.current_time()
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session(session_id, now)
        else:
            session.last_activity = now
        return session

    def _end_all(self, session: Session) -> None:
        for subscription in list(session.subscribers):
            self._unregister(subscription)
            subscription._end()

    # --- stats -----------------------------------------------------------------------------

    async def get_stats(self) -> dict[str, Any]:
        """Totals and per-session figures in the shape of ``schemas/rest/stats.json``."""
        await trio.lowlevel.checkpoint()
        counts = {
            "published": self._published,
            "delivered": self._delivered,
            "overflowed": self._overflowed,
            "deduplicated": self._deduplicated,
        }
        return hub_stats(self._sessions, self.backplane, counts)

    def session_stats(self, session_id: str) -> dict[str, Any]:
        """One session's figures in the shape of ``schemas/rest/session-stats.json``
        (``active`` False and zeros for a session the hub does not hold)."""
        check_session_id(session_id)
        return session_stats(session_id, self._sessions.get(session_id), self.backplane)

    # --- cleanup and lifecycle -------------------------------------------------------------

    async def cleanup(self) -> None:
        """One cleanup pass: drop expired events, close subscribers idle for
        ``max_subscriber_idle_time``, remove sessions without subscribers that saw no
        activity for ``session_ttl``. The cleanup loop runs it every ``cleanup_interval``."""
        await self.backplane.expire()
        now = trio.current_time()
        idle_limit = self.config.max_subscriber_idle_time
        for session in list(self._sessions.values()):
            if self._sessions.get(session.id) is not session:
                continue  # removed while an earlier session was being forgotten
            idle = [s for s in session.subscribers if now - s.last_active >= idle_limit]
            for subscription in idle:
                self._unregister(subscription)
                subscription._end()
            if idle:
                session.last_activity = now
                logger.info("closed %d idle subscribers of session %s", len(idle), session.id)
            elif not session.subscribers and now - session.last_activity >= self.config.session_ttl:
                del self._sessions[session.id]
                await self.backplane.forget(session.id)
                logger.info("session %s expired", session.id)

    async def _cleanup_loop(self) -> None:
        while True:
            await trio.sleep(self.config.cleanup_interval)
            try:
                await self.cleanup()
            except BackplaneUnavailable as error:  # the next pass tries again
                # (the backplane says once that it is out of reach: a line per pass would
                # repeat it every cleanup_interval for as long as the outage lasts)
                logger.debug("cleanup pass skipped: %s", str(error))

    async def _serve(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Run the backplane, the cleanup loop and the subscriptions' alarms until
        :meth:`shutdown`."""
        try:
            with self._background:
                async with trio.open_nursery() as nursery:
                    await nursery.start(
                        self.backplane.run, self.config, self._deliver, self._interrupt
                    )
                    self._open = True
                    nursery.start_soon(self._cleanup_loop)
                    nursery.start_soon(self._alarms.run)
                    task_status.started()
        finally:
            self._stopped.set()

    async def shutdown(self) -> None:
        """End every subscription's stream (after what is queued) and stop the background
        tasks, returning once they are done; later publishes and subscribes raise
        ``RuntimeError``. Idempotent; a checkpoint."""
        self._close()
        if self._open:
            await self._stopped.wait()
        else:
            await trio.lowlevel.checkpoint()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for session in self._sessions.values():
            self._end_all(session)
        self._background.cancel()
        logger.info("broadcaster shut down")

    def _require_open(self) -> None:
        if self._closed:
            raise RuntimeError("the broadcaster is shut down")
        if not self._open:
            raise RuntimeError(f"this broadcaster is not open: {current.HOW_TO_OPEN}")

    async def __aenter__(self) -> Broadcaster:
        """Run: the backplane and the cleanup loop in a nursery of its own, until the block
        ends; inside it this is what :func:`~sse_core.get_sse_broadcaster` returns. A
        broadcaster runs once."""
        if self._open or self._closed:
            raise RuntimeError("a broadcaster runs once: make a new one")
        self._running = self._run()
        return await self._running.__aenter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        """Shut down (normally, by an exception or by cancellation): every subscription's
        stream ends and every task it started is done before the block exits."""
        assert self._running is not None, "__aexit__ without __aenter__"
        return await self._running.__aexit__(kind, error, traceback)

    @asynccontextmanager
    async def _run(self) -> AsyncIterator[Broadcaster]:
        async with trio.open_nursery() as nursery:
            await nursery.start(self._serve)
            token = current.opened(self)
            try:
                yield self
            finally:
                current.closed(self, token)
                self._close()


#: The guide's name for :class:`Broadcaster`.
EnhancedSSEBroadcaster = Broadcaster
