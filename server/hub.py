"""The running server's state: the broadcaster, auth, limits, the agent and background work.

:func:`run_hub` owns it all: it opens the broadcaster and a nursery for background work (agent
runs), reports the :class:`Hub` through ``task_status``, and runs until :meth:`Hub.close`. Closing
cancels the background work first (each run reports its cancellation), then shuts the
broadcaster down, which ends every open stream with a clean final frame.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import attrs
import trio

from protocol import Catalogue
from sse_core import Backplane, Broadcaster, MemoryBackplane, open_broadcaster
from sse_core.redis_backplane import RedisBackplane

from . import logs
from .agent import Agent
from .security.auth import Authenticator, Principal
from .security.cors import CorsPolicy
from .security.limits import ConnectionCounter
from .settings import Settings
from .streaming.body import event_stream

log = logging.getLogger("sluice.server")


@attrs.define(eq=False)
class Hub:
    """What routes work with; created by :func:`run_hub`, alive while the app serves."""

    settings: Settings
    broadcaster: Broadcaster
    authenticator: Authenticator
    agent: Agent
    connections: ConnectionCounter
    _work: trio.Nursery
    _stop: trio.Event = attrs.field(factory=trio.Event)
    _closed: trio.Event = attrs.field(factory=trio.Event)
    #: Set when the hub stopped on its own (its broadcaster failed); ``failure`` says why.
    failed: trio.Event = attrs.field(factory=trio.Event)
    failure: str | None = None
    cors: CorsPolicy = attrs.field(
        default=attrs.Factory(
            lambda hub: CorsPolicy(hub.settings.cors_origins, hub.settings.public_origin),
            takes_self=True,
        )
    )

    @property
    def closing(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._stop.is_set()

    def start_soon(self, name: str, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` as background work; a failure is logged, never propagated.

        ``fn`` is an async function, called here: a ``TypeError`` is raised at once, in the
        caller, when it is something else (a coroutine, ``fn(*args)`` passed for ``fn, *args``;
        a plain function, whose result cannot be awaited), as ``trio``'s own ``start_soon`` does,
        rather than logged later as a failure of work that never ran.
        """
        if inspect.isawaitable(fn):
            if inspect.iscoroutine(fn):
                fn.close()  # never run: no "was never awaited" warning besides this error
            raise TypeError(
                f"background work {name!r} takes an async function and its arguments "
                f"(fn, *args), not an awaitable such as fn(*args): got {fn!r}"
            )
        work = fn(*args)
        if not inspect.isawaitable(work):
            raise TypeError(
                f"background work {name!r} takes an async function: {fn!r} returned "
                f"{type(work).__name__}, which cannot be awaited"
            )

        async def guarded() -> None:
            try:
                await work
            except Exception as error:
                logs.event(log, "task_error", logging.ERROR, task=name, error=repr(error))

        try:
            self._work.start_soon(guarded, name=name)
        except BaseException:
            if inspect.iscoroutine(work):
                work.close()
            raise

    def stream(
        self,
        session_ids: tuple[str, ...],
        principal: Principal,
        last_event_id: str | None,
        **options: Any,
    ) -> AsyncGenerator[bytes]:
        """The body of ``principal``'s stream of ``session_ids`` (one session, or several on
        one stream; see :func:`~server.streaming.body.event_stream`, which takes ``options``)."""
        return event_stream(
            self.broadcaster,
            self.connections,
            session_ids=session_ids,
            principal=principal,
            last_event_id=last_event_id,
            keepalive=self.settings.keepalive,
            retry=self.settings.retry,
            **options,
        )

    async def close(self) -> None:
        """Cancel background work, then end every stream; returns once both are done."""
        self._stop.set()
        with trio.move_on_after(self.settings.graceful_timeout):
            await self._closed.wait()


def backplane(settings: Settings) -> Backplane:
    """The backplane the settings name: in memory, or shared through Redis Streams.

    With Redis, coredis's own log goes down to warnings: it logs every dropped connection
    (with an empty traceback), and each connection attempt cut off (with a traceback; while
    Redis stalls, one per retry), while the backplane says once that Redis went and once that
    it is back.
    """
    if settings.backplane == "redis":
        coredis_log = logging.getLogger("coredis")
        coredis_log.setLevel(logging.WARNING)
        coredis_log.addFilter(_not_a_cut_off_attempt)  # (added once)
        return RedisBackplane(
            settings.redis_url, prefix=settings.redis_prefix, timeout=settings.redis_timeout
        )
    return MemoryBackplane()


def _not_a_cut_off_attempt(record: logging.LogRecord) -> bool:
    """False for coredis's line about a connection attempt that failed (or was cut off by a
    deadline) after connecting: the backplane reports Redis out of reach itself."""
    return record.msg != "Connection attempt failed unexpectedly!"


async def run_hub(
    settings: Settings,
    authenticator: Authenticator,
    agent: Agent,
    catalogue: Catalogue | None = None,
    *,
    task_status: trio.TaskStatus[Hub] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Open the broadcaster (validating against ``catalogue``, the built-in event types unless
    given one), report the :class:`Hub` and run until it is closed.

    What keeps it from opening is raised to the starter. Once open, a failure of the
    broadcaster (a task it runs raised) is not raised: it is logged once, with its traceback,
    as ``hub_failed``, the hub counts as closing (``/readyz`` is not ready) and
    :attr:`Hub.failed` is set, so that the server stops (a process without its hub would
    refuse everything for good while looking alive).
    """
    config = settings.broadcaster_config()
    hub: Hub | None = None
    try:
        async with open_broadcaster(config, backplane(settings), catalogue) as broadcaster:
            async with trio.open_nursery() as work:
                hub = Hub(
                    settings,
                    broadcaster,
                    authenticator,
                    agent,
                    ConnectionCounter(settings.max_connections_per_user, settings.max_streams),
                    work,
                )
                task_status.started(hub)
                await hub._stop.wait()
                work.cancel_scope.cancel()
            await broadcaster.shutdown()
    except Exception as error:
        if hub is None:
            raise
        cause: BaseException = error
        while isinstance(cause, BaseExceptionGroup) and len(cause.exceptions) == 1:
            cause = cause.exceptions[0]  # (the nurseries in between wrap it)
        hub.failure = f"the hub stopped: {cause!r}"
        log.error("hub_failed", exc_info=error, extra={"event": "hub_failed", "fields": {}})
        hub._stop.set()
        hub.failed.set()
    finally:
        if hub is not None:
            hub._closed.set()
