"""The SSE wire codec: the encoder's framing rules, the WHATWG parsing rules one by one, and
the round trip encode -> chunked feed -> decode as a property."""

from __future__ import annotations

import itertools
import re

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import (
    EventStreamParser,
    LocalProtocolError,
    RemoteProtocolError,
    ServerSentEvent,
    encode_comment,
    encode_envelope,
    encode_frame,
    encode_retry,
)


def parse(*chunks: bytes, strict: bool = False) -> list[ServerSentEvent]:
    parser = EventStreamParser(strict=strict)
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events + parser.close()


# --- encoder ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b", "\r\n"])
@pytest.mark.parametrize("field", ["event", "id"])
def test_id_and_event_with_cr_lf_or_nul_are_refused(field: str, bad: str) -> None:
    with pytest.raises(LocalProtocolError, match=f"SSE {field} must not contain CR, LF or NUL"):
        encode_frame("x", **{field: bad})  # type: ignore[arg-type]


def test_envelope_whose_type_contains_a_newline_is_refused() -> None:
    envelope = {"type": "message\ndata: injected", "data": {}, "id": "1", "timestamp": "t"}
    with pytest.raises(LocalProtocolError, match="SSE event"):
        encode_envelope(envelope)


def test_envelope_whose_id_contains_a_newline_is_refused() -> None:
    envelope = {"type": "message", "data": {}, "id": "1\n\ndata: x", "timestamp": "t"}
    with pytest.raises(LocalProtocolError, match="SSE id"):
        encode_envelope(envelope)


def test_multi_line_data_becomes_one_data_line_per_line() -> None:
    assert encode_frame("a\r\nb\rc\nd") == b"data: a\ndata: b\ndata: c\ndata: d\n\n"


def test_frame_writes_id_event_retry_then_data() -> None:
    frame = encode_frame("x", event="message", id="7", retry=250)
    assert frame == b"id: 7\nevent: message\nretry: 250\ndata: x\n\n"


def test_retry_frame() -> None:
    assert encode_retry(1500) == b"retry: 1500\n\n"
    parser = EventStreamParser()
    assert parser.feed(encode_retry(1500)) == []
    assert parser.retry == 1500


@pytest.mark.parametrize("bad", [-1, True, 1.5, "10"])
def test_retry_must_be_a_non_negative_integer(bad: object) -> None:
    with pytest.raises(LocalProtocolError, match="retry"):
        encode_retry(bad)  # type: ignore[arg-type]


def test_comment_frame_comments_every_line_and_is_ignored_by_the_parser() -> None:
    frame = encode_comment("keep\nalive")
    assert frame == b": keep\n: alive\n\n"
    assert parse(frame, encode_frame("after")) == [ServerSentEvent(data="after")]


def test_envelope_frame_carries_id_event_and_json_data() -> None:
    envelope = {"type": "message", "data": {"content": "a\nb"}, "id": "e-1", "timestamp": "t"}
    frame = encode_envelope(envelope, retry=10)
    assert frame.startswith(b"id: e-1\nevent: message\nretry: 10\ndata: {")
    [event] = parse(frame)
    assert (event.event, event.id, event.retry) == ("message", "e-1", 10)
    assert orjson.loads(event.data) == envelope


def test_envelope_with_empty_id_writes_no_id_line() -> None:
    frame = encode_envelope({"type": "keepalive", "data": {}, "id": "", "timestamp": "t"})
    assert b"id:" not in frame
    parser = EventStreamParser(last_event_id="kept")
    [event] = parser.feed(frame)
    assert event.id == "kept"


def test_text_that_is_not_utf8_encodable_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="UTF-8"):
        encode_frame("lone \ud800 surrogate")
    with pytest.raises(LocalProtocolError, match="JSON"):
        encode_envelope({"type": "message", "data": {"x": "\ud800"}, "id": "", "timestamp": "t"})


