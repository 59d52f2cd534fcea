"""``sluice check URL`` against a real hub, and against a server of our own writing bad frames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import orjson
import pytest
import trio
from hub_client import Server, bearer, token

from protocol import encode_envelope
from server import cli
from server.contract import check
from server.contract.check import hub_base

TS = "2026-01-31T12:00:00Z"
Run = tuple[int, list[str], str]


@pytest.fixture(scope="module")
def builtin_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in catalogue in a directory, as ``sluice schemas export`` writes it."""
    folder = tmp_path_factory.mktemp("catalogue") / "builtin"
    assert cli.main(["schemas", "export", str(folder)]) == 0
    return folder


async def sluice_check(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``sluice check ARGV`` in a worker thread (it runs trio itself), beside the test's servers;
    its status, stdout lines and stderr."""
    status = await trio.to_thread.run_sync(cli.main, ["check", *argv])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


# -- a real hub --------------------------------------------------------------------------------


async def test_a_real_stream_keeps_the_contract(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    progress = {"messageId": "m", "progress": 40}
    auth = bearer(token())
    await server.publish("alice:1", [{"type": "message", "data": {"content": "hi"}}], auth)
    await server.publish("alice:1", {"type": "regeneration_progress", "data": progress}, auth)
    url = f"{server.url}/sse/alice:1"
    assert await sluice_check(capsys, url, "--token", token(), "--count", "2") == (
        0,
        ["3 events, 2 with an id: 0 violations"],  # the connection event, then history
        "",
    )


async def test_the_token_may_come_from_the_environment_and_the_catalogue_from_a_directory(
    server: Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    builtin_export: Path,
) -> None:
    message = {"type": "message", "data": {"content": "hi"}}
    await server.publish("alice:2", message, bearer(token()))
    monkeypatch.setenv("SLUICE_TOKEN", token())
    url = f"{server.url}/agent_network_sse/alice:2"
    status, out, err = await sluice_check(
        capsys, url, "--event-schemas", str(builtin_export), "--count", "1"
    )
    assert (status, out, err) == (0, ["2 events, 1 with an id: 0 violations"], "")


async def test_an_idle_stream_is_read_for_the_seconds_given(
    open_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{open_server.url}/sse/quiet"
    with trio.fail_after(5):
        status, out, err = await sluice_check(capsys, url, "--seconds", "0.2")
    assert (status, out, err) == (0, ["1 event, 0 with an id: 0 violations"], "")


@pytest.mark.parametrize(
    ("path", "who", "line"),
    [
        ("/sse/alice:1", None, "refused: {url}: HTTP 401 Unauthorized: "),
        (
            "/sse/alice:1",
            "bob",
            "refused: {url}: HTTP 403 Forbidden: no right to subscribe to alice:1",
        ),
        ("/nowhere", "alice", "refused: {url}: HTTP 404 Not Found: "),
        ("/healthz", None, "not an event stream: {url}: Content-Type application/json"),
    ],
    ids=["401", "403", "404", "not-a-stream"],
)
async def test_a_url_that_is_refused_or_not_a_stream_exits_2_with_one_line(
    server: Server, capsys: pytest.CaptureFixture[str], path: str, who: str | None, line: str
) -> None:
    url = server.url + path
    argv = [url] if who is None else [url, "--token", token(who)]
    status, out, err = await sluice_check(capsys, *argv)
    assert (status, out) == (2, [])
    assert err.startswith("sluice check: " + line.format(url=url)), err
    assert err.count("\n") == 1


async def test_an_unreachable_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with trio.socket.socket() as unused:  # a port nobody listens on
        await unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/sse/a"
        status, out, err = await sluice_check(capsys, url)
    assert (status, out) == (2, [])
    assert err.startswith(f"sluice check: unreachable: {url}: "), err


async def test_a_server_that_never_answers_is_unreachable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check, "CONNECT_TIMEOUT", 0.2)

    async def silent(stream: trio.SocketStream) -> None:
        async with stream:
            await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        serve = partial(trio.serve_tcp, silent, 0, host="127.0.0.1")
        (listener,) = await nursery.start(serve)
        url = f"http://127.0.0.1:{listener.socket.getsockname()[1]}/sse/a"
        with trio.fail_after(5):
            result = await sluice_check(capsys, url, "--count", "1")
        nursery.cancel_scope.cancel()
    assert result == (2, [], f"sluice check: unreachable: {url}: no response within 0.2 s\n")


def test_the_hubs_base_url_is_what_precedes_the_stream_route() -> None:
    assert hub_base("http://h:1/sse/a?x=1") == "http://h:1"
    assert hub_base("http://h:1/sse?session=a&session=b") == "http://h:1"
    assert hub_base("https://h/hub/agent_network_sse/a") == "https://h/hub"
    assert hub_base("http://h/apps/demo/users/u/sessions/s/run") == "http://h"
    assert hub_base("http://h/other/stream") == "http://h"


# -- a server of our own -----------------------------------------------------------------------


def frame(event_type: str, event_id: str = "", **data: object) -> bytes:
    return encode_envelope({"type": event_type, "data": data, "id": event_id, "timestamp": TS})


@asynccontextmanager
async def serving(
    body: Sequence[bytes], head: bytes = b"Connection: close\r\n"
) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that answers any request with an event stream of ``body``'s
    chunks (after the header lines ``head``), then closes the connection; yields its base URL."""

    async def answer(stream: trio.SocketStream) -> None:
        async with stream:
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive_some()
            status = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            await stream.send_all(status + head + b"\r\n")
            for chunk in body:
                await stream.send_all(chunk)

    async with trio.open_nursery() as nursery:
        serve = partial(trio.serve_tcp, answer, 0, host="127.0.0.1")
        (listener,) = await nursery.start(serve)
        yield f"http://127.0.0.1:{listener.socket.getsockname()[1]}"
        nursery.cancel_scope.cancel()


CONNECTION = frame("connection", status="connected", sessionId="s", timestamp=TS)


async def test_every_bad_frame_is_listed_with_its_id_and_pointer_and_exits_1(
    capsys: pytest.CaptureFixture[str], builtin_export: Path
) -> None:
    wrong_event = frame("message", "e-000000000003", content="c")
    envelope = {"type": "message", "data": {"content": "x"}, "id": "", "timestamp": TS}
    body = [
        CONNECTION,
        frame("message", "e-000000000001", content="fine"),
        frame("regeneration_progress", "e-000000000002", messageId="m", progress=150),
        wrong_event.replace(b"event: message", b"event: status_update"),
        frame("message", content="no id"),
        frame("order_shipped", "e-000000000004", orderId="o"),
        frame("message", "e-000000000004", content="same id again"),
        b"id: x\n" + frame("keepalive", timestamp=TS),
        b"event: message\ndata: " + orjson.dumps({**envelope, "extra": 1}) + b"\n\n",
    ]
    async with serving(body) as url:
        argv = [f"{url}/sse/s", "--event-schemas", str(builtin_export), "--count", "10"]
        status, out, err = await sluice_check(capsys, *argv)
    assert (status, err) == (1, "")
    assert out == [
        'event e-000000000002 "/data/progress": 150 is greater than the maximum of 100',
        "event e-000000000003 \"/type\": the SSE event field is 'status_update', not the type",
        'event #5 (message, no id) "/id": an event kept in history has no id',
        'event e-000000000004 "/type": "order_shipped" is not a type of the catalogue',
        'event e-000000000004 "/id": does not increase (after e-000000000004)',
        "event #8 (keepalive, no id) \"/id\": no id, yet the SSE id field sets 'x'",
        'event #9 (message, no id) "": Additional properties are not allowed'
        " ('extra' was unexpected)",
        'event #9 (message, no id) "/id": an event kept in history has no id',
        "stream after event #9: 5 of 10 events with an id before it ended",
        "9 events, 5 with an id: 9 violations",
    ]


async def test_a_stream_that_is_not_utf8_is_a_violation(
    capsys: pytest.CaptureFixture[str], builtin_export: Path
) -> None:
    body = [b"data: \xff\xfe\n\n"]
    async with serving(body) as url:
        argv = [f"{url}/sse/s", "--event-schemas", str(builtin_export)]
        status, out, err = await sluice_check(capsys, *argv)
    assert (status, err) == (1, "")
    assert out[0].startswith("stream: unreadable: event stream is not valid UTF-8")
    assert out[1:] == ["0 events, 0 with an id: 1 violation"]


async def test_a_count_or_time_that_is_not_positive_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["--count", "0"], ["--seconds", "-1"], ["--seconds", "nan"]):
        assert await sluice_check(capsys, "http://127.0.0.1:9/sse/a", *argv) == (
            2,
            [],
            "sluice check: --count and --seconds must be positive\n",
        )


