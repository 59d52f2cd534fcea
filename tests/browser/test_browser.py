"""The browser side in Chromium against a real ``sluice serve``: the dashboard shows what is
published, reconnects across a server restart and shows the reset; the README's ``useSSE``
example keeps one connection across 50 re-renders."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import trio
from conftest import Hub, Page
from node_tools import ROOT

SECRET = "a-browser-test-secret-long-enough-for-hs256"
HERE = Path(__file__).parent

#: The rows of a session's panel ([type, id, history/live]) once it shows ``count`` events.
PANEL_ROWS = """([session, count]) => {
  const rows = document.querySelectorAll(`article[data-session="${session}"] tbody tr`);
  const cells = [...rows].map((row) => [0, 1, 3].map((i) => row.cells[i].innerText));
  return cells.filter(([type]) => type !== "connection").length >= count && cells;
}"""
#: The state a session's panel shows starts with ``state``.
STATE = """([session, state]) => document
  .querySelector(`article[data-session="${session}"] .state`)?.innerText.startsWith(state)"""
#: A session's figures in the sessions table (subscribers, history, published, delivered,
#: overflowed), once it shows ``published`` events published.
SESSION_FIGURES = """([session, published]) => {
  const row = document.querySelector(`#session-table a[data-session="${session}"]`)?.closest("tr");
  const cells = row ? [...row.cells].slice(1).map((cell) => cell.innerText) : [];
  return cells[2] === published && cells;
}"""
#: The text of the element ``selector``, once there.
TEXT = "(selector) => document.querySelector(selector)?.innerText"
#: The per-field errors a publish form shows, once ``count`` of them are shown.
FIELD_ERRORS = """([form, count]) => {
  const shown = [...document.querySelectorAll(`${form} label[data-field]`)]
    .map((label) => [label.dataset.field, label.querySelector(".field-error")])
    .filter(([, error]) => !error.hidden)
    .map(([field, error]) => [field, error.innerText]);
  return shown.length >= count && Object.fromEntries(shown);
}"""


def token(sub: str = "alice") -> str:
    now = int(time.time())
    rights = {"subscribe": ["{sub}:*"], "publish": ["{sub}:*"]}
    claims = {"sub": sub, "iat": now, "exp": now + 600, "sluice": rights}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def event(event_type: str, **data: Any) -> dict[str, Any]:
    return {"type": event_type, "data": data}


async def publish(hub: Hub, session_id: str, events: Any, auth: str | None = None) -> list[str]:
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        response = await client.post(
            f"/api/sessions/{session_id}/events", json=events, headers=headers
        )
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


async def text_becomes(page: Page, selector: str, text: str) -> None:
    expression = f"() => document.querySelector({json.dumps(selector)})?.innerText"
    await page.wait_for(f"() => ({expression})() === {json.dumps(text)}")


async def test_the_dashboard_shows_published_events(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    alice = token()
    before = await publish(hub, "alice:chat", event("message", content="earlier"), alice)
    await page.call("goto", url=f"{hub.url}/?session=alice:chat&session=alice:jobs")
    await page.wait_for("() => !document.querySelector('#token-form').hidden")
    await page.call("fill", selector="#token", value=alice)
    await page.call("click", selector="#token-form button")
    await page.wait_for(STATE, ["alice:chat", "connected"])
    await page.wait_for(STATE, ["alice:jobs", "connected"])
    thought = {"messageId": "m1", "sessionId": "alice:chat", "taskId": "t1"}
    live = await publish(
        hub,
        "alice:chat",
        [
            event("thought_process_start", **thought, thinkingAbout="the answer"),
            event("thought_process_step", messageId="m1", step="Read", reasoning="the question"),
            event("thought_process_complete", messageId="m1", conclusion="say hello"),
            event("regeneration_progress", messageId="m1", progress=70, message="writing"),
            event("message", content="hello", role="assistant"),
        ],
        alice,
    )
    rows = await page.wait_for(PANEL_ROWS, ["alice:chat", 6])
    events = [row for row in rows if row[0] != "connection"]
    assert [row[1] for row in events] == before + live  # history first, then live, by id
    assert [row[2] for row in events] == ["history"] + ["live"] * 5
    chat = 'article[data-session="alice:chat"]'
    assert "writing 70%" in await page.text(f"{chat} .progress")
    value = f"() => document.querySelector({json.dumps(chat + ' progress')}).value"
    assert await page.call("eval", expression=value) == 70
    thinking = await page.text(f"{chat} .thinking")
    assert "thinking about the answer" in thinking
    assert "Read — the question" in thinking
    assert "concluded: say hello" in thinking
    await publish(hub, "alice:jobs", event("status_update", status="indexing", progress=25), alice)
    await text_becomes(page, 'article[data-session="alice:jobs"] .progress-label', "indexing 25%")
    figures = await page.wait_for(SESSION_FIGURES, ["alice:chat", "6"])
    assert figures[:2] == ["1", "6"]  # subscribers, history: live figures of the hub
    await text_becomes(page, "#session-table tbody tr:last-child td", "alice:jobs")
    await page.call("screenshot", name="dashboard-events.png")

    await publish_with_the_form(page, chat)
    await regenerate_with_the_button(page, chat)


async def publish_with_the_form(page: Page, panel: str) -> None:
    """The publish form, from the catalogue: each schema error under its field, then a publish."""
    form = f"{panel} form.publish"
    await page.call("click", selector=f"{panel} details summary")
    await page.call("select", selector=f"{form} select[name=type]", value="status_update")
    await page.call("fill", selector=f"{form} [name=progress]", value="150")
    await page.call("click", selector=f"{form} button[type=submit]")
    assert await page.wait_for(FIELD_ERRORS, [form, 2]) == {
        "status": "'status' is a required property",
        "progress": "150 is greater than the maximum of 100",
    }
    await page.call("screenshot", name="dashboard-publish-errors.png")
    assert await page.call("errors") == [
        "console: Failed to load resource: the server responded with a status of 422 ()"
    ]
    await page.call("fill", selector=f"{form} [name=status]", value="running")
    await page.call("fill", selector=f"{form} [name=progress]", value="55")
    await page.call("click", selector=f"{form} button[type=submit]")
    await text_becomes(page, f"{panel} .progress-label", "running 55%")
    # the answer of the POST may come after the event it published has arrived on the stream
    published = await page.wait_for(TEXT, f"{form} .result:not(.error)")
    assert published.startswith("published ")


async def regenerate_with_the_button(page: Page, panel: str) -> None:
    """The regenerate action: the demo agent reports over the stream."""
    regenerate = f"{panel} form.regenerate"
    await page.call("fill", selector=f"{regenerate} [name=query]", value="Say it shorter")
    await page.call("click", selector=f"{regenerate} button")
    await page.wait_for(TEXT, f"{panel} tr.event-message_regenerated", within=20)
    # the agent's message says its percentage: the label says it once
    assert await page.text(f"{panel} .progress-label") == "Generating... 100%"
    assert (await page.wait_for(TEXT, f"{regenerate} .result")).startswith("started ")
    await page.call("screenshot", name="dashboard-regenerated.png")


async def test_the_dashboard_reconnects_after_a_restart_and_shows_the_reset(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth")
    await page.call("goto", url=f"{hub.url}/?session=demo")
    await page.wait_for(STATE, ["demo", "connected"])
    (first,) = await publish(hub, "demo", event("message", content="before the restart"))
    await page.wait_for(PANEL_ROWS, ["demo", 1])
    await hub.kill()
    await page.wait_for(STATE, ["demo", "reconnecting"])
    await hub.start()
    notice = await page.wait_for(TEXT, 'article[data-session="demo"] .notice.reset', within=20)
    assert "Stream reset (unknown_epoch)" in notice
    assert first in notice  # the id the reconnect asked to resume after
    await page.wait_for(STATE, ["demo", "connected"])
    (after,) = await publish(hub, "demo", event("message", content="after the restart"))
    rows = await page.wait_for(PANEL_ROWS, ["demo", 3])
    types = [row[0] for row in rows if row[0] != "connection"]
    assert types == ["message", "stream_reset", "message"]
    assert rows[-1][1] == after
    await page.call("screenshot", name="dashboard-reset.png")
    # the stream cut by the kill, the refused reconnects and stats polls, and nothing else
    errors = await page.call("errors")
    expected = ("ERR_CONNECTION_REFUSED", "ERR_INCOMPLETE_CHUNKED_ENCODING", "Failed to fetch")
    assert all(any(text in error for text in expected) for error in errors), errors


async def test_the_dashboard_streams_a_teams_own_event_types(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    schema = {
        "description": "An invoice was paid.",
        "type": "object",
        "properties": {"invoiceId": {"description": "The invoice.", "type": "string"}},
        "required": ["invoiceId"],
        "additionalProperties": False,
    }
    (tmp_path / "invoice_paid.json").write_text(json.dumps(schema))
    hub: Hub = await hubs("--no-auth", "--event-schemas", str(tmp_path))
    await page.call("goto", url=f"{hub.url}/?session=books")
    await page.wait_for(STATE, ["books", "connected"])
    (paid,) = await publish(hub, "books", event("invoice_paid", invoiceId="inv-7"))
    rows = await page.wait_for(PANEL_ROWS, ["books", 1])
    assert [row for row in rows if row[0] != "connection"] == [["invoice_paid", paid, "live"]]
    state = await page.wait_for(TEXT, 'article[data-session="books"] .state')
    assert state == "connected"  # streamed, not polled


async def test_the_dashboard_says_when_it_was_cut_off_and_catches_up(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--no-auth", "--max-queue-size", "2")
    await page.call("goto", url=f"{hub.url}/?session=demo")
    await page.wait_for(STATE, ["demo", "connected"])
    ids = await publish(hub, "demo", [event("message", content=f"{n}") for n in range(20)])
    notice = await page.wait_for(TEXT, 'article[data-session="demo"] .notice.overflow')
    assert "Cut off as a slow reader (more than 2 events waiting)" in notice
    rows = await page.wait_for(PANEL_ROWS, ["demo", 21])
    assert [row[1] for row in rows if row[0] == "message"] == ids  # none lost, none twice
    assert [row[0] for row in rows].count("stream_overflow") == 1
    await page.call("screenshot", name="dashboard-overflow.png")


async def test_the_readme_module_snippet_runs_in_a_page_of_the_hub(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--no-auth")
    (snippet,) = re.findall(r"```js\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    await page.call("goto", url=f"{hub.url}/")
    capture = "() => { window.logged = []; console.log = (...a) => window.logged.push(a); }"
    await page.call("eval", expression=capture)
    await page.call("eval", expression="() => { window.TOKEN = 'unused-without-auth'; }")
    await page.call("eval", expression=f"async () => {{ {snippet} }}")
    await page.wait_for("() => window.logged.some(([type]) => type === 'connection')")
    (sent,) = await publish(hub, "alice:demo", event("message", content="from the README"))
    logged = await page.wait_for("() => window.logged.find(([type]) => type === 'message')")
    assert logged == ["message", sent, {"content": "from the README"}]


def readme_example() -> str:
    """The README's React example (the ```tsx block of the browser section using useSSE)."""
    blocks = re.findall(r"```tsx\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (example,) = [block for block in blocks if "useSSE(" in block]
    return example


async def react_page(hub: Hub, page: Page, folder: Path) -> str:
    """The README's example in a React page (``react_app.jsx``) served on the hub's origin."""
    (folder / "example.tsx").write_text(readme_example())
    (folder / "app.jsx").write_text((HERE / "react_app.jsx").read_text())
    built = await trio.run_process(
        ["node", str(HERE / "react_page.mjs"), str(folder)], capture_stderr=True, check=False
    )
    assert built.returncode == 0, built.stderr.decode()
    html = '<!doctype html><div id="root"></div><script type="module" src="app.js"></script>'
    url = f"{hub.url}/react-test/"
    await page.call("route", url=url + "index.html", body=html, contentType="text/html")
    script = (folder / "app.js").read_text()
    await page.call("route", url=url + "app.js", body=script, contentType="text/javascript")
    return url + "index.html"


async def test_the_readme_hook_example_keeps_one_connection_across_50_renders(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    alice = token()
    url = await react_page(hub, page, tmp_path)
    await page.call("goto", url=f"{url}?session=alice:chat&token={alice}")
    shown = "() => document.querySelector('#root p')?.innerText"
    await page.wait_for(f"() => ({shown})()?.startsWith('connected')")
    for _ in range(50):
        await page.call("eval", expression="() => window.sluiceTest.rerender()")
    await page.wait_for("() => window.sluiceTest.parentRenders >= 51")
    progress = event("regeneration_progress", messageId="m1", progress=70)
    await publish(hub, "alice:chat", progress, alice)
    text = await page.wait_for(f"() => ({shown})()?.includes('70%') && ({shown})()")
    counts = await page.call("eval", expression="() => ({ ...window.sluiceTest })")
    assert counts["sources"] == 1, counts  # one EventSource for the whole life of the page
    # 51 renders from the parent and a few for connecting, connected and the events: no storm
    assert counts["commits"] <= 51 + 6, counts
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        stats = await client.get(
            "/api/sessions/alice:chat/stats", headers={"Authorization": f"Bearer {alice}"}
        )
    assert stats.json()["subscribers"] == 1
    assert text.startswith("connected: 70%")
    await page.call("screenshot", name="react-use-sse.png")