# --- parser: one test per WHATWG rule -----------------------------------------------------------


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_lines_end_with_lf_cr_or_crlf(end: bytes) -> None:
    stream = b"event: e" + end + b"data: a" + end + b"data: b" + end + end
    assert parse(stream) == [ServerSentEvent("e", "a\nb")]


def test_cr_then_lf_in_the_next_chunk_is_one_line_end() -> None:
    # Were the LF a second line end, it would be a blank line dispatching "a" alone.
    assert parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ServerSentEvent(data="a\nb")]


def test_cr_at_the_end_of_a_chunk_ends_the_line_at_once() -> None:
    parser = EventStreamParser()
    assert parser.feed(b"data: a\r\r") == [ServerSentEvent(data="a")]
    assert parser.feed(b"\ndata: b\n\n") == [ServerSentEvent(data="b")]


def test_lf_after_an_empty_chunk_still_pairs_with_the_cr() -> None:
    parser = EventStreamParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"") == []
    assert parser.feed(b"\n\n") == [ServerSentEvent(data="a")]


def test_unicode_line_separators_are_not_line_ends() -> None:
    data = "a\u2028b\u0085c\x0bd\x0ce"
    assert parse(f"data: {data}\n\n".encode()) == [ServerSentEvent(data=data)]


def test_multi_byte_character_split_across_feeds() -> None:
    encoded = "data: é€😀\n\n".encode()
    chunks = [encoded[i : i + 1] for i in range(len(encoded))]
    assert parse(*chunks) == [ServerSentEvent(data="é€😀")]


def test_invalid_utf8_is_replaced_as_the_standard_says() -> None:
    assert parse(b"data: a\xffb\xc3\n\n") == [ServerSentEvent(data="a\ufffdb\ufffd")]


def test_invalid_utf8_raises_in_strict_mode() -> None:
    with pytest.raises(RemoteProtocolError, match="not valid UTF-8"):
        parse(b"data: a\xffb\n\n", strict=True)


def test_strict_mode_accepts_characters_split_across_feeds() -> None:
    assert parse(b"data: \xc3", b"\xa9\n\n", strict=True) == [ServerSentEvent(data="é")]


def test_one_leading_bom_is_stripped() -> None:
    assert parse(b"\xef\xbb\xbfdata: x\n\n") == [ServerSentEvent(data="x")]


def test_a_leading_bom_split_across_feeds_is_stripped() -> None:
    assert parse(b"\xef", b"\xbb", b"\xbfdata: x\n\n") == [ServerSentEvent(data="x")]


