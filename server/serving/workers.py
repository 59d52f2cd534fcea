"""Serving in one process, or in several on one port (``sluice serve --workers N``).

:func:`serve_app` serves an app in this process until SIGINT or SIGTERM.

:func:`supervise` starts ``N`` worker processes, each a whole server (its own hub, front and
Hypercorn) on the same address: each listening socket has ``SO_REUSEPORT``, so the kernel
spreads new connections over the workers (on Linux by a hash of the connection's addresses).
Sessions must be shared between them, so more than one worker needs ``--backplane redis``
(:class:`~server.settings.Settings` refuses it otherwise). The parent only supervises:

- it claims the address first, bound alone (an address another process holds, shared or not,
  is one clear error), then holds it with ``SO_REUSEPORT``, without listening, so that port 0
  means one free port for every worker;
- SIGINT and SIGTERM are passed on to every worker as SIGTERM; each shuts down as one process
  does (every stream gets its final frame) and the parent returns 0 when all have ended;
- a worker that ends on its own (it could not start, or failed) makes the parent stop the others
  and return that worker's status (1 when it was killed by a signal);
- a parent that ends without stopping them (killed with SIGKILL) makes each worker shut down
  as on SIGTERM (``supervisor_gone``), so that no orphan keeps the port;
- workers log as one process does, each line from the worker that wrote it, with its ``pid``;
  the parent logs ``workers`` (their pids), ``limits_per_worker``, ``signal`` and
  ``worker_exit`` events (``worker``: its pid, with its exit ``status`` or the ``signal``
  that killed it);
- each worker counts its own streams: ``--max-connections-per-user`` and ``--max-streams``
  hold per worker, so a user may hold N times the first (``limits_per_worker`` says so).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
from collections.abc import Sequence
from multiprocessing.process import BaseProcess

import attrs

from .. import logs
from ..settings import Settings
from ..web.context import SluiceApp

log = logging.getLogger("sluice.server")
# Seconds the parent waits beyond the graceful timeout before it kills a worker that is still up.
KILL_MARGIN = 10.0


def serve_app(app: SluiceApp, *, parent: int | None = None) -> int:
    """Serve ``app`` in this process until SIGINT or SIGTERM: 0, or 1 with one line on stderr
    when the hub could not start (its backplane out of reach, say) or stopped on its own. A
    worker passes its ``parent``'s sentinel (see
    :func:`~server.serving.run.serve_until_signalled`)."""
    import trio

    from sse_core import find_error

    from .run import HubFailed, StartupFailed, serve_until_signalled

    try:
        trio.run(serve_until_signalled, app, parent)
    except BaseExceptionGroup as group:
        failed = find_error(group, (StartupFailed, HubFailed))
        if failed is None:
            raise
        print(f"sluice serve: {failed}", file=sys.stderr)
        return 1
    return 0


def _worker(settings: Settings) -> None:
    """A worker process's entry point: the app of ``settings``, served until signalled."""
    from ..web.app import create_app

    logs.configure(settings.log_level, pid=True)
    parent = multiprocessing.parent_process()
    sentinel = None if parent is None else parent.sentinel
    sys.exit(serve_app(create_app(settings), parent=sentinel))


def supervise(settings: Settings) -> int:
    """Run ``settings.workers`` worker processes on the settings' address until SIGINT or
    SIGTERM (0 once every worker has shut down), or until one ends on its own (its status)."""
    from .run import StartupFailed, bind, claim_port

    try:  # claimed alone, then held with SO_REUSEPORT, not listening (port 0: one for all)
        reserved = bind(attrs.evolve(settings, port=claim_port(settings)))
    except StartupFailed as failed:
        print(f"sluice serve: {failed}", file=sys.stderr)
        return 1
    wake_read, wake_write = socket.socketpair()
    with reserved, wake_read, wake_write:
        for end in (wake_read, wake_write):
            end.setblocking(False)
        previous = {sig: signal.signal(sig, lambda *_: None) for sig in _SIGNALS}
        previous_fd = signal.set_wakeup_fd(wake_write.fileno())
        try:
            port = reserved.getsockname()[1]
            context = multiprocessing.get_context("spawn")
            workers = [
                context.Process(target=_worker, args=(attrs.evolve(settings, port=port),))
                for _ in range(settings.workers)
            ]
            for worker in workers:
                worker.start()
            logs.event(log, "workers", count=len(workers), pids=[w.pid for w in workers])
            _log_limits(settings)
            return _watch(workers, wake_read, settings.graceful_timeout + KILL_MARGIN)
        finally:
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _log_limits(settings: Settings) -> None:
    """Say that the stream limits hold per worker, and what that allows in all."""
    n, per_user, total = settings.workers, settings.max_connections_per_user, settings.max_streams
    detail = f"each worker counts its own streams: a user may hold up to {n} x {per_user} streams"
    if total:
        detail += f", and all callers together up to {n} x {total}"
    logs.event(
        log,
        "limits_per_worker",
        workers=n,
        max_connections_per_user=per_user,
        max_streams=total,
        detail=detail,
    )


def _watch(workers: Sequence[BaseProcess], wake: socket.socket, grace: float) -> int:
    """Wait for a signal (its number arrives on ``wake``) or for a worker to end; then stop
    every worker, killing those still up ``grace`` seconds later. The exit status."""
    status: int | None = None
    stopping = False
    running = list(workers)
    while running:
        ready = multiprocessing.connection.wait(
            [w.sentinel for w in running] + [wake], timeout=grace if stopping else None
        )
        if not ready:  # past the grace period
            for worker in running:
                worker.kill()
            continue
        if wake in ready:
            for number in wake.recv(64):
                logs.event(log, "signal", signal=signal.Signals(number).name)
            stopping = True
            _stop(running)
        for worker in [w for w in running if w.sentinel in ready]:
            worker.join()
            running.remove(worker)
            code = worker.exitcode or 0
            if not stopping:
                _log_exit(worker.pid, code)
                status = code if code > 0 else 1
                stopping = True
                _stop(running)
    return status or 0


def _log_exit(pid: int | None, code: int) -> None:
    """Say that the worker ``pid`` ended on its own: with its exit ``status``, or the
    ``signal`` that killed it (``code`` is minus its number, as ``Process.exitcode`` gives)."""
    if code < 0:
        try:
            ended: dict[str, object] = {"signal": signal.Signals(-code).name}
        except ValueError:
            ended = {"signal": -code}
    else:
        ended = {"status": code}
    logs.event(log, "worker_exit", logging.ERROR, worker=pid, **ended)


def _stop(workers: list[BaseProcess]) -> None:
    """SIGTERM to each of ``workers`` (one already gone is skipped)."""
    for worker in workers:
        worker.terminate()
