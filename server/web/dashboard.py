"""The browser side the hub serves: the dashboard at ``/`` and the stream client as one file.

``/static/sluice-client.js`` is the TypeScript client (``clients/typescript``) built into one ES
module without React, for a page's ``<script type="module">``; it is always served. The
dashboard (``/`` and ``/static/dashboard/...``) is served unless ``--no-dashboard``. The files
are built from ``clients/typescript`` by ``node clients/typescript/scripts/build.mjs static``
and ship inside the package (``server/web/static``); a test fails when they are stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from quart import Blueprint, Response, current_app, send_from_directory

from ..problems import Problem
from .context import SluiceApp

blueprint = Blueprint("dashboard", __name__)

STATIC = Path(__file__).with_name("static")
DASHBOARD = STATIC / "dashboard"
#: The stable path of the one-file client (named in the README).
CLIENT_PATH = "/static/sluice-client.js"


async def _file(directory: Path, name: str) -> Response:
    """``name`` from ``directory``, revalidated on each use (``Cache-Control: no-cache``)."""
    response = await send_from_directory(directory, name)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _dashboard_on() -> None:
    if not cast(SluiceApp, current_app).settings.dashboard:
        raise Problem(404, "not-found", "Not Found", "the dashboard is turned off (--no-dashboard)")


@blueprint.get("/")
async def dashboard() -> Response:
    """The dashboard page (404 with ``--no-dashboard``)."""
    _dashboard_on()
    return await _file(DASHBOARD, "index.html")


@blueprint.get("/static/dashboard/<path:name>")
async def dashboard_file(name: str) -> Response:
    """The dashboard's script and style sheet (404 with ``--no-dashboard``)."""
    _dashboard_on()
    return await _file(DASHBOARD, name)


@blueprint.get(CLIENT_PATH)
async def client_module() -> Response:
    """The stream client as one ES module, for ``<script type="module">``:
    ``import { SluiceStream } from "/static/sluice-client.js"``."""
    return await _file(STATIC, "sluice-client.js")
