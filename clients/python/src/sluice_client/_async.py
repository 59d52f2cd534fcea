"""The asynchronous client (asyncio or trio, whichever runs it: httpx and anyio pick)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from . import calls
from .calls import Call, HistoryPage, Published, Regeneration
from .events import Catalogue, EventInput, StreamEvent
from .retry import Retry, next_delay
from .stream import Resumer


class AsyncClient:
    """A hub at ``base_url`` (``http://127.0.0.1:8000``), as a publisher and a reader.

    ``token``: the bearer token sent with every request (None without auth). ``retry``: the
    :class:`~sluice_client.Retry` policy of every call and of stream reconnections.
    ``timeout``: seconds for each request (``httpx.Timeout`` for more control). ``models``:
    a team's own event models (``sluice schemas export --python``; attrs classes with a
    ``TYPE``), into which streams structure their events. ``transport``: an httpx transport
    (tests). Use it as ``async with AsyncClient(...) as client``, or call :meth:`aclose`.

    Every method retries as :mod:`sluice_client.retry` says and raises
    :class:`~sluice_client.ProblemError` (a subclass per status) for a refusal, or
    :class:`~sluice_client.ConnectionFailed` when the hub cannot be reached.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        retry: Retry | None = None,
        timeout: float | httpx.Timeout = 10.0,
        models: Iterable[type[Any]] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.retry = retry or Retry()
        self.catalogue = Catalogue(models)
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _send[T](self, call: Call[T]) -> T:
        attempt = 0
        while True:
            failure: httpx.TransportError | None = None
            response: httpx.Response | None = None
            try:
                response = await self._http.request(
                    call.method, call.path, content=call.body, headers=call.headers
                )
            except httpx.TransportError as error:
                failure = error
            if response is not None and response.is_success:
                return call.parse(response)
            await anyio.sleep(next_delay(self.retry, attempt, response, failure))
            attempt += 1

    async def publish(
        self,
        session_id: str,
        events: EventInput | Sequence[EventInput],
        *,
        ttl: float | None = None,
        idempotency_key: str | None = None,
    ) -> Published:
        """Publish one event, or a list of them (in order, all or nothing), to ``session_id``.

        An event is a model (built-in or a team's own) or a dict ``{"type", "data", "ttl"?}``;
        ``ttl`` (seconds in history) applies to each. ``idempotency_key`` (1 to 255 visible
        ASCII characters; a new UUID when None) is sent on every attempt, so a retry is stored
        once. Returns the ids. A 422 raises :class:`~sluice_client.UnprocessableContent`
        listing every error's pointer; nothing was published.
        """
        return await self._send(calls.publish(session_id, events, ttl=ttl, key=idempotency_key))

    async def regenerate(
        self,
        session_id: str,
        query: str,
        *,
        message_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Regeneration:
        """Have the hub's agent answer ``query`` again (replacing ``message_id``, if given);
        the work is reported on the session's stream under the answer's ``message_id``.
        ``idempotency_key`` as for :meth:`publish`: a retry starts no second run."""
        call = calls.regenerate(session_id, query, message_id=message_id, key=idempotency_key)
        return await self._send(call)

    async def history(
        self, session_id: str, *, after: str | None = None, limit: int = 100
    ) -> HistoryPage:
        """One page of the session's history, the polling fallback of :meth:`stream`: the
        events after ``after`` (all held events when None), oldest first, at most ``limit``
        (1 to 1000). Pass the page's ``last_event_id`` as ``after`` for the next; a page with
        ``reset`` says history could not cover the gap (refetch your state)."""
        call = calls.history(session_id, after=after, limit=limit, catalogue=self.catalogue)
        return await self._send(call)

    async def create_session(self, session_id: str) -> dict[str, Any]:
        """Create the session (publishing creates it too); returns its stats."""
        return await self._send(calls.create_session(session_id))

    async def session_stats(self, session_id: str) -> dict[str, Any]:
        """The session's figures (``schemas/rest/session-stats.json``)."""
        return await self._send(calls.session_stats(session_id))

    async def clear(self, session_id: str) -> None:
        """Drop the session's history; its subscribers stay connected."""
        await self._send(calls.clear(session_id))

    async def stats(self) -> dict[str, Any]:
        """The hub's totals, and the figures of the sessions the token may read."""
        return await self._send(calls.stats())

    async def stream(
        self, session_id: str, *, last_event_id: str | None = None, read_timeout: float = 90.0
    ) -> AsyncGenerator[StreamEvent]:
        """The session's events, from after ``last_event_id`` (all held history when None),
        then live, for as long as the caller reads.

        When the connection drops or the hub ends the stream, it reconnects with the last
        id received as ``Last-Event-ID``, so no event is missed or repeated; when history
        could not cover the gap the next event is a ``stream_reset`` (refetch your state).
        ``connection`` and ``keepalive`` events are not yielded. A connection silent for
        ``read_timeout`` seconds (the hub sends keepalives) counts as dropped. Raises as the
        other methods once ``retry.attempts`` connections in a row have failed.
        """
        resumer = Resumer(self.catalogue, self.retry, last_event_id)
        path = calls.session_path(session_id, prefix="/sse")
        timeout = httpx.Timeout(self._http.timeout.connect, read=read_timeout)
        while True:
            try:
                async with self._http.stream(
                    "GET", path, headers=resumer.headers(), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        delay = resumer.failed(response)
                    else:
                        resumer.connected(response)
                        lines = response.aiter_lines()
                        try:
                            async for line in lines:
                                event = resumer.feed(line)
                                if event is not None:
                                    yield event
                        finally:
                            await _close_lines(response, lines)
                        delay = resumer.ended()
            except httpx.TransportError as error:
                delay = resumer.failed(None, error)
            await anyio.sleep(delay)


async def _close_lines(response: httpx.Response, lines: AsyncIterator[str]) -> None:
    """Close ``response``, then run ``lines`` (httpx's nested generators) into the closed
    stream so that each of them ends, rather than being collected unfinished."""
    await response.aclose()
    with contextlib.suppress(Exception):
        async for _ in lines:
            pass
