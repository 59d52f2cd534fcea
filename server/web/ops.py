"""Operations: health, readiness, Prometheus metrics, the schemas and the AsyncAPI document.

None of these needs a token: they say nothing about any session.
"""

from __future__ import annotations

from typing import cast

from prometheus_client import CONTENT_TYPE_LATEST
from quart import Blueprint, Response, current_app, request

from protocol import asyncapi

from ..problems import Problem
from .context import SluiceApp, json_response

blueprint = Blueprint("ops", __name__)

SCHEMA_MEDIA_TYPE = "application/schema+json"


def _app() -> SluiceApp:
    return cast(SluiceApp, current_app)


@blueprint.get("/healthz")
async def healthz() -> Response:
    """Alive: answers while the process serves, and says whether auth is on, which backplane
    it uses and how many sessions one stream may carry (``--max-sessions-per-stream``)."""
    app = _app()
    return json_response(
        {
            "status": "ok",
            "auth": app.hub.authenticator.mode,
            "backplane": app.settings.backplane,
            "maxSessionsPerStream": app.settings.max_sessions_per_stream,
        }
    )


@blueprint.get("/readyz")
async def readyz() -> Response:
    """Ready for traffic: the hub is open, not shutting down, and its backplane within reach
    (503 otherwise)."""
    hub = getattr(_app(), "hub", None)
    if hub is None or hub.closing:
        raise Problem(503, "not-ready", "Not ready", "the hub is starting or shutting down")
    if not hub.broadcaster.backplane.available:
        raise Problem(503, "not-ready", "Not ready", "the event store cannot be reached")
    return json_response({"status": "ready", "epoch": hub.broadcaster.epoch})


@blueprint.get("/metrics")
async def metrics() -> Response:
    """Prometheus text format (404 when metrics are turned off)."""
    app = _app()
    if not app.settings.enable_metrics:
        raise Problem(404, "not-found", "Not Found", "metrics are turned off (--no-metrics)")
    body = await app.metrics.render(app.hub.broadcaster)
    return current_app.response_class(body, content_type=CONTENT_TYPE_LATEST)


@blueprint.get("/schemas/")
async def schema_index() -> Response:
    """Every schema of the hub's catalogue (a team's own event types included): name, ``$id``
    and where to fetch it."""
    catalogue = _app().catalogue
    return json_response(
        {
            "schemas": [
                {
                    "name": name,
                    "id": catalogue.uri(name),
                    "url": f"{request.root_path}/schemas/{name}",
                }
                for name in catalogue.names()
            ]
        }
    )


@blueprint.get("/schemas/<path:name>")
async def schema(name: str) -> Response:
    """One schema by name, e.g. ``/schemas/events/message.json`` (a team's own types under
    ``/schemas/events/<type>.json``, their shared definitions at ``/schemas/events/defs.json``)."""
    try:
        body = _app().catalogue.schema(name)
    except KeyError:
        raise Problem(404, "not-found", "Not Found", f"no schema named {name}") from None
    return json_response(body, content_type=SCHEMA_MEDIA_TYPE)


@blueprint.get("/asyncapi.json")
async def asyncapi_document() -> Response:
    """The AsyncAPI 3.0 document of the streams and the publish API, for this server's URL and
    its catalogue."""
    document = asyncapi.build_document(request.host_url.rstrip("/"), _app().catalogue)
    return json_response(document)
