"""The SSE wire format (WHATWG HTML, "Server-sent events"): events to bytes.

Sans-IO: functions return the bytes of one frame; nothing here reads or writes a socket.
Encoding never lets a value break the framing: ``id`` and ``event`` values containing CR, LF
or NUL raise :class:`LocalProtocolError`, and multi-line data becomes several ``data:`` lines.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .errors import LocalProtocolError

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _field_value(name: str, value: str) -> str:
    if _FORBIDDEN.search(value):
        raise LocalProtocolError(f"SSE {name} must not contain CR, LF or NUL: {value!r}")
    return value


def encode_frame(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One complete frame: optional ``id:``, ``event:``, ``retry:``, the ``data:`` lines, a blank line.

    ``data`` is split on every line break (CRLF, CR or LF), so the receiver reassembles it
    exactly. ``retry`` is the reconnection delay in milliseconds (a non-negative integer).
    """
    parts: list[str] = []
    if id is not None:
        parts.append(f"id: {_field_value('id', id)}\n")
    if event is not None:
        parts.append(f"event: {_field_value('event', event)}\n")
    if retry is not None:
        parts.append(_retry_line(retry))
    parts.extend(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    parts.append("\n")
    return "".join(parts).encode()


def _retry_line(milliseconds: int) -> str:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int) or milliseconds < 0:
        raise LocalProtocolError(f"SSE retry must be a non-negative integer, got {milliseconds!r}")
    return f"retry: {milliseconds}\n"


def encode_retry(milliseconds: int) -> bytes:
    """A frame that only sets the client's reconnection delay."""
    return (_retry_line(milliseconds) + "\n").encode()


def encode_comment(text: str = "") -> bytes:
    """A comment frame (``: text``), ignored by clients; each line of ``text`` is commented."""
    return ("".join(f": {line}\n" for line in _LINE_BREAK.split(text)) + "\n").encode()


def encode_envelope(envelope: dict[str, Any]) -> bytes:
    """The frame of one envelope: ``id`` and ``event`` from it, its JSON as one ``data:`` line.

    JSON as orjson writes it never holds a raw line break, so the data is a single line. An
    empty ``id`` (events kept out of history, e.g. keepalive) writes no ``id:`` line, so the
    client's last event id is left as it was.
    """
    event_id = envelope.get("id")
    head = f"id: {_field_value('id', event_id)}\n" if event_id else ""
    head += f"event: {_field_value('event', envelope['type'])}\ndata: "
    return head.encode() + orjson.dumps(envelope) + b"\n\n"