async def test_a_stream_that_breaks_off_is_a_violation(
    capsys: pytest.CaptureFixture[str], builtin_export: Path
) -> None:
    chunk = b"%x\r\n%s\r\n" % (len(CONNECTION), CONNECTION)
    async with serving([chunk, b"ff\r\nid: "], head=b"Transfer-Encoding: chunked\r\n") as url:
        argv = [f"{url}/sse/s", "--event-schemas", str(builtin_export), "--count", "1"]
        status, out, err = await sluice_check(capsys, *argv)
    assert (status, err) == (1, "")
    assert out[0].startswith("stream after event #1: broke off: "), out
    assert out[1:] == [
        "stream after event #1: 0 of 1 event with an id before it broke off",
        "1 event, 0 with an id: 2 violations",
    ]


async def test_a_teams_own_type_is_checked_against_its_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    order = {
        "type": "object",
        "properties": {"orderId": {"description": "The order.", "$ref": "defs.json#/$defs/id"}},
        "required": ["orderId"],
        "additionalProperties": False,
    }
    (tmp_path / "order_shipped.json").write_bytes(orjson.dumps(order))
    (tmp_path / "defs.json").write_bytes(orjson.dumps({"$defs": {"id": {"type": "string"}}}))
    body = [
        CONNECTION,
        frame("order_shipped", "e-000000000001", orderId="o-1"),
        frame("order_shipped", "e-000000000002", orderId=2),
    ]
    async with serving(body) as url:
        argv = [f"{url}/sse/s", "--event-schemas", str(tmp_path), "--count", "2"]
        assert await sluice_check(capsys, *argv) == (
            1,
            [
                "event e-000000000002 \"/data/orderId\": 2 is not of type 'string'",
                "3 events, 2 with an id: 1 violation",
            ],
            "",
        )
