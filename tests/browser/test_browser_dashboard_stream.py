"""The dashboard follows every open session on one stream (``/sse?session=a&session=b``): one
EventSource for eight panels, each event in its own panel; a panel opened later gets its
history and its live events, a panel closed leaves the others exact; the hub's
``--max-sessions-per-stream`` and a refused stream are said plainly."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import Hub, Page
from test_browser import PANEL_ROWS, SECRET, STATE, TEXT, event, publish, token

#: The hub's totals above the sessions table, once they hold ``text``.
TOTALS = "(text) => document.querySelector('#totals')?.innerText.includes(text)"

#: Counts the page's EventSources: ``window.sources`` = {opened, open (not yet closed by the
#: page), most open at once, urls}.
COUNT_SOURCES = """
window.sources = { opened: 0, open: 0, most: 0, urls: [] };
window.EventSource = class extends window.EventSource {
  constructor(url, init) {
    super(url, init);
    const s = window.sources;
    s.opened += 1; s.open += 1; s.most = Math.max(s.most, s.open); s.urls.push(String(url));
  }
  close() {
    if (!this.closedByPage) window.sources.open -= 1;
    this.closedByPage = true;
    super.close();
  }
};
"""
SOURCES = "() => ({ ...window.sources })"
#: The ids of each open panel's events of type ``message``, by session.
MESSAGES = """() => Object.fromEntries([...document.querySelectorAll("article.panel")].map(
  (panel) => [panel.dataset.session, [...panel.querySelectorAll("tbody tr.event-message")]
    .map((row) => row.cells[1].innerText)]))"""


async def messages_become(page: Page, expected: dict[str, list[str]]) -> None:
    """Wait until the panels show exactly ``expected`` (message ids by session), and fail
    with what they show when they do not."""
    shown = f"({MESSAGES})()"
    try:
        await page.wait_for(
            f"(expected) => JSON.stringify({shown}) === JSON.stringify(expected)", expected
        )
    except AssertionError:
        assert await page.call("eval", expression=MESSAGES) == expected
        raise


async def test_eight_panels_share_one_stream_and_a_panel_opened_later_gets_its_history(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    alice = token()
    sessions = [f"alice:s{n}" for n in range(1, 9)]
    later = "alice:s9"
    earlier = await publish(hub, later, event("message", content="s9 before the page"), alice)
    await page.call("initScript", script=COUNT_SOURCES)
    await page.call("goto", url=f"{hub.url}/?" + "&".join(f"session={s}" for s in sessions))
    await page.call("fill", selector="#token", value=alice)
    await page.call("click", selector="#token-form button")
    for session in sessions:
        await page.wait_for(STATE, [session, "connected"])
    sent = {s: await publish(hub, s, event("message", content=f"to {s}"), alice) for s in sessions}
    await messages_become(page, sent)
    sources = await page.call("eval", expression=SOURCES)
    assert (sources["opened"], sources["most"]) == (1, 1), sources
    assert sources["urls"][0].count("session=") == 8
    assert f"access_token={alice}" in sources["urls"][0]
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
        stats = await client.get("/api/stats", headers={"Authorization": f"Bearer {alice}"})
    figures = stats.json()
    assert figures["subscribers"] == 1  # one subscription for the eight sessions
    assert {s: figures["sessionStats"][s]["subscribers"] for s in sessions} == dict.fromkeys(
        sessions, 1
    )
    # the totals count in words: one subscriber is singular, the sessions plural
    assert await page.wait_for(TOTALS, " sessions, 1 subscriber, ")
    await page.call("screenshot", name="dashboard-one-stream.png")

    # a ninth panel: the stream of nine resumes after s8's event, where s9's first event is
    # older (the hub sends it no more): s9's history is read apart, and its second event, both
    # there and on the stream, is shown once; then its live events come from the stream
    earlier += await publish(hub, later, event("message", content="s9 after s8"), alice)
    await page.call("fill", selector="#open-id", value=later)
    await page.call("click", selector="#open-form button")
    sent[later] = earlier
    await messages_become(page, sent)
    await page.wait_for(STATE, [later, "connected"])
    rows = await page.wait_for(PANEL_ROWS, [later, 2])
    assert [row[2] for row in rows if row[0] == "message"] == ["history", "history"]
    sent["alice:s1"] += await publish(hub, "alice:s1", event("message", content="again"), alice)
    sent[later] += await publish(hub, later, event("message", content="s9 live"), alice)
    await messages_become(page, sent)
    rows = await page.wait_for(PANEL_ROWS, [later, 3])
    assert [row[2] for row in rows if row[0] == "message"] == ["history", "history", "live"]
    sources = await page.call("eval", expression=SOURCES)
    assert (sources["opened"], sources["most"]) == (2, 1), sources
    assert sources["urls"][1].count("session=") == 9
    await page.call("screenshot", name="dashboard-panel-added.png")

    # closing s9, whose event came last: the stream of eight resumes after s1's, exactly
    await page.call("click", selector=f'article[data-session="{later}"] button.close')
    del sent[later]
    sent["alice:s2"] += await publish(hub, "alice:s2", event("message", content="after"), alice)
    await messages_become(page, sent)
    assert (
        await page.call(
            "eval", expression="() => document.querySelectorAll('article .notice').length"
        )
        == 0
    )
    sources = await page.call("eval", expression=SOURCES)
    assert (sources["opened"], sources["most"]) == (3, 1), sources
    assert sources["urls"][2].count("session=") == 8
    assert (
        await page.call("eval", expression="() => location.search.split('session=').length - 1")
        == 8
    )


async def test_the_dashboard_says_when_a_stream_cannot_take_another_session(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth", "--max-sessions-per-stream", "2")
    await page.call("initScript", script=COUNT_SOURCES)
    await page.call("goto", url=f"{hub.url}/?session=a&session=b&session=c&session=d")
    await page.wait_for(STATE, ["b", "connected"])
    notice = await page.wait_for(TEXT, "#limit:not([hidden])")
    assert notice == (
        "c, d are not open: one stream carries at most 2 sessions (the hub's "
        "--max-sessions-per-stream). Close a session to open another."
    )
    panels = "() => [...document.querySelectorAll('article.panel')].map((p) => p.dataset.session)"
    assert await page.call("eval", expression=panels) == ["a", "b"]
    await page.call("screenshot", name="dashboard-session-limit.png")
    await page.call("click", selector='article[data-session="a"] button.close')
    await page.call("fill", selector="#open-id", value="c")
    await page.call("click", selector="#open-form button")
    await page.wait_for(STATE, ["c", "connected"])
    assert await page.call("eval", expression=panels) == ["b", "c"]
    assert await page.call("eval", expression="() => document.querySelector('#limit').hidden")
    (sent,) = await publish(hub, "c", event("message", content="to c"))
    await messages_become(page, {"b": [], "c": [sent]})
    sources = await page.call("eval", expression=SOURCES)
    assert (sources["opened"], sources["most"]) == (3, 1), sources


async def test_the_dashboard_says_which_session_the_hub_refuses(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    alice = token()
    (earlier,) = await publish(hub, "alice:chat", event("message", content="hello"), alice)
    await page.call("initScript", script=COUNT_SOURCES)
    await page.call("goto", url=f"{hub.url}/?session=alice:chat&session=bob:chat")
    await page.call("fill", selector="#token", value=token("bob"))
    await page.call("click", selector="#token-form button")
    refused = "(text) => document.querySelector('#stream-error:not([hidden])')?.innerText === text"
    await page.wait_for(
        refused, "the hub refuses the stream (403): no right to subscribe to alice:chat"
    )
    # another token: the stream opens again with it (the panels stay)
    await page.call("fill", selector="#token", value=alice)
    await page.call("click", selector="#token-form button")
    await page.wait_for(
        refused, "the hub refuses the stream (403): no right to subscribe to bob:chat"
    )
    await page.call("click", selector='article[data-session="bob:chat"] button.close')
    await page.wait_for(STATE, ["alice:chat", "connected"])
    await page.wait_for("() => document.querySelector('#stream-error').hidden")
    await messages_become(page, {"alice:chat": [earlier]})
    await page.call("screenshot", name="dashboard-refused.png")
    sources = await page.call("eval", expression=SOURCES)
    assert sources["most"] == 1, sources
    assert [url.count(f"access_token={alice}") for url in sources["urls"][-2:]] == [1, 1]
    errors = await page.call("errors")
    assert errors and all("status of 403" in error for error in errors), errors
