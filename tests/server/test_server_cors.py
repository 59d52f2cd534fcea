"""Browsers on another origin, end to end on both paths: CORS preflights and headers, and the
writes a foreign page could forge (content type, token source, ``Origin``), refused."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import trio
from hub_client import Server, bearer, check_problem, message, running, settings, token

APP = "https://app.example.com"
FOREIGN = "https://evil.example"
PUBLIC = "https://events.example.com"
STREAM_PATHS = ("/sse/alice:chat", "/agent_network_sse/alice:chat")


@pytest.fixture(params=["front", "hypercorn"])
async def cors_server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """A real server that lists ``APP`` (credentials) and ``*`` (any other origin, without)."""
    config = settings(cors_origins=(APP, "*"), public_origin=None)
    async with running(config, front=request.param == "front") as running_server:
        yield running_server


@pytest.fixture(params=["front", "hypercorn"])
async def listed_server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """A real server that lists ``APP`` only."""
    async with running(
        settings(cors_origins=(APP,)), front=request.param == "front"
    ) as running_server:
        yield running_server


def _preflight(origin: str, method: str, headers: str = "") -> dict[str, str]:
    found = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        found["Access-Control-Request-Headers"] = headers
    return found


def _methods(response: httpx.Response) -> set[str]:
    return set(response.headers["access-control-allow-methods"].split(", "))


def _allowed_headers(response: httpx.Response) -> set[str]:
    return set(response.headers["access-control-allow-headers"].split(", "))


async def test_preflights_of_every_route_kind_list_methods_and_headers(
    listed_server: Server,
) -> None:
    client = listed_server.client
    cases = [
        *((path, "GET", {"GET", "HEAD"}) for path in STREAM_PATHS),
        ("/apps/demo/users/alice/sessions/alice:chat/run", "GET", {"GET", "HEAD"}),
        ("/api/sessions/alice:chat/events", "GET", {"GET", "HEAD", "POST"}),  # polling
        ("/api/sessions/alice:chat/events", "POST", {"GET", "HEAD", "POST"}),  # publish
        ("/api/sessions/alice:chat", "PUT", {"PUT", "DELETE"}),
        ("/api/sessions/alice:chat", "DELETE", {"PUT", "DELETE"}),
        ("/api/sessions/alice:chat/stats", "GET", {"GET", "HEAD"}),
        ("/api/stats", "GET", {"GET", "HEAD"}),
        ("/api/chat_actions/regenerate", "POST", {"POST"}),
    ]
    for path, method, methods in cases:
        asked = "last-event-id, authorization, content-type, idempotency-key"
        response = await client.options(path, headers=_preflight(APP, method, asked))
        assert response.status_code == 204, (path, response.text)
        assert response.headers["access-control-allow-origin"] == APP
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["vary"] == "Origin"
        assert _methods(response) == methods, path
        assert _allowed_headers(response) == {
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "Last-Event-ID",
        }
        assert "content-length" not in response.headers and not response.content


async def test_a_preflight_from_a_foreign_origin_or_for_a_foreign_method_is_a_403(
    listed_server: Server,
) -> None:
    client = listed_server.client
    response = await client.options("/sse/alice:chat", headers=_preflight(FOREIGN, "GET"))
    body = check_problem(response, 403)
    assert "--cors-origins" in body["detail"]
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"
    response = await client.options("/sse/alice:chat", headers=_preflight(APP, "POST"))
    assert check_problem(response, 403)["detail"] == (
        "POST is not allowed here; allowed: GET, HEAD"
    )
    check_problem(await client.options("/no/such/path", headers=_preflight(APP, "GET")), 404)


async def test_by_default_no_origin_is_let_in(server: Server) -> None:
    """The default hub (no --cors-origins): preflights refused, no CORS header on answers."""
    client = server.client
    response = await client.options(
        "/sse/x", headers=_preflight(APP, "GET", "last-event-id, authorization")
    )
    check_problem(response, 403)
    assert "access-control-allow-origin" not in response.headers
    response = await client.get(
        "/api/sessions/alice:chat/events", headers={**bearer(token()), "Origin": APP}
    )
    assert response.status_code == 200
    assert not any(name.startswith("access-control-") for name in response.headers)
    assert "vary" not in response.headers


async def test_an_options_request_that_is_no_preflight_gets_allow(server: Server) -> None:
    response = await server.client.options("/api/sessions/alice:chat/events")
    assert response.status_code == 204
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "content-type" not in response.headers and not response.content


async def test_every_options_answer_but_a_preflight_carries_the_cors_headers(
    cors_server: Server,
) -> None:
    """ "Every answer of a hub with listed origins carries Vary: Origin": an OPTIONS that is no
    preflight (a stream's path, a route's, one of no path) had none, nor the origin's headers
    a page needs to read it."""
    client = cors_server.client
    for path, status in (
        ("/sse/alice:chat", 204),
        ("/api/sessions/alice:chat/events", 204),
        ("/api/stats", 204),
        ("/nope", 404),
    ):
        plain = await client.options(path)
        assert plain.status_code == status, path
        assert plain.headers["vary"] == "Origin", path
        listed = await client.options(path, headers={"Origin": APP})
        assert listed.headers["vary"] == "Origin", path
        assert listed.headers["access-control-allow-origin"] == APP, path
        assert listed.headers["access-control-allow-credentials"] == "true", path
        if status == 204:
            assert "OPTIONS" in listed.headers["allow"].split(", ")
            assert "access-control-allow-methods" not in listed.headers  # no preflight


async def test_answers_carry_cors_headers_for_allowed_origins_errors_included(
    cors_server: Server,
) -> None:
    client = cors_server.client
    auth = bearer(token())
    poll = "/api/sessions/alice:chat/events"
    listed = await client.get(poll, headers={**auth, "Origin": APP})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == APP
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert listed.headers["vary"] == "Origin"
    anyone = await client.get(poll, headers={**auth, "Origin": FOREIGN})
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in anyone.headers
    refused = await client.get(poll, headers={"Origin": APP})  # no token: 401, readable
    check_problem(refused, 401)
    assert refused.headers["access-control-allow-origin"] == APP
    assert "WWW-Authenticate" in refused.headers["access-control-expose-headers"]
    without = await client.get(poll, headers=auth)
    assert without.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in without.headers


async def test_a_cross_origin_stream_carries_cors_headers(cors_server: Server) -> None:
    """On the front (new connections) and through Hypercorn: the stream, its HEAD and a
    refusal each carry the origin's CORS headers."""
    auth = bearer(token())
    for path in STREAM_PATHS:
        for origin, allowed in ((APP, APP), (FOREIGN, "*")):
            async with cors_server.stream(path, headers={**auth, "Origin": origin}) as stream:
                headers = stream.response.headers
                assert headers["access-control-allow-origin"] == allowed
                assert headers["vary"] == "Origin"
                assert (await stream.next())["type"] == "connection"
        head = await cors_server.streams.head(path, headers={**auth, "Origin": APP})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["access-control-allow-credentials"] == "true"
        refused = await cors_server.streams.get(path, headers={"Origin": APP})
        check_problem(refused, 401)
        assert refused.headers["access-control-allow-origin"] == APP
        assert "WWW-Authenticate" in refused.headers["access-control-expose-headers"]
        plain = await cors_server.streams.get(path)
        assert "access-control-allow-origin" not in plain.headers


