"""Serving the app: Hypercorn's trio worker behind the stream front, and a clean shutdown.

The listeners, the lifespan and the graceful shutdown are Hypercorn's trio worker's (its pieces
in :mod:`server.serving.hypercorn_worker`), arranged so that each accepted connection goes to
:class:`~server.streaming.front.Front` (which answers the streams of new connections itself and
hands every other connection to Hypercorn's connection handler).

The lifespan shutdown runs only after every connection has ended, so the hub cannot wait for
it: the shutdown trigger closes the hub itself. Background work is cancelled, the broadcaster
shuts down, each stream sends its final frame and ends with a clean chunked end, and the
server returns well within the graceful timeout.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
from collections.abc import Awaitable, Callable

import attrs
import trio
from hypercorn.config import Config

from .. import logs
from ..settings import Settings
from ..streaming.front import Front
from ..web.context import SluiceApp
from .hypercorn_worker import Worker, repr_socket_addr
from .sockets import LISTENERS, listen_backlog, serve_sockets

log = logging.getLogger("sluice.server")


class StartupFailed(Exception):
    """The hub could not open (its backplane out of reach, say): the message says why."""


class HubFailed(Exception):
    """The hub stopped on its own while serving (its broadcaster failed; logged as
    ``hub_failed`` with the traceback): the server shut down, and the message says why."""


def bind(settings: Settings, *, share: bool = False) -> socket.socket:
    """A TCP socket bound to the settings' host and port, not yet listening (as Hypercorn
    binds its own: ``TCP_NODELAY``, ``SO_REUSEADDR``, non-blocking); with ``SO_REUSEPORT``
    when ``share`` is true or there are several workers (see :mod:`server.serving.workers`).

    Raises :class:`StartupFailed` naming the address when it cannot be bound (in use, say).
    """
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share or settings.workers > 1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((settings.host, settings.port))
        sock.setblocking(False)
    except OSError as error:
        sock.close()
        address = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
        raise StartupFailed(
            f"cannot listen on {address}:{settings.port}: {error.strerror}"
        ) from None
    return sock


def claim_port(settings: Settings) -> int:
    """The settings' port (port 0: a free one), once the address is bound alone, without
    ``SO_REUSEPORT``: an address another process listens on (or holds, with or without
    sharing) fails here, as it would without sharing, before this process shares it between its
    own sockets or workers. Raises :class:`StartupFailed` naming the address."""
    with bind(attrs.evolve(settings, workers=1)) as alone:
        port: int = alone.getsockname()[1]
        return port


def bind_listeners(settings: Settings) -> list[socket.socket]:
    """The sockets this process listens on, bound and not yet listening: where connections are
    spread over several sockets of one address (:data:`~server.serving.sockets.LISTENERS`, with
    ``SO_REUSEPORT``), that many; else one.

    With one worker the port is first claimed (:func:`claim_port`); a worker of several binds
    the port its supervisor claimed. Raises :class:`StartupFailed` naming the address.
    """
    if LISTENERS == 1:
        return [bind(settings)]
    port = settings.port if settings.workers > 1 else claim_port(settings)
    shared = attrs.evolve(settings, port=port)
    with contextlib.ExitStack() as closing:
        sockets = [closing.enter_context(bind(shared, share=True)) for _ in range(LISTENERS)]
        closing.pop_all()
    return sockets


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
    config.logger_class = logs.HypercornLogger  # one access line per request
    return config


async def serve(
    app: SluiceApp,
    shutdown_trigger: Callable[[], Awaitable[None]],
    *,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` returns; reports the bound URLs when listening.

    When the trigger returns the hub is closed first (streams get their final frame and end),
    then the remaining connections have the graceful timeout to finish. A hub that stops on
    its own shuts the server down the same way, then raises :class:`HubFailed`.
    """
    config = hypercorn_config(app.settings)
    sockets = bind_listeners(app.settings)  # first: an address in use is all that is printed
    vary = [("Vary", "Origin")] if app.settings.cors_origins else []  # (see CorsPolicy)
    worker = Worker(app, config, vary)
    with contextlib.ExitStack() as closing:
        for sock in sockets:
            closing.callback(sock.close)
        await _serve_on(app, worker, sockets, shutdown_trigger, task_status)


async def _serve_on(
    app: SluiceApp,
    worker: Worker,
    sockets: list[socket.socket],
    shutdown_trigger: Callable[[], Awaitable[None]],
    task_status: trio.TaskStatus[list[str]],
) -> None:
    """:func:`serve` on bound ``sockets``."""
    config = worker.config
    async with worker.lifespan():
        if app.startup_error is not None:
            raise StartupFailed(app.startup_error)
        front = Front(
            app.hub,
            worker.serve_connection,
            config,
            worker.connection_state,
            app.settings.send_timeout,
            app.settings.max_body_bytes,
        )
        async with trio.open_nursery() as connections:
            for sock in sockets:
                sock.listen(listen_backlog())
            async with trio.open_nursery() as accepting:
                accepting.start_soon(serve_sockets, front, sockets, connections)
                urls = list(
                    dict.fromkeys(
                        f"http://{repr_socket_addr(s.family, s.getsockname())}" for s in sockets
                    )
                )
                for url in urls:
                    await config.log.info(f"Running on {url} (CTRL + C to quit)")
                task_status.started(urls)
                await _first(shutdown_trigger, app.hub.failed.wait)
                accepting.cancel_scope.cancel()
            logs.event(
                log,
                "shutdown",
                open_streams=(await app.hub.broadcaster.get_stats())["subscribers"],
            )
            await app.hub.close()
            await worker.terminate()
            connections.cancel_scope.deadline = trio.current_time() + config.graceful_timeout
    if app.hub.failure is not None:
        raise HubFailed(app.hub.failure)


async def _first(*waits: Callable[[], Awaitable[None]]) -> None:
    """Return once the first of ``waits`` has returned (the others are cancelled)."""
    async with trio.open_nursery() as race:
        for wait in waits:

            async def until(wait: Callable[[], Awaitable[None]] = wait) -> None:
                await wait()
                race.cancel_scope.cancel()

            race.start_soon(until)


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


async def serve_until_signalled(app: SluiceApp, parent: int | None = None) -> None:
    """Serve ``app`` until SIGINT or SIGTERM (caught from the start, never a traceback), with
    the collector tuned (:func:`tune_collector`) once it listens.

    ``parent`` is, in a worker of ``--workers N``, a file descriptor that becomes readable when
    the supervising parent has ended (its ``multiprocessing`` sentinel): the worker then shuts
    down as on SIGTERM, logging ``supervisor_gone``, rather than serve on as an orphan that
    holds the port (a parent killed with SIGKILL cannot pass a signal on).
    """
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:

        async def on_signal() -> None:
            async for signum in signals:
                logs.event(log, "signal", signal=signal.Signals(signum).name)
                return

        async def on_parent_gone() -> None:
            if parent is None:
                await trio.sleep_forever()
                return
            await trio.lowlevel.wait_readable(parent)
            logs.event(
                log,
                "supervisor_gone",
                logging.WARNING,
                detail="the supervising process ended: shutting down",
            )

        async def signalled() -> None:
            await _first(on_signal, on_parent_gone)

        async with trio.open_nursery() as nursery:
            await nursery.start(serve, app, signalled)
            tune_collector(app.settings.gc_threshold)
