"""Reading a session's stream: the SSE fields of each line, and when and where to resume.

Sans-IO, shared by both clients: :class:`Resumer` is fed the lines of one response after
another (httpx splits lines at CRLF, LF or CR, as the WHATWG HTML "Server-sent events"
parsing rules do) and says which events they complete, which ``Last-Event-ID`` the next
connection sends, and how long to wait before it.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx

from .errors import NotAStream
from .events import Catalogue, StreamEvent
from .retry import Retry, next_delay

#: Events the hub sends about the connection itself, not about the session: not yielded.
CONNECTION_EVENTS = frozenset({"connection", "keepalive"})

#: Seconds to wait before resuming a stream that ended before any ``retry:`` field said how
#: long: the WHATWG HTML standard leaves this default to the client ("a few seconds"); 3 s is
#: also the hint the hub sends by default (``--retry 3000``).
DEFAULT_RECONNECTION_TIME = 3.0


class Resumer:
    """The state of one reading of a session across its connections.

    ``last_event_id``: the id of the last event received (sent as ``Last-Event-ID``).
    ``retry``: the reconnection delay in seconds the hub last asked for (``retry:``).
    Connection failures in a row are counted against ``policy.attempts``; an answer of 200
    starts the count again.
    """

    def __init__(self, catalogue: Catalogue, policy: Retry, last_event_id: str | None) -> None:
        self.catalogue = catalogue
        self.policy = policy
        self.last_event_id = last_event_id or ""
        self.retry: float | None = None
        self._failures = 0
        self._data: list[str] = []
        self._event_id: str = self.last_event_id

    def headers(self) -> dict[str, str]:
        """The request headers of the next connection."""
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def connected(self, response: httpx.Response) -> None:
        """A connection answered 200: its stream starts. Raises
        :class:`~sluice_client.errors.NotAStream` when its ``Content-Type`` is not
        ``text/event-stream`` (the media type of RFC 8895 and the WHATWG HTML standard)."""
        content_type = response.headers.get("content-type", "")
        if content_type.partition(";")[0].strip().lower() != "text/event-stream":
            raise NotAStream(str(response.url), content_type)
        self._failures = 0
        self._data = []
        self._event_id = self.last_event_id

    def feed(self, line: str) -> StreamEvent | None:
        """One line of the stream; the event it completes, if any (connection events and
        blocks without data complete none)."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "id" and "\x00" not in value:
            self._event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            with contextlib.suppress(ValueError):  # more digits than int() accepts: ignored
                self.retry = int(value) / 1000
        return None

    def _dispatch(self) -> StreamEvent | None:
        self.last_event_id = self._event_id
        data, self._data = self._data, []
        if not data:
            return None
        envelope: dict[str, Any] = json.loads("\n".join(data))
        if envelope.get("type") in CONNECTION_EVENTS:
            return None
        return self.catalogue.event(envelope)

    def ended(self) -> float:
        """The hub ended the stream (shutdown, overflow, token expiry...): seconds to wait
        before resuming, the hub's ``retry:`` hint (:data:`DEFAULT_RECONNECTION_TIME` before
        any: a server that ends every stream at once is not asked again in a busy loop)."""
        self._data = []
        return DEFAULT_RECONNECTION_TIME if self.retry is None else self.retry

    def failed(
        self, response: httpx.Response | None, failure: httpx.TransportError | None = None
    ) -> float:
        """A connection failed (an error ``response``, its body read, or a ``failure``):
        seconds to wait before the next one. Raises as
        :func:`~sluice_client.retry.next_delay` when not worth retrying or out of attempts."""
        self._data = []
        delay = next_delay(self.policy, self._failures, response, failure)
        self._failures += 1
        return max(delay, self.retry or 0.0)