async def test_refusals_before_the_routes_carry_cors_headers_too(cors_server: Server) -> None:
    """A 405 of a stream path and a refused framing are answered before any route, on every
    path: with the origin's CORS headers as every other answer, so a page can read them."""
    raw = "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"  # RFC 9112 §6.1
    for path in (*STREAM_PATHS, "/sse?session=alice:a", "/api/sessions/alice:chat/events"):
        if path.startswith("/api"):
            not_allowed = await cors_server.client.put(path, headers={"Origin": APP})
        else:
            not_allowed = await cors_server.client.post(path, headers={"Origin": APP})
        check_problem(not_allowed, 405)
        assert "OPTIONS" in not_allowed.headers["allow"].split(", ")
        conflicting = await _raw(cors_server, f"GET {path} HTTP/1.1\r\nOrigin: {APP}\r\n{raw}")
        for answer in (not_allowed.headers, conflicting):
            assert answer["vary"] == "Origin", (path, answer)
            assert answer["access-control-allow-origin"] == APP, (path, answer)
    # A request that cannot be read has no origin to answer: it varies by it all the same.
    unreadable = await _raw(cors_server, f"GET /healthz HTTP/1.1\r\nOrigin: {APP}\r\nX: a\x00b\r\n")
    assert unreadable["vary"] == "Origin"
    assert unreadable["content-type"] == "application/problem+json"


