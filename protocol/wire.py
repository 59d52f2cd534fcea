"""The SSE wire format (WHATWG HTML, "Server-sent events"): events to bytes and bytes to events.

Sans-IO: the encoder returns the bytes of one frame, the parser is fed bytes and returns
events; nothing here reads or writes a socket.

Encoding never lets a value break the framing: ``id`` and ``event`` values containing CR, LF
or NUL raise :class:`LocalProtocolError`, and multi-line data becomes several ``data:`` lines.

Round trip: for any ``event`` and ``id`` without CR, LF or NUL, any ``retry``, and any
``data`` text (all of it encodable as UTF-8), feeding the parser
``encode_frame(data, event=event, id=id, retry=retry)``, in chunks cut anywhere, gives back
one :class:`ServerSentEvent` whose ``event`` is ``event`` (``"message"`` when it was None or
empty), whose ``id`` and ``retry`` are ``id`` and ``retry`` (the stream's previous ones when
None), and whose ``data`` is ``data`` with every CRLF and every lone CR replaced by LF: SSE
has one line separator, so the kind of line break is the only thing that does not survive.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from typing import Any

import attrs
import orjson

from .errors import LocalProtocolError, RemoteProtocolError

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASCII_DIGITS = re.compile(r"[0-9]+")

# --- encoding ---------------------------------------------------------------------------------


def _field_value(name: str, value: str) -> str:
    if _FORBIDDEN.search(value):
        raise LocalProtocolError(f"SSE {name} must not contain CR, LF or NUL: {value!r}")
    return value


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"SSE frames are UTF-8; this text cannot be: {exc}") from None


def encode_frame(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One frame: optional ``id:``, ``event:``, ``retry:`` lines, ``data:`` lines, a blank line.

    ``data`` is split on every line break (CRLF, CR or LF), so the receiver reassembles it
    with LF between the lines. ``id=""`` writes an empty ``id:`` line, which resets the
    client's last event id; ``id=None`` leaves it as it was. ``retry`` is the reconnection
    delay in milliseconds (a non-negative integer). Raises :class:`LocalProtocolError` for an
    ``id`` or ``event`` that would break the framing, or text that is not encodable as UTF-8.
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
    return _utf8("".join(parts))


def _retry_line(milliseconds: int) -> str:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int) or milliseconds < 0:
        raise LocalProtocolError(f"SSE retry must be a non-negative integer, got {milliseconds!r}")
    return f"retry: {milliseconds}\n"


def encode_retry(milliseconds: int) -> bytes:
    """A frame that only sets the client's reconnection delay (it dispatches no event)."""
    return (_retry_line(milliseconds) + "\n").encode()


def encode_comment(text: str = "") -> bytes:
    """A comment frame (``: text``), ignored by clients; each line of ``text`` is commented."""
    return _utf8("".join(f": {line}\n" for line in _LINE_BREAK.split(text)) + "\n")


def encode_envelope(envelope: dict[str, Any], *, retry: int | None = None) -> bytes:
    """The frame of one envelope: ``id`` and ``event`` from it, its JSON as one ``data:`` line.

    JSON as orjson writes it never holds a raw line break, so the data is a single line. An
    empty ``id`` (events kept out of history, e.g. keepalive) writes no ``id:`` line, so the
    client's last event id is left as it was. ``retry`` adds a ``retry:`` line to the frame.
    Raises :class:`LocalProtocolError` when the envelope cannot be framed or serialised.
    """
    try:
        body = orjson.dumps(envelope)
    except orjson.JSONEncodeError as exc:
        raise LocalProtocolError(f"envelope is not serialisable as JSON: {exc}") from None
    return frame_envelope_json(
        body, id=envelope.get("id") or "", type=envelope["type"], retry=retry
    )


def frame_envelope_json(
    envelope_json: bytes, *, id: str, type: str, retry: int | None = None
) -> bytes:
    """The frame of an envelope already encoded as one line of JSON (as :func:`encode_envelope`
    writes it, or as a store kept it): the bytes are framed as they are, not decoded.

    ``id`` and ``type`` are the envelope's own (``id=""`` writes no ``id:`` line). Raises
    :class:`LocalProtocolError` for an ``id`` or ``type`` that would break the framing.
    """
    head = f"id: {_field_value('id', id)}\n" if id else ""
    head += f"event: {_field_value('event', type)}\n"
    if retry is not None:
        head += _retry_line(retry)
    return _utf8(head) + b"data: " + envelope_json + b"\n\n"


