"""The browser side in Chromium against a real ``sluice serve``: the dashboard shows what is
published, reconnects across a server restart and shows the reset; the README's ``useSSE``
example keeps one connection across 50 re-renders."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from conftest import Hub, Page
from node_tools import ROOT

SECRET = "a-browser-test-secret-long-enough-for-hs256"
HERE = Path(__file__).parent


def token(sub: str = "alice") -> str:
    now = int(time.time())
    rights = {"subscribe": ["{sub}:*"], "publish": ["{sub}:*"]}
    return jwt.encode(
        {"sub": sub, "iat": now, "exp": now + 600, "sluice": rights}, SECRET, algorithm="HS256"
    )


async def publish(hub: Hub, session_id: str, events: Any, auth: str | None = None) -> list[str]:
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        response = await client.post(
            f"/api/sessions/{session_id}/events", json=events, headers=headers
        )
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


PANEL_IDS = """([session, count]) => {
  const rows = document.querySelectorAll(`article[data-session="${session}"] tbody tr`);
  const ids = [...rows].map((row) => [row.cells[0].innerText, row.cells[1].innerText, row.cells[3].innerText]);
  return ids.filter(([type]) => type !== "connection").length >= count && ids;
}"""
STATE = """([session, state]) => document.querySelector(`article[data-session="${session}"] .state`)?.innerText.startsWith(state)"""


async def test_the_dashboard_shows_published_events(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    alice = token()
    before = await publish(hub, "alice:chat", {"type": "message", "data": {"content": "earlier"}}, alice)
    await page.call("goto", url=f"{hub.url}/?session=alice:chat&session=alice:jobs")
    await page.wait_for("() => !document.querySelector('#token-form').hidden")
    await page.call("fill", selector="#token", value=alice)
    await page.call("click", selector="#token-form button")
    await page.wait_for(STATE, ["alice:chat", "connected"])
    await page.wait_for(STATE, ["alice:jobs", "connected"])
    live = await publish(
        hub,
        "alice:chat",
        [
            {"type": "thought_process_start", "data": {"messageId": "m1", "sessionId": "alice:chat", "taskId": "t1", "thinkingAbout": "the answer"}},
            {"type": "thought_process_step", "data": {"messageId": "m1", "step": "Read", "reasoning": "the question first", "stepNumber": 1}},
            {"type": "thought_process_complete", "data": {"messageId": "m1", "conclusion": "say hello"}},
            {"type": "regeneration_progress", "data": {"messageId": "m1", "progress": 70, "message": "writing"}},
            {"type": "message", "data": {"content": "hello", "role": "assistant"}},
        ],
        alice,
    )
    rows = await page.wait_for(PANEL_IDS, ["alice:chat", 6])
    events = [row for row in rows if row[0] != "connection"]
    assert [row[1] for row in events] == before + live  # history first, then live, by id
    assert [row[2] for row in events] == ["history"] + ["live"] * 5
    chat = 'article[data-session="alice:chat"]'
    assert "writing 70%" in await page.text(f"{chat} .progress")
    assert await page.call("eval", expression=f"() => document.querySelector('{chat} progress').value") == 70
    thinking = await page.text(f"{chat} .thinking")
    assert "thinking about the answer" in thinking
    assert "Read — the question first" in thinking
    assert "concluded: say hello" in thinking
    await publish(hub, "alice:jobs", {"type": "status_update", "data": {"status": "indexing", "progress": 25}}, alice)
    await page.wait_for("() => document.querySelector('article[data-session=\"alice:jobs\"] .progress-label')?.innerText === 'indexing 25%'")
    await page.wait_for("() => [...document.querySelectorAll('#session-table a')].map((a) => a.innerText).join() === 'alice:chat,alice:jobs'")
    await page.call("screenshot", name="dashboard-events.png")

    # The publish form, from the catalogue: each schema error under its field, then a publish.
    form = f"{chat} form.publish"
    await page.call("click", selector=f"{chat} details summary")
    await page.call("select", selector=f"{form} select[name=type]", value="status_update")
    await page.call("fill", selector=f"{form} [name=progress]", value="150")
    await page.call("click", selector=f"{form} button[type=submit]")
    errors = await page.wait_for(
        f"""() => {{
          const shown = [...document.querySelectorAll('{form} label[data-field]')]
            .filter((label) => !label.querySelector('.field-error').hidden)
            .map((label) => [label.dataset.field, label.querySelector('.field-error').innerText]);
          return shown.length >= 2 && Object.fromEntries(shown);
        }}"""
    )
    assert errors == {"status": "'status' is a required property", "progress": "150 is greater than the maximum of 100"}
    await page.call("screenshot", name="dashboard-publish-errors.png")
    assert await page.call("errors") == [
        "console: Failed to load resource: the server responded with a status of 422 ()"
    ]
    await page.call("fill", selector=f"{form} [name=status]", value="running")
    await page.call("fill", selector=f"{form} [name=progress]", value="55")
    await page.call("click", selector=f"{form} button[type=submit]")
    await page.wait_for(f"() => document.querySelector('{chat} .progress-label').innerText === 'running 55%'")
    assert (await page.text(f"{form} .result")).startswith("published ")

    # The regenerate action: the demo agent reports over the stream.
    await page.call("fill", selector=f"{chat} form.regenerate [name=query]", value="Say it shorter")
    await page.call("click", selector=f"{chat} form.regenerate button")
    await page.wait_for(f"() => document.querySelector('{chat} tr.event-message_regenerated')", timeout=20)
    assert (await page.text(f"{chat} form.regenerate .result")).startswith("started ")
    await page.call("screenshot", name="dashboard-regenerated.png")


async def test_the_dashboard_reconnects_after_a_restart_and_shows_the_reset(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--no-auth")
    await page.call("goto", url=f"{hub.url}/?session=demo")
    await page.wait_for(STATE, ["demo", "connected"])
    first = await publish(hub, "demo", [{"type": "message", "data": {"content": "before the restart"}}])
    await page.wait_for(PANEL_IDS, ["demo", 1])
    await hub.kill()
    await page.wait_for(STATE, ["demo", "reconnecting"])
    await hub.start()
    notice = await page.wait_for(
        "() => document.querySelector('article[data-session=\"demo\"] .notice.reset')?.innerText", timeout=20
    )
    assert "Stream reset (unknown_epoch)" in notice
    assert first[0] in notice  # the id the reconnect asked to resume after
    await page.wait_for(STATE, ["demo", "connected"])
    (after,) = await publish(hub, "demo", {"type": "message", "data": {"content": "after the restart"}})
    rows = await page.wait_for(PANEL_IDS, ["demo", 3])
    assert [row[0] for row in rows if row[0] != "connection"] == ["message", "stream_reset", "message"]
    assert rows[-1][1] == after
    await page.call("screenshot", name="dashboard-reset.png")
    # the stream cut by the kill, the refused reconnects and stats polls, and nothing else
    errors = await page.call("errors")
    expected = ("ERR_CONNECTION_REFUSED", "ERR_INCOMPLETE_CHUNKED_ENCODING", "Failed to fetch")
    assert all(any(text in error for text in expected) for error in errors), errors


def readme_example() -> str:
    """The README's React example (the ```tsx block of the browser section using useSSE)."""
    blocks = re.findall(r"```tsx\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (example,) = [block for block in blocks if "useSSE(" in block]
    return example


async def test_the_readme_hook_example_keeps_one_connection_across_50_renders(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    (tmp_path / "example.tsx").write_text(readme_example())
    (tmp_path / "app.jsx").write_text((HERE / "react_app.jsx").read_text())
    built = subprocess.run(["node", str(HERE / "react_page.mjs"), str(tmp_path)], capture_output=True, text=True, check=False, timeout=120)
    assert built.returncode == 0, built.stderr
    html = '<!doctype html><div id="root"></div><script type="module" src="/react-test/app.js"></script>'
    await page.call("route", url=f"{hub.url}/react-test/index.html", body=html, contentType="text/html")
    await page.call("route", url=f"{hub.url}/react-test/app.js", body=(tmp_path / "app.js").read_text(), contentType="text/javascript")
    alice = token()
    await page.call("goto", url=f"{hub.url}/react-test/index.html?session=alice:chat&token={alice}")
    await page.wait_for("() => document.querySelector('#root p')?.innerText.startsWith('connected')")
    for _ in range(50):
        await page.call("eval", expression="() => window.sluiceTest.rerender()")
    await page.wait_for("() => window.sluiceTest.parentRenders >= 51")
    await publish(hub, "alice:chat", {"type": "regeneration_progress", "data": {"messageId": "m1", "progress": 70}}, alice)
    text = await page.wait_for("() => document.querySelector('#root p')?.innerText.includes('70%') && document.querySelector('#root p').innerText")
    counts = await page.call("eval", expression="() => ({ ...window.sluiceTest, rerender: undefined })")
    assert counts["sources"] == 1, counts  # one EventSource for the whole life of the page
    # 51 renders of the parent, a few for connecting/connected and the events: no storm
    assert counts["commits"] <= 51 + 6, counts
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        stats = (await client.get("/api/sessions/alice:chat/stats", headers={"Authorization": f"Bearer {alice}"})).json()
    assert stats["subscribers"] == 1
    assert text.startswith("connected: 70%")
    await page.call("screenshot", name="react-use-sse.png")