async def _raw(server: Server, head: str) -> dict[str, str]:
    """The headers of the answer to the raw request ``head`` (its last line's CRLF included)."""
    port = httpx.URL(server.url).port
    assert port is not None
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(f"{head}Host: 127.0.0.1\r\n\r\n".encode())
        received = b""
        with trio.fail_after(10):
            while b"\r\n\r\n" not in received:
                chunk = await stream.receive_some()
                assert chunk, received
                received += chunk
    status, *lines = received.split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert status.startswith("HTTP/1.1 400"), status
    return {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}


# Writes ------------------------------------------------------------------------------------


_NOT_JSON = [
    {"Content-Type": "text/plain"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "application/json; charset=iso-8859-1"},
    {"Content-Type": "application/jsonx"},
    {},
]


async def test_a_write_with_a_body_needs_json(server: Server) -> None:
    auth = bearer(token())
    body = orjson.dumps(message("hello"))
    regenerate = orjson.dumps({"sessionId": "alice:chat", "query": "again"})
    for headers in _NOT_JSON:
        for path, content in (
            ("/api/sessions/alice:chat/events", body),
            ("/api/chat_actions/regenerate", regenerate),
        ):
            response = await server.client.post(path, content=content, headers={**auth, **headers})
            problem = check_problem(response, 415)
            assert problem["type"].endswith("/unsupported-media-type"), headers
            assert response.headers["accept-post"] == "application/json"
    assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0
    for content_type in ("application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"):
        response = await server.client.post(
            "/api/sessions/alice:chat/events",
            content=body,
            headers={**auth, "Content-Type": content_type},
        )
        assert response.status_code == 201, response.text


async def test_a_write_with_a_content_coding_is_a_415_naming_it(server: Server) -> None:
    """RFC 9110 §12.5.3: the hub decodes no content coding, so a compressed body is refused
    with Accept-Encoding rather than read as JSON (``br`` over plain JSON was published, gzip
    was a 400 about its bytes), on the front's publish path and through the app alike."""
    auth = {**bearer(token()), "Content-Type": "application/json"}
    body = orjson.dumps(message("hello"))
    regenerate = orjson.dumps({"sessionId": "alice:chat", "query": "again"})
    for coding, content in (
        ("gzip", gzip.compress(body)),
        ("br", body),
        ("identity, gzip", gzip.compress(body)),
        ("deflate", body),
    ):
        for path, sent in (
            ("/api/sessions/alice:chat/events", content),
            ("/api/chat_actions/regenerate", regenerate),
        ):
            headers = {**auth, "Content-Encoding": coding}
            response = await server.client.post(path, content=sent, headers=headers)
            problem = check_problem(response, 415)
            assert problem["type"].endswith("/unsupported-media-type"), coding
            assert repr(coding) in problem["detail"]
            assert response.headers["accept-encoding"] == "identity"
    assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0
    for coding in ("identity", "Identity"):
        path = "/api/sessions/alice:chat/events"
        headers = {**auth, "Content-Encoding": coding}
        response = await server.client.post(path, content=body, headers=headers)
        assert response.status_code == 201, response.text


