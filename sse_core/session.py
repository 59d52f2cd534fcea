"""A session as this process sees it: its subscribers, its counters, and the fan-out loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import trio

from .events import StoredEvent
from .subscription import SessionEvent, Subscription


class Session:
    """The local state of one session; the broadcaster owns it.

    ``subscribers`` maps each subscription to its non-blocking ``offer``. Counters:
    ``published`` events delivered here, ``delivered`` frames queued to subscribers,
    ``overflowed`` subscribers cut off, ``deduplicated`` publishes answered from an
    Idempotency-Key's record. ``last_activity`` (``trio.current_time()``) moves on
    every event and every subscriber arriving or leaving; ``last_id`` is the newest event's.
    A subscription to several sessions is a subscriber of each (see :meth:`offer_to`).
    """

    __slots__ = (
        "_tagged",
        "deduplicated",
        "delivered",
        "id",
        "last_activity",
        "last_id",
        "overflowed",
        "published",
        "subscribers",
    )

    def __init__(self, session_id: str, now: float) -> None:
        self.id = session_id
        self.subscribers: dict[Subscription, Callable[[StoredEvent], None]] = {}
        self.published = 0
        self.delivered = 0
        self.overflowed = 0
        self.deduplicated = 0
        self.last_activity = now
        self.last_id: str | None = None
        self._tagged: tuple[StoredEvent, SessionEvent] | None = None

    def offer_to(self, subscription: Subscription) -> Callable[[StoredEvent], None]:
        """The ``offer`` of a subscription to several sessions, for this one: it queues the
        event with this session's id in its envelope (framed once for all such subscribers)
        and records the event's id as the last the subscription took."""

        def offer(event: StoredEvent) -> None:
            tagged = self._tagged
            if tagged is None or tagged[0] is not event:
                tagged = self._tagged = (event, SessionEvent(event, self.id))
            subscription._offer(tagged[1])
            subscription.last_offered_id = event.id

        return offer

    def fan_out(
        self, events: Sequence[StoredEvent]
    ) -> tuple[int, list[tuple[Subscription, str | None]]]:
        """Queue each event, in order, to every subscriber without waiting; then hand what
        each subscriber writing through a sink got to its sink, in one write.

        Returns the number of frames queued and the subscribers whose channel was full, each
        with the id of the last event queued to it; those are removed from ``subscribers``
        (the caller cuts them off). The same frame object goes to everyone.
        """
        subscribers = self.subscribers
        queued = 0
        cut: list[tuple[Subscription, str | None]] = []
        for event in events:
            full: list[Subscription] = []
            for subscription, offer in subscribers.items():
                try:
                    offer(event)
                except trio.WouldBlock:
                    full.append(subscription)
            queued += len(subscribers) - len(full)
            for subscription in full:
                del subscribers[subscription]
                cut.append((subscription, self.last_id))
            self.last_id = event.id
        now = trio.current_time()
        for subscription in subscribers:  # those writing through a sink: all of it at once
            if subscription._direct is not None:
                subscription._write_through(now)
        return queued, cut
