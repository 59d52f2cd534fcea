"""Structured logs: one JSON object per line, one line per event.

Call :func:`event` with a short event name and fields (``connect``, ``disconnect``,
``publish_error``...); :func:`configure` installs the formatter on the root logger, so Quart's
and Hypercorn's records come out the same way.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from hypercorn.logging import Logger
from hypercorn.typing import ResponseSummary, WWWScope

#: Set in a request's scope when the app starts sending its response's last body message.
RESPONSE_SENT = "sluice.response_sent"


class JsonLines(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger (with ``pid``: the id of the
    process that wrote it), event, then the event's fields. Those keys are the line's own: a
    field of the same name does not replace them (a field naming another process is
    ``worker``, say, never ``pid``)."""

    def __init__(self, *, pid: bool = False) -> None:
        super().__init__()
        self.pid = pid

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (a traceback becomes an escaped string)."""
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if self.pid:
            doc["pid"] = record.process
        doc["event"] = getattr(record, "event", None) or record.getMessage()
        for name, value in getattr(record, "fields", {}).items():
            doc.setdefault(name, value)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` with ``fields`` as one structured line."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"event": name, "fields": fields})


def configure(level: str, *, pid: bool = False) -> None:
    """Send every logger's records to stderr as JSON lines, at ``level`` and above; with
    ``pid``, each line says which process wrote it (several workers share stderr)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines(pid=pid))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class HypercornLogger(Logger):
    """Hypercorn's logger, with one access line per request.

    When the client closes a kept-alive connection as soon as it has read a response (curl
    does, after a ``Content-Length`` body), Hypercorn learns of the close while it still sends
    the response's (empty) end, and logs the request as closed without a response (``- -``)
    before it logs it again with its status. That first line is dropped when the app had sent
    the whole response (the scope carries :data:`RESPONSE_SENT`); a request whose client left
    before its response ended still gets its one line without a status.
    """

    async def access(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> None:
        """Log ``request`` unless its response is ``None`` but was sent in full."""
        if response is None and request.get(RESPONSE_SENT):
            return
        await super().access(request, response, request_time)  # type: ignore[arg-type]