async def test_a_cookie_or_query_token_reads_but_never_writes(server: Server) -> None:
    good = token()
    cookie = {"Cookie": f"sluice_token={good}"}
    query = {"access_token": good}
    [first] = await server.publish("alice:chat", message("kept"), headers=bearer(good))
    writes: list[tuple[str, str, Any]] = [
        ("POST", "/api/sessions/alice:chat/events", message("forged")),
        ("POST", "/api/chat_actions/regenerate", {"sessionId": "alice:chat", "query": "x"}),
        ("PUT", "/api/sessions/alice:chat", None),
        ("DELETE", "/api/sessions/alice:chat", None),
    ]
    for method, path, doc in writes:
        for headers, params in ((cookie, {}), ({}, query)):
            response = await server.client.request(
                method, path, json=doc, headers=headers, params=params
            )
            detail = check_problem(response, 403)["detail"]
            assert "good for reads only" in detail and "Authorization" in detail
    stats = server.app.hub.broadcaster.session_stats("alice:chat")
    assert (stats["published"], stats["historySize"]) == (1, 1)  # nothing forged, nothing cleared
    for headers, params in ((cookie, {}), ({}, query)):
        page = await server.client.get(
            "/api/sessions/alice:chat/events", headers=headers, params=params
        )
        assert [e["id"] for e in page.json()["events"]] == [first]
        async with server.stream(
            "/sse/alice:chat", headers={**headers, "Last-Event-ID": first}, params=params
        ) as stream:
            assert (await stream.next())["type"] == "connection"


async def test_the_forged_write_of_the_issue_is_refused(server: Server) -> None:
    """A JSON body sent as text/plain (no preflight) with the cookie and a foreign Origin."""
    response = await server.client.post(
        "/api/sessions/alice:chat/events",
        content=orjson.dumps(message("forged")),
        headers={
            "Content-Type": "text/plain",
            "Cookie": f"sluice_token={token()}",
            "Origin": FOREIGN,
        },
    )
    check_problem(response, 403)
    assert server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0


async def test_a_write_from_a_foreign_origin_is_a_403_even_with_a_bearer_token(
    listed_server: Server,
) -> None:
    auth = bearer(token())
    own = listed_server.url  # http://127.0.0.1:port, what its Host names
    for origin, status in ((FOREIGN, 403), ("null", 403), (own, 201), (APP, 201)):
        response = await listed_server.client.post(
            "/api/sessions/alice:chat/events",
            json=message(origin),
            headers={**auth, "Origin": origin},
        )
        if status == 403:
            assert "writes from pages at" in check_problem(response, 403)["detail"]
        else:
            assert response.status_code == 201, (origin, response.text)
    for method in ("PUT", "DELETE"):
        response = await listed_server.client.request(
            method, "/api/sessions/alice:chat", headers={**auth, "Origin": FOREIGN}
        )
        check_problem(response, 403)
    stats = listed_server.app.hub.broadcaster.session_stats("alice:chat")
    assert stats["published"] == stats["historySize"] == 2


@pytest.mark.parametrize("front", [True, False])
async def test_behind_a_proxy_the_public_origin_is_the_hubs_own(front: bool) -> None:
    async with running(settings(public_origin=PUBLIC), front=front) as server:
        auth = bearer(token())
        for origin, status in ((PUBLIC, 201), (server.url, 403)):
            response = await server.client.post(
                "/api/sessions/alice:chat/events",
                json=message("m"),
                headers={**auth, "Origin": origin},
            )
            assert response.status_code == status, (origin, response.text)


# The run endpoint -------------------------------------------------------------------------


async def test_a_run_started_with_a_browser_token_needs_a_page_of_an_allowed_origin(
    listed_server: Server,
) -> None:
    good = token()
    path = "/apps/demo/users/alice/sessions/alice:chat/run"
    refused = [
        {},  # no Origin, no Sec-Fetch-Site: a link, or an old browser
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": FOREIGN},
    ]
    for extra in refused:
        for via in ({"Cookie": f"sluice_token={good}"}, {}):
            params = {"query": "start?"} if via else {"query": "start?", "access_token": good}
            response = await listed_server.client.get(path, params=params, headers={**via, **extra})
            assert "cookie or query token" in check_problem(response, 403)["detail"]
    assert listed_server.app.hub.broadcaster.session_stats("alice:chat")["published"] == 0
    allowed = [
        ({"Sec-Fetch-Site": "same-origin"}, {"access_token": good}),
        ({"Origin": APP}, {"access_token": good}),
        ({"Origin": APP, "Cookie": f"sluice_token={good}"}, {}),
        ({**bearer(good), "Sec-Fetch-Site": "cross-site"}, {}),  # a header token: not a link
    ]
    for headers, params in allowed:
        async with listed_server.stream(
            path, params={"query": "go", **params}, headers=headers
        ) as stream:
            seen = await stream.until("message_regenerated")
            assert seen[-1]["data"]["content"]
