"""``sluice check URL``: a contract check of a live stream, for other teams' CI.

Reads the stream at URL with the WHATWG parser (:class:`protocol.EventStreamParser`, strict
UTF-8) and checks every event with :class:`protocol.stream_contract.StreamContract` against
the catalogue: the hub's own (read from its ``/schemas/`` routes) or a directory's. It stops
after ``count`` events with an id, or after ``seconds``, whichever comes first.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from argparse import Namespace
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

import attrs
import httpx
import orjson
import trio

from protocol import EventStreamParser, RemoteProtocolError
from protocol.stream_contract import StreamContract, Violation

from . import counted
from .sources import CatalogueError, read_catalogue

#: Seconds to read when neither a count nor a time is given.
DEFAULT_SECONDS = 10.0
#: Seconds allowed to connect and to get the response head (and each schema from a hub).
CONNECT_TIMEOUT = 10.0
_REFUSED = (401, 403, 404)
_MAX_PROBLEM_BYTES = 65536
_STREAM_ROUTE = re.compile(r"/(sse|agent_network_sse|apps)(/|$)")


class Unusable(Exception):
    """The URL cannot be checked: unreachable, refused, or not an event stream (exit 2)."""


@attrs.frozen
class Options:
    """What ``sluice check`` was asked: the stream ``url``; a bearer ``token`` or None; a
    directory of event schemas (None: the hub's own); stop after ``count`` events with an id
    and/or after ``seconds`` (both None: :data:`DEFAULT_SECONDS`)."""

    url: str
    token: str | None = None
    event_schemas: str | None = None
    count: int | None = None
    seconds: float | None = None


def main(args: Namespace) -> int:
    """``sluice check``: :func:`run` with the parsed arguments (token from ``SLUICE_TOKEN``
    when ``--token`` is not given); exit 2 for a count or time that is not positive."""
    if (args.count is not None and args.count < 1) or (
        args.seconds is not None and not 0 < args.seconds < math.inf
    ):
        print("sluice check: --count and --seconds must be positive", file=sys.stderr)
        return 2
    token = args.token or os.environ.get("SLUICE_TOKEN") or None
    return run(Options(args.url, token, args.event_schemas, args.count, args.seconds))


def hub_base(url: str) -> str:
    """The hub's base URL of a stream URL: everything before its stream route
    (``/sse``, ``/agent_network_sse/``, ``/apps/``), or the origin."""
    parts = urlsplit(url)
    route = _STREAM_ROUTE.search(parts.path)
    path = parts.path[: route.start()] if route else ""
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def run(options: Options, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Check the stream, print each violation and a summary; return the exit status.

    0 when the stream keeps the contract, 1 when it does not, 2 when it cannot be checked
    (one line on ``err`` saying why). ``out`` and ``err`` default to stdout and stderr.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        violations, contract = trio.run(check, options, out)
    except Unusable as unusable:
        print(f"sluice check: {unusable}", file=err)
        return 2
    print(
        f"{counted(contract.position, 'event')}, {contract.counted} with an id: "
        f"{counted(len(violations), 'violation')}",
        file=out,
    )
    return 1 if violations else 0


async def check(options: Options, out: TextIO) -> tuple[list[Violation], StreamContract]:
    """Read and check the stream, printing each violation to ``out`` as it is found.

    Returns the violations and the checker (with its counts). Raises :class:`Unusable` when
    the catalogue cannot be read or the stream cannot be opened.
    """
    violations: list[Violation] = []

    def report(found: list[Violation]) -> None:
        violations.extend(found)
        for violation in found:
            print(violation, file=out)

    seconds = options.seconds
    if seconds is None and options.count is None:
        seconds = DEFAULT_SECONDS
    async with httpx.AsyncClient(timeout=CONNECT_TIMEOUT) as client, AsyncExitStack() as stack:
        response = await _open(client, stack, options)  # first: is the URL a stream at all?
        source = options.event_schemas or hub_base(options.url)
        try:
            contract = StreamContract(await read_catalogue(client, source))
        except CatalogueError as error:
            raise Unusable(f"cannot read the catalogue: {error}") from None
        stopped = "" if seconds is None else f"within {seconds:g} s"
        with trio.move_on_after(math.inf if seconds is None else seconds):
            stopped = await _read(response, contract, options.count, report)
        if options.count is not None and contract.counted < options.count:
            short = f"{contract.counted} of {counted(options.count, 'event')} with an id {stopped}"
            report([_stream_violation(contract, short)])
    return violations, contract


async def _open(
    client: httpx.AsyncClient, stack: AsyncExitStack, options: Options
) -> httpx.Response:
    """The stream's response, entered on ``stack``; :class:`Unusable` unless it is one."""
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    if options.token:
        headers["Authorization"] = f"Bearer {options.token}"
    url = options.url
    timeout = httpx.Timeout(CONNECT_TIMEOUT, read=None)  # the stream's end is ours to decide
    stream = client.stream("GET", url, headers=headers, timeout=timeout)
    response = None
    with trio.move_on_after(CONNECT_TIMEOUT):  # for the response's head
        try:
            response = await stack.enter_async_context(stream)
        except httpx.HTTPError as error:
            raise Unusable(f"unreachable: {url}: {error or type(error).__name__}") from None
    if response is None:
        raise Unusable(f"unreachable: {url}: no response within {CONNECT_TIMEOUT:g} s")
    code = response.status_code
    status = f"HTTP {code} {response.reason_phrase or httpx.codes.get_reason_phrase(code)}"
    if code in _REFUSED:
        detail = ""
        with trio.move_on_after(CONNECT_TIMEOUT):  # the body of an error, if it is one
            detail = await _detail(response)
        raise Unusable(f"refused: {url}: {status}{detail}")
    if code != 200:
        raise Unusable(f"not an event stream: {url}: {status}")
    media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "text/event-stream":
        raise Unusable(f"not an event stream: {url}: Content-Type {media_type or 'missing'}")
    return response


async def _detail(response: httpx.Response) -> str:
    """``": <detail>"`` of a problem+json error body (RFC 9457), or ``""``."""
    if "json" not in response.headers.get("content-type", ""):
        return ""
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > _MAX_PROBLEM_BYTES:
            return ""
    try:
        detail = orjson.loads(body).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return f": {detail}" if isinstance(detail, str) else ""


async def _read(
    response: httpx.Response,
    contract: StreamContract,
    count: int | None,
    report: Callable[[list[Violation]], None],
) -> str:
    """Check each event until ``count`` events with an id (then ``""``), or the stream's end
    (then a phrase saying how it ended, e.g. ``before it ended``).

    A stream that breaks off or is not UTF-8 is reported as a violation, and ends the read.
    """
    parser = EventStreamParser(strict=True)
    chunks = response.aiter_bytes()
    try:
        async for chunk in chunks:
            for event in parser.feed(chunk):
                report(contract.check(event))
                if count is not None and contract.counted >= count:
                    return ""
    except RemoteProtocolError as error:
        report([_stream_violation(contract, f"unreadable: {error}")])
        return "before it became unreadable"
    except httpx.HTTPError as error:
        report([_stream_violation(contract, f"broke off: {error}")])
        return "before it broke off"
    finally:
        await _close(response, chunks)
    return "before it ended"


async def _close(response: httpx.Response, chunks: AsyncIterator[bytes]) -> None:
    """Close the response, then let httpx's nested generators run into the closed stream and
    finish (left unfinished, each would be collected with a warning). Shielded, so that it
    also runs once the time is up; bounded by :data:`CONNECT_TIMEOUT`."""
    with trio.move_on_after(CONNECT_TIMEOUT, shield=True):
        await response.aclose()
        with contextlib.suppress(Exception):
            while True:  # what is buffered, then the error of the closed stream
                await anext(chunks)


def _stream_violation(contract: StreamContract, message: str) -> Violation:
    """A violation of the stream as a whole (after the events checked so far)."""
    return Violation("", contract.position, "", "", message)
