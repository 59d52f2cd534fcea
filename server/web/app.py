"""The app factory: a Quart-Trio app whose lifespan owns the hub (broadcaster, background work)."""

from __future__ import annotations

import logging
import os

from quart import Response, request

from protocol import Catalogue
from protocol.event_schemas import CatalogueError
from protocol.event_schemas import load as load_catalogue
from sse_core import BackplaneUnavailable, find_error

from .. import logs, problems
from ..agent import Agent, load_agent
from ..hub import run_hub
from ..metrics import HubCollector
from ..security.auth import UNCONFIGURED, Authenticator
from ..security.cors import is_preflight
from ..serving.run import tune_collector
from ..settings import InvalidSetting, Settings, load
from . import actions, agent_run, dashboard, ops, sessions
from .context import SluiceApp

log = logging.getLogger("sluice.server")


def _warn_about_auth(settings: Settings, authenticator: Authenticator) -> None:
    """Log, loudly, a hub that runs without auth or with no key to check tokens with."""
    if settings.no_auth:
        logs.event(
            log,
            "auth_disabled",
            logging.WARNING,
            detail="running WITHOUT authentication (--no-auth): any caller may read "
            "and publish to any session; for local development only",
        )
    elif authenticator.mode == "unconfigured":
        logs.event(log, "auth_unconfigured", logging.WARNING, detail=UNCONFIGURED)


def create_app(settings: Settings, *, agent: Agent | None = None) -> SluiceApp:
    """The app for ``settings``; ``agent`` overrides the ``agent`` setting.

    Raises :class:`~server.settings.InvalidSetting` for an unusable key file, agent or event
    catalogue (``--event-schemas``: the message names the file and JSON pointer). The hub
    opens in the app's lifespan (``before_serving``) inside the app's nursery and closes in
    ``after_serving``; a process that wants streams to end before Hypercorn's graceful timeout
    calls ``app.hub.close()`` from its shutdown trigger (see :mod:`server.serving.run`).
    """
    authenticator = Authenticator.from_settings(settings)
    agent = agent if agent is not None else load_agent(settings.agent)
    catalogue = _catalogue(settings)

    app = SluiceApp(__name__, static_folder=None)  # server.web.dashboard serves the files
    app.settings = settings
    app.catalogue = catalogue
    app.metrics = HubCollector()
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        BODY_TIMEOUT=settings.body_timeout,
        BACKGROUND_TASK_SHUTDOWN_TIMEOUT=settings.graceful_timeout,
        PROPAGATE_EXCEPTIONS=False,
    )
    problems.install(app)
    for module in (agent_run, sessions, actions, ops, dashboard):
        app.register_blueprint(module.blueprint)

    @app.after_request
    async def cross_origin(response: Response) -> Response:
        """The CORS headers of every answer but a preflight's (which has its own: any other
        ``OPTIONS`` answer, a 404 say, gets them too); no
        ``Content-Type`` on a ``204``, which has no content (RFC 9110 §15.3.5), and no
        ``Content-Length`` (a server must not send one with a 204: RFC 9110 §8.6)."""
        if response.status_code == 204:
            del response.headers["Content-Type"]
            del response.headers["Content-Length"]
        origin = request.headers.get("Origin")
        preflight = request.method == "OPTIONS" and is_preflight(
            origin, request.headers.get("Access-Control-Request-Method")
        )
        if not preflight:
            for name, value in app.hub.cors.response_headers(origin):
                if name == "Vary":
                    response.vary.add(value)
                else:
                    response.headers[name] = value
        return response

    @app.before_serving
    async def open_hub() -> None:
        try:
            app.hub = await app.nursery.start(run_hub, settings, authenticator, agent, catalogue)
        except Exception as error:
            unavailable = find_error(error, BackplaneUnavailable)
            if unavailable is None:
                raise
            app.startup_error = str(unavailable)  # serve() ends with it, in one line
            return
        _warn_about_auth(settings, authenticator)
        logs.event(log, "hub_open", epoch=app.hub.broadcaster.epoch, backplane=settings.backplane)

    @app.after_serving
    async def close_hub() -> None:
        await app.hub.close()

    return app


def _catalogue(settings: Settings) -> Catalogue:
    """The built-in event types plus those of ``--event-schemas``."""
    try:
        return load_catalogue(settings.event_schemas)
    except CatalogueError as error:
        raise InvalidSetting("event_schemas", str(error)) from None


def app_from_env() -> SluiceApp:
    """The app configured from ``SLUICE_*`` variables alone.

    For the ``hypercorn`` command:
    ``hypercorn --worker-class trio 'server.web.app:app_from_env()'``.
    """
    settings = load({}, os.environ)
    logs.configure(settings.log_level)
    app = create_app(settings)
    tune_collector(settings.gc_threshold)
    return app
