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


class JsonLines(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, event, then the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (a traceback becomes an escaped string)."""
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or record.getMessage(),
        }
        doc.update(getattr(record, "fields", {}))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` with ``fields`` as one structured line."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"event": name, "fields": fields})


def configure(level: str) -> None:
    """Send every logger's records to stderr as JSON lines, at ``level`` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
