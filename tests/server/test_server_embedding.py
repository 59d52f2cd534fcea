"""examples/team_app.py: a team's own Quart-Trio app with Sluice inside, run as its own process
on 127.0.0.1 and read with a real SSE client."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio
from hub_client import SECRET, Stream, bearer, check_body, check_problem, settings, token
from readme_blocks import free_port

from server.embedding import create_app, start_background

EXAMPLE = Path(__file__).parents[2] / "examples" / "team_app.py"


@pytest.fixture
async def team_app(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The example app on a free port (auth with the tests' secret), until it answers /readyz;
    stopped with SIGTERM afterwards, which it must survive with exit status 0."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    env |= {"SLUICE_PORT": str(port), "SLUICE_JWT_SECRET": SECRET, "SLUICE_GRACEFUL_TIMEOUT": "3"}
    log = tmp_path / "team_app.log"
    with log.open("wb") as stderr:
        process = await trio.lowlevel.open_process(
            [sys.executable, str(EXAMPLE)], env=env, stderr=stderr
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            with trio.fail_after(60):  # the process imports and starts (slow on a busy machine)
                while True:
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert process.poll() is None, log.read_text()
                    await trio.sleep(0.1)
            yield client
    finally:
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(15):
            status = await process.wait()
    assert status == 0, log.read_text()


async def test_the_apps_own_route_publishes_with_the_trackers_beside_sluices_routes(
    team_app: httpx.AsyncClient,
) -> None:
    alice = token("alice")
    health = await team_app.get("/healthz")
    assert health.json()["auth"] == "jwt"  # Sluice's routes are there, with auth on
    path = f"/sse/alice:report?access_token={alice}"  # as a browser's EventSource connects
    async with team_app.stream("GET", path) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        try:
            assert (await stream.next())["data"]["userId"] == "alice"
            started = await team_app.post("/reports/alice:report", headers=bearer(alice))
            assert started.status_code == 202, started.text
            message_id = started.json()["messageId"]
            stream.patience = 30
            events = await stream.until("message_regenerated")
            events.append(await stream.next())
        finally:
            await stream.close()
    assert [e["type"] for e in events] == [
        "status_update",
        "thought_process_start",
        *["thought_process_step", "regeneration_progress"] * 3,
        "thought_process_complete",
        "message_regenerated",
        "status_update",
    ]
    assert all(e["data"]["messageId"] == message_id for e in events[1:-1])
    assert [e["data"]["progress"] for e in events if e["type"] == "regeneration_progress"] == [
        33.3,
        66.7,
        100,
    ]  # rounded to a tenth, as a progress bar shows it
    assert events[-2]["data"]["content"] == "## Figures\n## Incidents\n## Next week\n"
    assert [events[0]["data"]["status"], events[-1]["data"]["status"]] == ["running", "done"]

    stats = await team_app.get("/api/sessions/alice:report/stats", headers=bearer(alice))
    assert check_body(stats, "rest/session-stats.json")["historySize"] == len(events)


async def test_the_apps_own_route_has_sluices_auth(team_app: httpx.AsyncClient) -> None:
    check_problem(await team_app.post("/reports/alice:report"), 401)
    bob = bearer(token("bob"))
    forbidden = check_problem(await team_app.post("/reports/alice:report", headers=bob), 403)
    assert forbidden["detail"] == "no right to publish to alice:report"
    check_problem(await team_app.post("/reports/not%20an%20id", headers=bob), 400)


def test_the_example_needs_only_the_public_names() -> None:
    """It imports the embedding surface and sse_core, nothing of Sluice's insides."""
    source = EXAMPLE.read_text()
    imports = [line for line in source.splitlines() if line.startswith(("from ", "import "))]
    sluice = [line for line in imports if line.startswith(("from server", "from sse_core"))]
    assert sluice == [
        "from server.embedding import app_from_env, authorize, serve_until_signalled, "
        "start_background",
        "from sse_core import ProgressTracker, SSEEventBuilder, ThoughtProcessTracker, "
        "get_sse_broadcaster",
    ]


async def test_start_background_refuses_what_is_no_async_function_at_the_call(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """Passing ``fn(*args)`` for ``fn, *args``, or a plain function, is a ``TypeError`` in the
    route that did it, not work that never runs and a ``task_error`` logged later."""
    app = create_app(settings())
    done = trio.Event()

    async def write(session_id: str) -> None:
        assert session_id == "alice:report"
        done.set()

    async with app.test_app(), app.app_context():
        with pytest.raises(TypeError, match=r"not an awaitable such as fn\(\*args\)"):
            start_background("report", write("alice:report"))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="returned NoneType, which cannot be awaited"):
            start_background("report", print, "alice:report")  # type: ignore[arg-type]
        start_background("report", write, "alice:report")
        with trio.fail_after(5):
            await done.wait()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]
