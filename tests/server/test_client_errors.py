"""sluice_client's errors: each status of the hub is its exception carrying the problem
document; what is retried (connection errors, timeouts, 429, 503, a proxy's 502 and 504) is
retried with the same
Idempotency-Key, after Retry-After when the hub sends one."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import trio
from hub_client import Server, bearer, check_problem, running, settings, token
from sluice_client import (
    AsyncClient,
    BadRequest,
    Client,
    ConnectionFailed,
    Forbidden,
    MethodNotAllowed,
    NotAStream,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    Retry,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableContent,
)
from sluice_client.calls import idempotency_key
from sluice_client.errors import problem_error
from sluice_client.models import MessageEvent, StatusUpdateEvent
from sluice_client.retry import parse_retry_after

QUICK = Retry(attempts=2, backoff=0.01, max_retry_after=0.01)


async def test_each_refusal_of_a_real_hub_is_its_exception(server: Server) -> None:
    async with AsyncClient(server.url, token=token(), retry=QUICK) as client:
        with pytest.raises(BadRequest) as bad:
            await client.publish("not a session id!", MessageEvent(content="x"))
        with pytest.raises(Forbidden):
            await client.publish("bob:chat", MessageEvent(content="x"))
        with pytest.raises(UnprocessableContent) as invalid:
            await client.publish(
                "alice:chat",
                [
                    MessageEvent(content="fine"),
                    {"type": "status_update", "data": {"progress": 150}},
                ],
            )
    async with AsyncClient(server.url, retry=QUICK) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.session_stats("alice:chat")
    async with AsyncClient(server.url + "/nowhere", token=token(), retry=QUICK) as lost:
        with pytest.raises(NotFound):
            await lost.stats()
    assert bad.value.status == 400 and bad.value.type.endswith("/invalid-session-id")
    assert bad.value.problem["instance"].startswith("/api/sessions/")
    assert invalid.value.pointers == ["/1/data", "/1/data/progress"]
    assert all(error.message for error in invalid.value.errors)


async def test_limits_are_their_exceptions_after_the_retries() -> None:
    limited = settings(max_body_bytes=1024, max_connections_per_user=1, max_streams=2)
    async with (
        running(limited) as server,
        AsyncClient(server.url, token=token(), retry=QUICK) as alice,
        AsyncClient(server.url, token=token("carol"), retry=QUICK) as carol,
    ):
        with pytest.raises(PayloadTooLarge):
            await alice.publish("alice:chat", MessageEvent(content="x" * 2000))
        async with server.stream("/sse/alice:chat", headers=bearer(token())):
            with pytest.raises(TooManyRequests) as too_many:
                await anext(alice.stream("alice:chat"))
            async with server.stream("/sse/bob:chat", headers=bearer(token("bob"))):
                with pytest.raises(ServiceUnavailable) as full:
                    await anext(carol.stream("carol:chat"))
    assert too_many.value.retry_after == 5 and full.value.retry_after == 5
    assert full.value.type.endswith("/too-many-streams")


async def test_every_problem_status_maps_to_its_class(server: Server) -> None:
    answers = {
        405: await server.client.patch("/api/stats"),
        404: await server.client.get("/nowhere"),
        401: await server.client.get("/api/stats"),
    }
    for status, response in answers.items():
        check_problem(response, status)
    made = {
        500: httpx.Response(500, json={"title": "Internal error"}),
        502: httpx.Response(502, text="<html>bad gateway</html>"),
        418: httpx.Response(418, json={}),
    }
    expected = {405: MethodNotAllowed, 404: NotFound, 401: Unauthorized, 500: ServerError}
    for status, response in {**answers, **made}.items():
        error = problem_error(response, None)
        assert type(error) is expected.get(status, ServerError if status >= 500 else ProblemError)
        assert error.status == status
    assert problem_error(made[502], None).detail == "<html>bad gateway</html>"


async def test_an_unreachable_hub_is_connection_failed_after_every_attempt() -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()  # nobody listens there any more
    async with AsyncClient(f"http://127.0.0.1:{port}", retry=QUICK) as client:
        with pytest.raises(ConnectionFailed) as failed:
            await client.publish("s", MessageEvent(content="x"))
    assert isinstance(failed.value.__cause__, httpx.ConnectError)


async def test_retries_send_the_same_key_and_honour_retry_after() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(429, headers={"Retry-After": "0"}, json={"status": 429}),
        httpx.Response(503, headers={"Retry-After": "0"}, json={"status": 503}),
        httpx.Response(201, json={"sessionId": "s", "ids": ["e-1"]}),
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = answers.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    transport = httpx.MockTransport(answer)
    retry = Retry(attempts=5, backoff=0.001)
    async with AsyncClient("http://hub", retry=retry, transport=transport) as client:
        published = await client.publish("s", StatusUpdateEvent(status="ok"))
    assert published.ids == ["e-1"]
    keys = {request.headers["idempotency-key"] for request in seen}
    assert keys == {f'"{published.idempotency_key}"'}
    assert len(seen) == 5 and len({request.content for request in seen}) == 1


def test_the_backoff_is_exponential_with_full_jitter_and_retry_after_wins() -> None:
    retry = Retry(backoff=1.0, max_backoff=5.0, max_retry_after=30.0)
    for attempt, ceiling in enumerate([1.0, 2.0, 4.0, 5.0, 5.0]):
        delays = [retry.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the range, not fixed
    assert retry.delay(0, retry_after=12.0) == 12.0
    assert retry.delay(0, retry_after=120.0) == 30.0


def test_retry_after_is_seconds_or_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:09 GMT", now) == 9.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None) is None
    for other_digits in ("²", "٣", "\uff13"):  # str.isdigit takes them; float() refuses "²"
        assert parse_retry_after(other_digits, now) is None


def test_a_key_is_checked_before_sending() -> None:
    for bad in ["", "x" * 256, "with space", "é", "tab\t"]:
        with pytest.raises(ValueError):
            idempotency_key(bad)
    assert idempotency_key("!~") == "!~"
    assert idempotency_key(None) != idempotency_key(None)


async def test_a_dot_session_id_is_judged_by_the_hub_not_sent_elsewhere(server: Server) -> None:
    # "/api/sessions/../stats" is "/api/stats" once a URL's dot segments are removed: the
    # hub's totals came back as the stats of a session named "..".
    async with AsyncClient(server.url, token=token(), retry=QUICK) as client:
        for dots in [".", ".."]:
            for call in [
                client.session_stats(dots),
                client.clear(dots),
                client.create_session(dots),
                client.publish(dots, MessageEvent(content="x")),
                anext(client.stream(dots)),
            ]:
                with pytest.raises(BadRequest) as bad:
                    await call
                assert bad.value.type.endswith("/invalid-session-id")
                assert repr(dots) in bad.value.detail
        with pytest.raises(ValueError, match="empty"):
            await client.session_stats("")


async def test_a_stream_answered_by_a_page_is_not_a_stream() -> None:
    # A wrong base URL (another app, a proxy's login page) answering 200 with HTML: the
    # reader took its lines for a stream, and reconnected to it at once, without end.
    requests: list[httpx.Request] = []

    def page(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/html"}, text="<p>hi</p>\n")

    transport = httpx.MockTransport(page)
    async with AsyncClient("http://app", retry=QUICK, transport=transport) as client:
        with trio.fail_after(5), pytest.raises(NotAStream) as wrong:
            await anext(client.stream("alice:chat"))
    assert len(requests) == 1
    assert wrong.value.content_type == "text/html"
    assert wrong.value.url == "http://app/sse/alice%3Achat"
    with (
        Client("http://app", retry=QUICK, transport=httpx.MockTransport(page)) as blocking,
        pytest.raises(NotAStream),
    ):
        next(blocking.stream("alice:chat"))


async def test_a_proxys_bad_gateway_and_timeout_are_retried_with_the_same_key() -> None:
    # nginx in front answers 502 while the hub restarts, and 504 when it did not answer in
    # time (the publish may have been stored): both were raised at once as ServerError.
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(502, text="<html>502 Bad Gateway</html>"),
        httpx.Response(504, text="<html>504 Gateway Time-out</html>"),
        httpx.Response(201, json={"sessionId": "s", "ids": ["e-1"]}),
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    retry = Retry(attempts=3, backoff=0.001)
    async with AsyncClient("http://hub", retry=retry, transport=httpx.MockTransport(answer)) as c:
        published = await c.publish("s", StatusUpdateEvent(status="ok"))
    assert published.ids == ["e-1"] and len(seen) == 3
    assert {r.headers["idempotency-key"] for r in seen} == {f'"{published.idempotency_key}"'}
    down = httpx.MockTransport(lambda request: httpx.Response(502, text="down"))
    async with AsyncClient("http://hub", retry=retry, transport=down) as c:
        with pytest.raises(ServerError) as failed:
            await c.stats()
    assert failed.value.status == 502
    calls: list[httpx.Request] = []

    def internal(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, json={"status": 500})

    async with AsyncClient("http://hub", retry=retry, transport=httpx.MockTransport(internal)) as c:
        with pytest.raises(ServerError):
            await c.stats()
    assert len(calls) == 1  # a fault of the hub itself is not retried