def test_only_one_bom_is_stripped() -> None:
    # The second BOM is part of the first line's field name, an unknown field: ignored.
    assert parse(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [ServerSentEvent(data="y")]


def test_a_bom_later_in_the_stream_is_data() -> None:
    assert parse(b"data: \xef\xbb\xbfx\n\n") == [ServerSentEvent(data="\ufeffx")]


def test_comment_lines_are_ignored() -> None:
    assert parse(b": hello\n:\ndata: x\n: between\n\n") == [ServerSentEvent(data="x")]


def test_one_space_after_the_colon_is_stripped() -> None:
    stream = b"data:x\n\ndata: x\n\ndata:  x\n\nevent:  e\ndata\n\n"
    assert parse(stream) == [
        ServerSentEvent(data="x"),
        ServerSentEvent(data="x"),
        ServerSentEvent(data=" x"),
        ServerSentEvent(event=" e", data=""),
    ]


def test_only_the_first_colon_separates_name_and_value() -> None:
    assert parse(b"data: a: b:c\n\n") == [ServerSentEvent(data="a: b:c")]


def test_a_field_without_colon_has_an_empty_value() -> None:
    assert parse(b"event: e\nevent\ndata\n\n") == [ServerSentEvent(event="message", data="")]


def test_data_lines_are_joined_with_lf_and_the_last_lf_removed() -> None:
    assert parse(b"data: a\ndata:\ndata: b\n\n") == [ServerSentEvent(data="a\n\nb")]
    assert parse(b"data\ndata\n\n") == [ServerSentEvent(data="\n")]


def test_a_block_without_data_dispatches_nothing() -> None:
    assert parse(b"event: e\n\nid: 1\n\nretry: 5\n\n\n\n") == []


def test_an_empty_data_field_dispatches_an_event_with_empty_data() -> None:
    assert parse(b"data:\n\n") == [ServerSentEvent(data="")]


def test_empty_event_type_means_message() -> None:
    assert parse(b"event:\ndata: x\n\nevent: \ndata: y\n\n") == [
        ServerSentEvent(event="message", data="x"),
        ServerSentEvent(event="message", data="y"),
    ]


def test_event_type_does_not_carry_over_to_the_next_event() -> None:
    assert parse(b"event: e\ndata: 1\n\ndata: 2\n\nevent: lost\n\ndata: 3\n\n") == [
        ServerSentEvent(event="e", data="1"),
        ServerSentEvent(event="message", data="2"),
        ServerSentEvent(event="message", data="3"),
    ]


def test_id_containing_nul_is_ignored() -> None:
    assert parse(b"id: 1\n\nid: 2\x003\ndata: x\n\n") == [ServerSentEvent(data="x", id="1")]


def test_last_event_id_persists_across_events() -> None:
    parser = EventStreamParser()
    events = parser.feed(b"id: 1\ndata: a\n\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]
    assert parser.last_event_id == "1"


def test_an_empty_id_resets_the_last_event_id() -> None:
    events = parse(b"id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n")
    assert [e.id for e in events] == ["1", "", ""]


def test_an_id_without_data_is_committed_by_the_blank_line() -> None:
    parser = EventStreamParser()
    assert parser.feed(b"id: 5\n\n") == []
    assert parser.last_event_id == "5"
    assert parser.feed(b"data: x\n\n") == [ServerSentEvent(data="x", id="5")]


def test_an_id_is_committed_only_at_dispatch() -> None:
    parser = EventStreamParser()
    parser.feed(b"id: 5\ndata: x\n")
    assert parser.last_event_id == ""


@pytest.mark.parametrize("value", ["", "1.5", "-1", "+1", "  1", "1 ", "1e3", "\u0661\u0662", "x"])
def test_retry_other_than_ascii_digits_is_ignored(value: str) -> None:
    parser = EventStreamParser()
    events = parser.feed(f"retry: 100\n\nretry:{value}\ndata: x\n\n".encode())
    assert parser.retry == 100
    assert events == [ServerSentEvent(data="x", retry=100)]


def test_retry_of_ascii_digits_sets_the_reconnection_time() -> None:
    parser = EventStreamParser()
    assert parser.feed(b"retry: 0\n\n") == []
    assert parser.retry == 0
    assert parser.feed(b"retry:3000\ndata: x\n\n") == [ServerSentEvent(data="x", retry=3000)]
    assert parser.retry == 3000


def test_retry_with_more_digits_than_an_int_can_hold_is_ignored() -> None:
    parser = EventStreamParser()
    parser.feed(b"retry: " + b"9" * 5000 + b"\n\n")
    assert parser.retry is None


def test_unknown_fields_are_ignored() -> None:
    assert parse(b"Data: no\nDATA: no\nfoo: bar\ndata: x\n\n") == [ServerSentEvent(data="x")]


def test_an_unterminated_last_event_is_discarded_on_close() -> None:
    parser = EventStreamParser()
    assert parser.feed(b"data: done\n\nid: 9\ndata: cut") == [ServerSentEvent(data="done")]
    assert parser.close() == []
    assert parser.last_event_id == ""


def test_close_readies_the_parser_for_the_next_connection() -> None:
    parser = EventStreamParser()
    parser.feed(b"id: 3\nretry: 50\ndata: a\n\ndata: half")
    parser.close()
    # A new stream: the half line is gone, a BOM is stripped again, id and retry carry over.
    assert parser.feed(b"\xef\xbb\xbfdata: b\n\n") == [ServerSentEvent(data="b", id="3", retry=50)]


# The examples of the WHATWG standard ("Server-sent events", "Parsing an event stream").
@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (
            b"data: YHOO\ndata: +2\ndata: 10\n\n",
            [ServerSentEvent(data="YHOO\n+2\n10")],
        ),
        (
            b": test stream\n\ndata: first event\nid: 1\n\n"
            b"data:second event\nid\n\ndata:  third event\n",
            [ServerSentEvent(data="first event", id="1"), ServerSentEvent(data="second event")],
        ),
        (
            b"data\n\ndata\ndata\n\ndata:",
            [ServerSentEvent(data=""), ServerSentEvent(data="\n")],
        ),
        (
            b"data:test\n\ndata: test\n\n",
            [ServerSentEvent(data="test"), ServerSentEvent(data="test")],
        ),
    ],
    ids=["multi-line", "ids", "empty-data", "space"],
)
def test_examples_of_the_standard(stream: bytes, expected: list[ServerSentEvent]) -> None:
    assert parse(stream) == expected


