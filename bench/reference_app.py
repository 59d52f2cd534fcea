"""The reference hub: the usual Python choice, sse-starlette on uvicorn (uvloop, httptools).

It exposes Sluice's two benchmarked endpoints with the behaviour that costs something:

- ``POST /api/sessions/{session_id}/events`` takes one event ``{"type","data","ttl"?}`` or a
  JSON array of them, validates every event with the protocol's validator (all or nothing,
  422 otherwise), gives each an id and a timestamp, encodes each envelope **once** to an SSE
  frame, keeps it in a bounded history (500 per session) and puts the same bytes on every
  subscriber's queue; answers 201 ``{"sessionId", "ids"}``.
- ``GET /sse/{session_id}`` streams a ``retry:`` hint and a ``connection`` event, the history
  (after ``Last-Event-ID`` when given), then the live frames (``id:``, ``event:``, ``data:`` the
  JSON envelope). Each subscriber has a bounded queue of 1,000 frames: a subscriber whose
  queue is full is cut off, receives a final ``stream_overflow`` frame after the frames
  already queued, and its stream ends.

Run it with ``python bench/reference_app.py --port 8001``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol import InvalidEvent, encode_envelope, encode_retry, validator

MAX_QUEUE_SIZE = 1000
MAX_HISTORY = 500
RETRY_MS = 3000

_check_input = validator("event-input.json").check


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Subscriber:
    """One stream's bounded queue; ``overflow`` holds the final frame once it is cut off."""

    __slots__ = ("overflow", "queue")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(MAX_QUEUE_SIZE)
        self.overflow: bytes | None = None


class Session:
    """A session's subscribers, id counter and bounded history of encoded frames."""

    __slots__ = ("history", "ids", "subscribers")

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.history: deque[tuple[str, bytes]] = deque(maxlen=MAX_HISTORY)
        self.ids = itertools.count(1)


class Hub:
    """Sessions by id; publish fans the same bytes out without ever waiting on a subscriber."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    def session(self, session_id: str) -> Session:
        found = self.sessions.get(session_id)
        if found is None:
            found = self.sessions[session_id] = Session()
        return found

    def publish(self, session_id: str, events: list[dict[str, Any]]) -> list[str]:
        session = self.session(session_id)
        ids = []
        for event in events:
            event_id = str(next(session.ids))
            envelope = {"type": event["type"], "data": event["data"], "id": event_id}
            envelope["timestamp"] = _now()
            if "ttl" in event:
                envelope["ttl"] = event["ttl"]
            frame = encode_envelope(envelope)
            session.history.append((event_id, frame))
            for sub in list(session.subscribers):
                try:
                    sub.queue.put_nowait(frame)
                except asyncio.QueueFull:
                    session.subscribers.discard(sub)
                    sub.overflow = self._overflow_frame(session_id, event_id)
            ids.append(event_id)
        return ids

    @staticmethod
    def _overflow_frame(session_id: str, last_event_id: str) -> bytes:
        now = _now()
        data = {"sessionId": session_id, "maxQueueSize": MAX_QUEUE_SIZE, "timestamp": now}
        data["lastEventId"] = last_event_id
        envelope = {"type": "stream_overflow", "data": data, "id": "", "timestamp": now}
        return encode_envelope(envelope)


hub = Hub()


def _problem(status: int, title: str, **extra: Any) -> Response:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, **extra})
    return Response(body, status, media_type="application/problem+json")


async def publish(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _problem(400, "body is not JSON")
    events = body if isinstance(body, list) else [body]
    try:
        for event in events:
            _check_input(event)
    except InvalidEvent as error:
        errors = [{"pointer": e.pointer, "message": e.message} for e in error.errors]
        return _problem(422, "invalid event", errors=errors)
    ids = hub.publish(session_id, events)
    return Response(
        orjson.dumps({"sessionId": session_id, "ids": ids}), 201, media_type="application/json"
    )


async def stream(request: Request) -> EventSourceResponse:
    session_id = request.path_params["session_id"]
    last_event_id = request.headers.get("last-event-id", "")
    after = int(last_event_id) if last_event_id.isdigit() else 0
    session = hub.session(session_id)
    sub = Subscriber()
    session.subscribers.add(sub)  # with the history read below, before any await: no gap
    now = _now()
    hello = {"status": "connected", "sessionId": session_id, "timestamp": now}
    first = b"".join(
        [
            encode_retry(RETRY_MS),
            encode_envelope({"type": "connection", "data": hello, "id": "", "timestamp": now}),
            *(frame for event_id, frame in session.history if int(event_id) > after),
        ]
    )

    async def frames():
        try:
            yield first
            queue = sub.queue
            while True:
                if sub.overflow is not None and queue.empty():
                    yield sub.overflow
                    return
                yield await queue.get()
        finally:
            session.subscribers.discard(sub)

    return EventSourceResponse(
        frames(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


app = Starlette(
    routes=[
        Route("/api/sessions/{session_id}/events", publish, methods=["POST"]),
        Route("/sse/{session_id}", stream),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
