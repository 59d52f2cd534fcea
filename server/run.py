"""Serving the app on Hypercorn's trio worker, with a shutdown that ends every stream cleanly.

Hypercorn runs the lifespan shutdown only after every connection has ended, so the hub cannot
wait for it: the shutdown trigger closes the hub itself. Background work is cancelled, the
broadcaster shuts down, each stream sends its final frame and ends with a clean chunked end,
and Hypercorn returns well within the graceful timeout.
"""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import Awaitable, Callable

import trio
from hypercorn.config import Config
from hypercorn.trio import serve as hypercorn_serve

from . import logs
from .context import SluiceApp
from .settings import Settings

log = logging.getLogger("sluice.server")


def hypercorn_config(settings: Settings) -> Config:
    """Hypercorn's configuration: the bind, the graceful timeout, logs (the access log only
    when its level lets it through), and no read timeout."""
    config = Config()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    config.bind = [f"{host}:{settings.port}"]
    config.graceful_timeout = settings.graceful_timeout
    config.read_timeout = None  # a stream's client sends nothing after its request
    access = logging.getLogger("hypercorn.access")
    # Hypercorn builds every access line's fields (all headers, the whole environment) before
    # the logger filters it: without a logger that would write them, give it none.
    config.accesslog = access if access.isEnabledFor(logging.INFO) else None
    config.errorlog = logging.getLogger("hypercorn.error")
    return config


async def serve(
    app: SluiceApp,
    shutdown_trigger: Callable[[], Awaitable[None]],
    *,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` returns; reports the bound URLs when listening.

    When the trigger returns the hub is closed first (streams get their final frame and end),
    then Hypercorn finishes the remaining requests within the graceful timeout.
    """

    async def trigger() -> None:
        await shutdown_trigger()
        logs.event(
            log, "shutdown", open_streams=(await app.hub.broadcaster.get_stats())["subscribers"]
        )
        await app.hub.close()

    config = hypercorn_config(app.settings)
    await hypercorn_serve(app, config, shutdown_trigger=trigger, task_status=task_status)


def tune_collector(threshold: int) -> None:
    """Collect the youngest generation every ``threshold`` allocations (0: Python's default)
    and freeze what is alive now (modules, schemas, the hub) out of every later collection.

    When a publish wakes every subscriber at once, a thousand half-finished sends are alive
    together; at Python's default (2,000) the collector then ran for a quarter of the CPU.
    Call once, when the server has started; it is process-wide.
    """
    if threshold:
        gc.set_threshold(threshold, *gc.get_threshold()[1:])
    gc.freeze()


async def serve_until_signalled(app: SluiceApp) -> None:
    """Serve ``app`` until SIGINT or SIGTERM (caught from the start, never a traceback), with
    the collector tuned (:func:`tune_collector`) once it listens."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:

        async def signalled() -> None:
            async for signum in signals:
                logs.event(log, "signal", signal=signal.Signals(signum).name)
                return

        async with trio.open_nursery() as nursery:
            await nursery.start(serve, app, signalled)
            tune_collector(app.settings.gc_threshold)