# --- decoding ---------------------------------------------------------------------------------


@attrs.frozen
class ServerSentEvent:
    """One event dispatched by :class:`EventStreamParser` (what a browser's ``EventSource`` fires).

    ``event``
        The event type (``str``): the value of the block's last ``event:`` field, or
        ``"message"`` when the block had none or an empty one.
    ``data``
        The block's ``data:`` values joined with LF (``str``, may be empty). Line breaks
        inside the data, however the sender wrote them, arrive as LF.
    ``id``
        The stream's last event id when the event was dispatched (``str``): the value of the
        most recent ``id:`` field in this block or an earlier one, ``""`` when there was none
        or an empty ``id:`` reset it. This is what a reconnecting client sends as
        ``Last-Event-ID``.
    ``retry``
        The reconnection delay in milliseconds in force when the event was dispatched
        (``int``): the most recent valid ``retry:`` field so far, or None if the stream never
        set one.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


class EventStreamParser:
    """Bytes of a ``text/event-stream`` in, :class:`ServerSentEvent` objects out.

    Follows the WHATWG HTML "Server-sent events" parsing rules: UTF-8 (a character may be
    split across chunks), one leading BOM skipped, lines ended by CRLF, LF or CR (also when
    the CR and the LF arrive in different chunks), comment lines (``:``) ignored, one space
    after the colon stripped, a line without a colon is a field with an empty value, unknown
    fields ignored, ``id`` values containing NUL ignored, ``retry`` values that are not all
    ASCII digits ignored, a blank line dispatches the event (a block without ``data:``
    dispatches nothing, but still commits its ``id``).

    Invalid UTF-8: the standard decodes it to U+FFFD, and so does this parser by default. With
    ``strict=True`` it raises :class:`RemoteProtocolError` instead (useful to check a server's
    output); the parser is unusable after that until :meth:`close`.

    ``last_event_id`` and ``retry`` are the stream's state, as on an ``EventSource``; they
    survive :meth:`close`, so one parser can read the successive connections of one
    reconnecting client. Pass ``last_event_id`` to start from a known id.
    """

    __slots__ = (
        "_data",
        "_decoder",
        "_event",
        "_id_buffer",
        "_pending",
        "_skip_lf",
        "last_event_id",
        "retry",
        "strict",
    )

    def __init__(self, *, strict: bool = False, last_event_id: str = "") -> None:
        self.strict = strict
        #: The last event id committed by a blank line (what to send as ``Last-Event-ID``).
        self.last_event_id = last_event_id
        #: The reconnection delay in ms from the last valid ``retry:`` field, or None.
        self.retry: int | None = None
        self._start_stream()

    def _start_stream(self) -> None:
        errors = "strict" if self.strict else "replace"
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors)  # skips one BOM
        self._pending: list[str] = []  # text of the line not yet ended
        self._skip_lf = False  # the last chunk ended with CR: an LF next ends no new line
        self._event = ""
        self._data: list[str] = []
        self._id_buffer = self.last_event_id

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Parse the next chunk of the stream; return the events it completed, in order.

        A chunk may end anywhere, even inside a character or between a CR and its LF. Raises
        :class:`RemoteProtocolError` for invalid UTF-8 when the parser is ``strict``.
        """
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise RemoteProtocolError(
                f"event stream is not valid UTF-8: {exc.reason} at bytes {bad!r}"
            ) from None
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        lines = _LINE_BREAK.split(text)
        if len(lines) == 1:
            self._pending.append(text)
            return []
        lines[0] = "".join(self._pending) + lines[0]
        self._pending = [lines.pop()]
        self._skip_lf = text[-1] == "\r"
        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
            elif line[0] != ":":
                self._field(line)
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of the stream: an event not ended by a blank line is discarded, as the standard says.

        Always returns an empty list (the return value lets callers treat ``feed`` and
        ``close`` alike). The parser is then ready for the next connection's stream.
        """
        self._start_stream()
        return []

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._id_buffer = value
        elif name == "retry" and _ASCII_DIGITS.fullmatch(value):
            with contextlib.suppress(ValueError):  # more digits than int() accepts: ignored
                self.retry = int(value)

    def _dispatch(self) -> ServerSentEvent | None:
        self.last_event_id = self._id_buffer
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            self._event or "message", "\n".join(self._data), self.last_event_id, self.retry
        )
        self._event = ""
        self._data = []
        return event
