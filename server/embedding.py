"""Sluice inside a team's own Quart-Trio app: the app, and what the app's own routes call.

:func:`create_app` (or :func:`app_from_env`) is a Quart-Trio app holding Sluice's stream, REST
and operations routes, with the hub (the broadcaster) opened in its lifespan. Register your own
blueprints on it, beside Sluice's. Your routes then:

- check the caller with the same tokens and session patterns as Sluice's routes
  (:func:`authorize`);
- publish with the broadcaster: ``sse_core.get_sse_broadcaster()``, the builders
  (``SSEEventBuilder``) and the trackers (``ThoughtProcessTracker``, ``ProgressTracker``);
- hand work that outlives the request to the hub (:func:`start_background`): shutdown cancels it.

Serve the app with :func:`serve_until_signalled` (as ``sluice serve`` does: streams written by the
front, a graceful shutdown on SIGINT or SIGTERM) or with the ``hypercorn`` command. See
``examples/team_app.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .security.auth import Principal
from .serving.run import serve_until_signalled
from .web.app import app_from_env, create_app
from .web.context import current_hub, session_access

__all__ = ["app_from_env", "authorize", "create_app", "serve_until_signalled", "start_background"]


def authorize(session_id: str, *, publish: bool = False) -> Principal:
    """The caller of the current request, who may read ``session_id`` (or, with ``publish``,
    publish to it), checked as Sluice's own routes check it.

    Raises :class:`~server.problems.Problem`, which the app answers as
    ``application/problem+json``: 400 for a malformed session id, 401 without a valid token,
    403 without the right, 503 while the server shuts down.
    """
    _, _, principal = session_access(session_id, publish=publish)
    return principal


def start_background(name: str, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """Run ``fn(*args)`` in the hub's nursery, past the end of the current request.

    Shutdown cancels it (before the streams end); an exception it raises is logged
    (``task_error``), never propagated. Raises a 503 problem while the server shuts down, and
    ``TypeError`` when ``fn`` is no async function (``fn(*args)`` passed for ``fn, *args``).
    """
    current_hub().start_soon(name, fn, *args)
