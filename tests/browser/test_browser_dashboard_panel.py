"""The dashboard's panels under load and its rules from the hub: a burst of thousands of events
is drawn once per frame (the newest rows kept, in order, a bounded number of layouts); the
event types and the session-id rule are what the hub's schemas say; a refused token, a refused
stream and a malformed session id are said plainly; a panel shows one ``connection`` row however
often the shared stream is opened again; a team's type with nested objects is published as JSON
in its fields, an error inside one shown under it with its pointer there."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from conftest import Hub, Page
from test_browser import FIELD_ERRORS, SECRET, STATE, TEXT, event, publish, token

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


async def test_the_publish_form_lists_the_hubs_event_types_not_its_definitions(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    defs = {"$defs": {"invoiceId": {"description": "The invoice paid.", "type": "string"}}}
    schema = {
        "description": "An invoice was paid.",
        "type": "object",
        "properties": {"invoiceId": {"$ref": "defs.json#/$defs/invoiceId"}},
        "required": ["invoiceId"],
        "additionalProperties": False,
    }
    (tmp_path / "defs.json").write_text(json.dumps(defs))
    (tmp_path / "invoice_paid.json").write_text(json.dumps(schema))
    hub: Hub = await hubs("--no-auth", "--event-schemas", str(tmp_path))
    await page.call("goto", url=f"{hub.url}/?session=books")
    await page.wait_for(STATE, ["books", "connected"])
    panel = 'article[data-session="books"]'
    form = f"{panel} form.publish"
    options = f"() => [...document.querySelectorAll('{form} select[name=type] option')]"
    types = await page.call("eval", expression=f"() => ({options})().map((o) => o.value)")
    assert "invoice_paid" in types and "message" in types
    assert "defs" not in types
    assert not {"connection", "keepalive", "stream_reset", "stream_overflow"} & set(types)
    await page.call("click", selector=f"{panel} details summary")
    await page.call("select", selector=f"{form} select[name=type]", value="invoice_paid")
    hint = await page.text(f'{form} label[data-field="invoiceId"] .hint')
    assert hint == "The invoice paid."  # the property's $ref read from the team's defs.json
    await page.call("fill", selector=f"{form} [name=invoiceId]", value="inv-9")
    await page.call("click", selector=f"{form} button[type=submit]")
    await page.wait_for("(s) => document.querySelector(s)", f"{panel} tr.event-invoice_paid")


async def test_a_malformed_session_id_is_not_opened_and_the_page_says_why(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth")
    await page.call("goto", url=f"{hub.url}/?session=alice:chat&session=alice:..")
    await page.wait_for(STATE, ["alice:chat", "connected"])
    said = await page.wait_for(TEXT, "#open-error:not([hidden])")
    assert said.startswith('"alice:.." is not a session id. Session identifier: 1 to 128')
    assert "is '.' or '..'" in said  # the hub's own rule in words (defs.json)
    for malformed in ("bob:..", "a/b", "x" * 129):
        await page.call("fill", selector="#open-id", value=malformed)
        await page.call("click", selector="#open-form button")
        said = await page.wait_for(TEXT, "#open-error:not([hidden])")
        assert said.startswith(f"{json.dumps(malformed)} is not a session id."), said
    assert await page.call("eval", expression=PANELS) == ["alice:chat"]
    await page.call("fill", selector="#open-id", value="alice:..x")
    await page.call("click", selector="#open-form button")
    await page.wait_for(STATE, ["alice:..x", "connected"])
    assert await page.call("eval", expression="() => document.querySelector('#open-error').hidden")
    assert await page.call(
        "eval", expression="() => document.querySelector('#stream-error').hidden"
    )
    await page.wait_for(STATE, ["alice:chat", "connected"])


async def test_a_stream_refused_as_a_bad_request_shows_the_hubs_detail(
    hubs: Any, page: Page
) -> None:
    hub: Hub = await hubs("--no-auth")
    detail = "session 'a:b' is not a session id: the rule"
    problem = json.dumps(
        {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail}
    )
    await page.call(
        "route",
        url=f"{hub.url}/sse",
        body=problem,
        contentType="application/problem+json",
        status=400,
    )
    await page.call("goto", url=f"{hub.url}/?session=a:b")
    said = await page.wait_for(TEXT, "#stream-error:not([hidden])")
    assert said == f"the hub refuses the stream (400): {detail}"
    await page.wait_for(STATE, ["a:b", "reconnecting"])
    await page.call("click", selector='article[data-session="a:b"] button.close')
    errors = await page.call("errors")
    assert errors and all("status of 400" in error for error in errors), errors


async def test_a_refused_token_is_said_to_be_refused(hubs: Any, page: Page) -> None:
    hub: Hub = await hubs("--jwt-secret", SECRET)
    await page.call("goto", url=f"{hub.url}/")
    waiting = await page.wait_for(TEXT, "#sessions-error:not([hidden])")
    assert waiting == "The hub needs a token: enter one above."
    now = int(time.time())
    claims = {"sub": "alice", "iat": now - 120, "exp": now - 60, "sluice": {"subscribe": ["*"]}}
    expired = jwt.encode(claims, SECRET, algorithm="HS256")
    for refused in (expired, "not-a-token"):
        await page.call(
            "eval",
            expression="() => { document.querySelector('#sessions-error').textContent = ''; }",
        )
        await page.call("fill", selector="#token", value=refused)
        await page.call("click", selector="#token-form button")
        said = await page.wait_for(TEXT, "#sessions-error:not([hidden])")
        assert said.startswith(
            "The hub refused the token (expired or invalid): enter another above."
        ), said
    await page.call("fill", selector="#token", value=token())
    await page.call("click", selector="#token-form button")
    await page.wait_for("() => document.querySelector('#sessions-error').hidden")
    errors = await page.call("errors")
    assert errors and all("status of 401" in error for error in errors), errors


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


async def test_the_publish_form_takes_a_nested_object_as_json_and_shows_errors_inside_it(
    hubs: Any, page: Page, tmp_path: Path
) -> None:
    line = {
        "type": "object",
        "properties": {
            "sku": {"description": "The product.", "type": "string"},
            "qty": {"description": "How many.", "type": "integer", "minimum": 1},
        },
        "required": ["sku", "qty"],
        "additionalProperties": False,
    }
    schema = {
        "description": "An order was placed.",
        "type": "object",
        "properties": {
            "order": {
                "description": "The order.",
                "type": "object",
                "properties": {
                    "id": {"description": "Order id.", "type": "string"},
                    "total": {"description": "Total.", "type": "number", "minimum": 0},
                },
                "required": ["id", "total"],
                "additionalProperties": False,
            },
            "items": {"description": "The lines.", "type": "array", "items": line},
        },
        "required": ["order"],
        "additionalProperties": False,
    }
    (tmp_path / "order_placed.json").write_text(json.dumps(schema))
    hub: Hub = await hubs("--no-auth", "--event-schemas", str(tmp_path))
    await page.call("goto", url=f"{hub.url}/?session=shop")
    await page.wait_for(STATE, ["shop", "connected"])
    panel = 'article[data-session="shop"]'
    form = f"{panel} form.publish"
    await page.call("click", selector=f"{panel} details summary")
    await page.call("select", selector=f"{form} select[name=type]", value="order_placed")
    assert await page.text(f'{form} label[data-field="order"] .hint') == "The order."
    wrong = {"order": '{"id": "o-1", "total": -1}', "items": '[{"sku": "a", "qty": 0}]'}
    for name, text in wrong.items():
        await page.call("fill", selector=f"{form} textarea[name={name}]", value=text)
    await page.call("click", selector=f"{form} button[type=submit]")
    assert await page.wait_for(FIELD_ERRORS, [form, 2]) == {
        "order": '"/total": -1 is less than the minimum of 0',
        "items": '"/0/qty": 0 is less than the minimum of 1',
    }
    await page.call("screenshot", name="dashboard-publish-nested-errors.png")
    assert await page.call("errors") == [
        "console: Failed to load resource: the server responded with a status of 422 ()"
    ]
    right = {"order": '{"id": "o-1", "total": 12.5}', "items": '[{"sku": "a", "qty": 2}]'}
    for name, text in right.items():
        await page.call("fill", selector=f"{form} textarea[name={name}]", value=text)
    await page.call("click", selector=f"{form} button[type=submit]")
    await page.wait_for("(s) => document.querySelector(s)", f"{panel} tr.event-order_placed")
    async with httpx.AsyncClient(base_url=hub.url) as client:
        history = await client.get("/api/sessions/shop/events")
    (sent,) = history.json()["events"]
    assert sent["data"] == {
        "order": {"id": "o-1", "total": 12.5},
        "items": [{"sku": "a", "qty": 2}],
    }
