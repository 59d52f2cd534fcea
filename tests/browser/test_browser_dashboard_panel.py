"""The dashboard's panels under load: a burst of thousands of events is drawn once per frame (the
newest rows kept, in order, a bounded number of layouts); a panel shows one ``connection`` row
however often the shared stream is opened again."""

from __future__ import annotations

from typing import Any

from conftest import Hub, Page
from test_browser import STATE, event, publish

#: The rows a panel's table keeps (``MAX_ROWS`` of ``panel.ts``).
MAX_ROWS = 500
#: Counts the page's ``scrollTo`` calls on elements (each forces a layout): ``window.scrolls``.
COUNT_SCROLLS = """
window.scrolls = 0;
const scrollTo = Element.prototype.scrollTo;
Element.prototype.scrollTo = function (...args) {
  window.scrolls += 1;
  return scrollTo.apply(this, args);
};
"""
#: A panel's rows as [type, id], once its last row has the id ``last``.
ROWS_UNTIL = """([session, last]) => {
  const rows = [...document.querySelectorAll(`article[data-session="${session}"] tbody tr`)]
    .map((row) => [row.cells[0].innerText, row.cells[1].innerText]);
  return rows.length > 0 && rows[rows.length - 1][1] === last && rows;
}"""
PANELS = "() => [...document.querySelectorAll('article.panel')].map((p) => p.dataset.session)"


async def test_a_burst_is_drawn_once_a_frame_keeping_the_newest_rows_in_order(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth", "--max-queue-size", "20000")
    await page.call("initScript", script=COUNT_SCROLLS)
    await page.call("goto", url=f"{hub.url}/?session=burst")
    await page.wait_for(STATE, ["burst", "connected"])
    ids: list[str] = []
    batches, size = 30, 100
    for n in range(batches):
        batch = [event("message", content=f"{n}.{k}") for k in range(size - 1)]
        batch.append(event("status_update", status="sending", progress=100 * (n + 1) // batches))
        ids += await publish(hub, "burst", batch)
    rows = await page.wait_for(ROWS_UNTIL, ["burst", ids[-1]], within=60)
    assert [row[1] for row in rows] == ids[-MAX_ROWS:]  # the newest rows, in id order
    assert await page.text('article[data-session="burst"] .progress-label') == "sending 100%"
    scrolls = await page.call("eval", expression="() => window.scrolls")
    assert 0 < scrolls <= len(ids) // 10, scrolls  # a layout a frame, not one an event
    # an event after the burst is drawn too, and nothing twice
    (last,) = await publish(hub, "burst", event("message", content="after"))
    rows = await page.wait_for(ROWS_UNTIL, ["burst", last])
    assert [row[1] for row in rows] == [*ids, last][-MAX_ROWS:]


async def test_a_panel_shows_one_connection_however_often_the_stream_is_opened_again(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth")
    await page.call("goto", url=f"{hub.url}/?session=a")
    await page.wait_for(STATE, ["a", "connected"])
    for other in ("b", "c"):
        await page.call("fill", selector="#open-id", value=other)
        await page.call("click", selector="#open-form button")
        await page.wait_for(STATE, [other, "connected"])
        await page.call("click", selector=f'article[data-session="{other}"] button.close')
    (sent,) = await publish(hub, "a", event("message", content="after the re-opens"))
    rows = await page.wait_for(ROWS_UNTIL, ["a", sent])
    assert [row[0] for row in rows] == ["connection", "message"], rows
