"""The ``Idempotency-Key`` request header of publish and regenerate.

IETF httpapi draft "The Idempotency-Key HTTP Header Field": the value is a structured-field
string (RFC 8941 section 3.3.3, ``"..."`` with ``\\"`` and ``\\\\`` escapes); the bare key is
accepted too. Either way the key is 1 to 255 visible ASCII characters (``!`` to ``~``);
anything else, or the header sent twice, is a ``400 invalid-idempotency-key``.

A key is scoped to its caller (the token's subject; one anonymous scope without auth) and to
the session, and remembered for ``--idempotency-ttl`` seconds once the request succeeded
(see :mod:`sse_core.idempotency`). A repeat whose body is equal as JSON gets the first
answer; one with a different body is a ``422 idempotency-key-reused``.
"""

from __future__ import annotations

import re
from typing import Any

from quart import request

from sse_core.idempotency import Claim, KeyReused, claim

from ..hub import Hub
from ..problems import Problem
from ..security.auth import Principal

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_QUOTED = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')


def parse_key(value: str) -> str:
    """The key of an ``Idempotency-Key`` field value; raises a 400 problem if malformed."""
    quoted = _QUOTED.fullmatch(value)
    key = re.sub(r"\\(.)", r"\1", quoted[1]) if quoted else value
    if (value.startswith('"') and not quoted) or not _KEY.fullmatch(key):
        raise Problem(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key",
            f"{HEADER} must be 1 to 255 visible ASCII characters, bare or as a quoted string",
        )
    return key


def request_claim(hub: Hub, principal: Principal, session_id: str, body: Any) -> Claim | None:
    """The claim of this request's ``Idempotency-Key`` for ``body`` (None without one)."""
    values = request.headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise Problem(
            400, "invalid-idempotency-key", "Invalid Idempotency-Key", f"{HEADER} sent twice"
        )
    key = parse_key(values[0])
    scope = "" if principal.anonymous else f"sub {principal.subject}"
    return claim(scope, session_id, key, body, hub.settings.idempotency_ttl)


def reused(error: KeyReused) -> Problem:
    """The 422 problem of a key sent again with a different body."""
    return Problem(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        f"{error}: send a new key for a new request",
    )
