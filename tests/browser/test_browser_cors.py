"""A page on another origin, listed in ``--cors-origins``, streams and polls the hub with the
one-file client the hub serves; a page on an origin not listed is refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import trio
from conftest import Hub, Page, free_port
from test_browser import SECRET, event, publish, token

#: The messages each follower ([stream, poll]) received, once both have ``count``.
RECEIVED = """(count) => {
  const got = (name) => window.seen.filter(([n, type]) => n === name && type === "message")
    .map(([, , id]) => id);
  const both = [got("stream"), got("poll")];
  return both.every((ids) => ids.length >= count) && both;
}"""


@asynccontextmanager
async def site(folder: Path, port: int) -> AsyncIterator[str]:
    """``folder`` served by ``python -m http.server`` on 127.0.0.1:``port``, a second origin (a
    real one: Chromium lets a page reach the loopback address only from the loopback address)."""
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    process = await trio.lowlevel.open_process(
        [*command, "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            with trio.fail_after(60):
                while True:
                    try:
                        await client.get("/")
                        break
                    except httpx.TransportError:
                        await trio.sleep(0.05)  # polling a starting process: no clock to mock
        yield url
    finally:
        process.kill()
        await process.wait()


def app_page(hub: Hub) -> str:
    """A page that follows ``alice:chat`` twice: a stream, and polling with a Bearer token."""
    return f"""<!doctype html><script type="module">
  import {{ SluiceStream }} from "{hub.url}/static/sluice-client.js";
  const token = new URLSearchParams(location.search).get("token");
  window.seen = [];
  window.states = {{}};
  const follow = (name, stream) => {{
    stream.onEvent((e) => window.seen.push([name, e.type, e.id]));
    stream.onState((state) => (window.states[name] = state));
    stream.connect();
  }};
  const fast = {{ maxReconnectAttempts: 1, reconnectDelay: 50 }};
  follow("stream", new SluiceStream(`{hub.url}/sse/alice:chat?access_token=${{token}}`, fast));
  follow("poll", new SluiceStream(`{hub.url}/sse/alice:chat`, {{
    ...fast,
    transport: "polling",
    pollUrl: "{hub.url}/api/sessions/alice:chat/events",
    pollHeaders: {{ Authorization: `Bearer ${{token}}` }},
    pollInterval: 100,
  }}));
</script>"""


def probe_page(hub: Hub) -> str:
    """A page that tries the module, a stream and a poll, and records how each ended."""
    return f"""<!doctype html><script type="module">
  const token = new URLSearchParams(location.search).get("token");
  const outcome = (window.outcome = {{}});
  const failed = (name) => (error) => (outcome[name] = `failed: ${{error}}`);
  import("{hub.url}/static/sluice-client.js")
    .then(() => (outcome.module = "loaded"), failed("module"));
  const headers = {{ Authorization: `Bearer ${{token}}` }};
  fetch("{hub.url}/api/sessions/alice:chat/events", {{ headers }})
    .then(() => (outcome.poll = "answered"), failed("poll"));
  const source = new EventSource(`{hub.url}/sse/alice:chat?access_token=${{token}}`);
  source.onopen = () => (outcome.stream = "open");
  source.onerror = () => {{ source.close(); outcome.stream ??= "failed"; }};
</script>"""


async def test_a_page_on_a_listed_origin_streams_and_polls(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    port = free_port()
    hub: Hub = await hubs("--jwt-secret", SECRET, "--cors-origins", f"http://127.0.0.1:{port}")
    alice = token()
    (tmp_path / "app.html").write_text(app_page(hub))
    async with site(tmp_path, port) as origin:
        await page.call("goto", url=f"{origin}/app.html?token={alice}")
        await page.wait_for(
            "() => window.states?.stream === 'connected' && window.states.poll === 'connected'"
        )
        messages = [event("message", content="one"), event("message", content="two")]
        ids = await publish(hub, "alice:chat", messages, alice)
        assert await page.wait_for(RECEIVED, 2) == [ids, ids]


async def test_a_page_on_an_origin_not_listed_is_refused(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    port = free_port()
    hub: Hub = await hubs("--jwt-secret", SECRET, "--cors-origins", f"http://127.0.0.1:{port + 1}")
    (tmp_path / "probe.html").write_text(probe_page(hub))
    async with site(tmp_path, port) as origin:
        await page.call("goto", url=f"{origin}/probe.html?token={token()}")
        ended = "() => Object.keys(window.outcome ?? {}).length === 3 && window.outcome"
        outcome = await page.wait_for(ended)
    assert outcome == {
        "module": f"failed: TypeError: Failed to fetch dynamically imported module: "
        f"{hub.url}/static/sluice-client.js",
        "poll": "failed: TypeError: Failed to fetch",
        "stream": "failed",
    }
    blocked = await page.call("errors")  # each refusal said by the browser, and nothing else
    assert blocked and all("CORS policy" in error or "ERR_FAILED" in error for error in blocked)
