"""A request body read as JSON, the same on every path that reads one: the Quart routes
(:func:`server.web.context.json_body`) and the front's publishes
(:mod:`server.streaming.publishes`).

RFC 8259 section 9 lets a parser limit how deeply values nest. orjson reads up to 1,024 levels
but writes at most 254, and the hub writes what it reads: each event's size is measured as
JSON, an ``Idempotency-Key``'s fingerprint is the body as JSON, and an event's data goes out
inside its envelope, one level deeper, and inside a history page, two more. So a body is taken
to :data:`MAX_DEPTH` levels: deeper, it is the same ``400 invalid-json`` as orjson's own limit,
where it was a 500 once the hub wrote it.
"""

from __future__ import annotations

from typing import Any

import orjson

from .problems import Problem

#: The deepest nesting of arrays and objects a body may have (the body itself is level 1).
MAX_DEPTH = 200


def parse_json(body: bytes) -> Any:
    """``body`` parsed as JSON; a 400 ``invalid-json`` problem when it is not UTF-8 (naming
    the offset of its first bad byte), not JSON, or nested deeper than :data:`MAX_DEPTH`."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Problem(400, "invalid-json", "Invalid JSON", _not_json(body, error)) from None
    # each level opens with a bracket: a body with few of them cannot nest deeper, and is not
    # walked (counting bytes in C costs far less than visiting every value in Python)
    brackets = body.count(b"[") + body.count(b"{")
    if brackets > MAX_DEPTH and depth(doc) > MAX_DEPTH:
        detail = (
            f"the body is not JSON this hub takes: its values nest more than {MAX_DEPTH} "
            "levels deep"
        )
        raise Problem(400, "invalid-json", "Invalid JSON", detail)
    return doc


def depth(value: Any) -> int:
    """How many levels of arrays and objects ``value`` (a parsed JSON value) nests: 0 for a
    scalar, 1 for ``[]`` or ``{"a": 1}``, 2 for ``[[]]``. Without recursion (Python's stack
    holds fewer levels than orjson reads)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in item)
    return deepest


def _not_json(body: bytes, error: orjson.JSONDecodeError) -> str:
    """What is wrong with a body orjson refused: its first byte that is not UTF-8, or the
    JSON error."""
    try:
        body.decode()
    except UnicodeDecodeError as bad:
        return (
            f"the body is not UTF-8: byte 0x{body[bad.start]:02x} at offset {bad.start} "
            f"({bad.reason})"
        )
    return f"the body is not JSON: {error}"