# --- properties -------------------------------------------------------------------------------

_FIELD = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)
_DATA = st.lists(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from(["\r", "\n", "\r\n"])), max_size=30
).map("".join)
_FRAMES = st.lists(
    st.tuples(st.none() | _FIELD, st.none() | _FIELD, st.none() | st.integers(0, 2**63), _DATA),
    max_size=6,
)


def _chunked(stream: bytes, data: st.DataObject) -> list[bytes]:
    """``stream`` cut at drawn places: byte by byte, or anywhere."""
    every_byte = st.just(list(range(1, len(stream))))
    cuts = data.draw(every_byte | st.lists(st.integers(0, len(stream)), max_size=len(stream)))
    bounds = [0, *sorted(cuts), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


@given(frames=_FRAMES, bom=st.booleans(), comment=_DATA, data=st.data())
def test_encode_then_feed_in_any_chunks_gives_back_every_event(
    frames: list[tuple[str | None, str | None, int | None, str]],
    bom: bool,
    comment: str,
    data: st.DataObject,
) -> None:
    """What round-trips: ``event`` (None and "" read as "message"), ``id`` (None keeps the
    previous one), ``retry`` (None keeps the previous one) exactly; ``data`` exactly except
    that each CRLF or lone CR reads as LF."""
    stream = b"\xef\xbb\xbf" if bom else b""
    expected: list[ServerSentEvent] = []
    last_id, last_retry = "", None
    for event, event_id, retry, text in frames:
        stream += encode_comment(comment) + encode_frame(
            text, event=event, id=event_id, retry=retry
        )
        last_id = last_id if event_id is None else event_id
        last_retry = last_retry if retry is None else retry
        expected.append(
            ServerSentEvent(event or "message", re.sub(r"\r\n?", "\n", text), last_id, last_retry)
        )
    parser = EventStreamParser(strict=True)
    decoded = [event for chunk in _chunked(stream, data) for event in parser.feed(chunk)]
    assert decoded == expected
    assert (parser.last_event_id, parser.retry) == (last_id, last_retry)
    assert parser.close() == []


_END = st.sampled_from([b"\r", b"\n", b"\r\n"])
_LINE = st.one_of(
    _END,  # a blank line
    st.tuples(
        st.sampled_from([b"data", b"id", b"event", b"retry", b"", b"x", b"\xef\xbb\xbf"]),
        st.sampled_from([b"", b":", b": ", b":  "]),
        st.sampled_from([b"", b"7", b"a b", b"\x00", b"\xc3\xa9", b"\xc3", b"\xff", b"\r"]),
        _END,
    ).map(b"".join),
)


@given(lines=st.lists(_LINE, max_size=30), data=st.data())
def test_any_chunking_parses_like_the_whole_stream(lines: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(lines)
    whole = EventStreamParser()
    expected = whole.feed(stream)
    chunked = EventStreamParser()
    assert [e for chunk in _chunked(stream, data) for e in chunked.feed(chunk)] == expected
    assert (chunked.last_event_id, chunked.retry) == (whole.last_event_id, whole.retry)
