"""Idempotency keys: a request repeated with the same key is answered, not processed, again.

The IETF httpapi draft "The Idempotency-Key HTTP Header Field" describes the contract; the
server parses the header and makes a :class:`Claim` of it. A backplane records what the first
request with a claim produced (a :class:`Recorded`) in the same atomic step as its work: the
memory backplane in one step without a checkpoint, the Redis backplane inside its append
script, so a repeat sent to any node finds it. Only work that was done is recorded.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
import orjson


@attrs.frozen(kw_only=True)
class Claim:
    """One request's idempotency key.

    ``key``: the key scoped to its caller and session (see :func:`claim`), hex. ``fingerprint``:
    what the request asked for (see :func:`claim`). ``ttl``: seconds the outcome is remembered.
    """

    key: str
    fingerprint: str
    ttl: float


@attrs.frozen
class Recorded:
    """What the first request with a key produced: its ``fingerprint`` and ``result`` (a
    publish's event ids, a regenerate's message id)."""

    fingerprint: str
    result: tuple[str, ...]


class AlreadyRecorded(Exception):
    """A backplane found the claim's key recorded: nothing was done; ``recorded`` is the
    first request's outcome."""

    def __init__(self, recorded: Recorded) -> None:
        super().__init__("this Idempotency-Key is recorded")
        self.recorded = recorded


class KeyReused(ValueError):
    """The key was first used for a different request (the draft's 422)."""


def claim(scope: str, session_id: str, key: str, request: Any, ttl: float) -> Claim:
    """The claim of ``key`` sent by the caller ``scope`` (a token's subject; ``""`` without
    auth) to ``session_id``, for the JSON ``request`` (any JSON value): two requests equal as
    JSON have the same fingerprint (object keys in any order; numbers by value, so ``60``,
    ``60.0`` and ``6e1`` are one number, as JSON Schema's equality has them)."""
    scoped = "\x00".join((scope, session_id, key)).encode()
    body = orjson.dumps(_by_value(request), option=orjson.OPT_SORT_KEYS)
    return Claim(
        key=hashlib.sha256(scoped).hexdigest(),
        fingerprint=hashlib.sha256(body).hexdigest(),
        ttl=ttl,
    )


#: Integral floats below this are written as integers in a fingerprint (the doubles that hold
#: every integer up to it exactly; larger ones stay floats, as JSON parsers read them).
_EXACT = 2**53


def _by_value(value: Any) -> Any:
    """``value`` with every integral float as its integer (``60.0`` as ``60``)."""
    if isinstance(value, dict):
        return {key: _by_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_by_value(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT:
        return int(value)
    return value


def check(claim: Claim, recorded: Recorded) -> tuple[str, ...]:
    """The recorded result, for a repeat of the same request; raises :class:`KeyReused` if
    ``claim`` asks for something else."""
    if recorded.fingerprint != claim.fingerprint:
        raise KeyReused("this Idempotency-Key was used for a different request")
    return recorded.result


class KeyStore:
    """Recorded keys in memory, each until its ttl runs out (on the trio clock).

    ``bytes_held`` approximates their memory (key, fingerprint and results). Never blocks.
    """

    def __init__(self) -> None:
        self._records: dict[str, tuple[Recorded, float]] = {}
        self.bytes_held = 0

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str, now: float) -> Recorded | None:
        """The record of ``key``, unless absent or expired."""
        found = self._records.get(key)
        if found is None or found[1] <= now:
            return None
        return found[0]

    def put(self, claim: Claim, result: tuple[str, ...], now: float) -> Recorded:
        """Record ``result`` for ``claim`` (replacing an expired record)."""
        self.discard(claim.key)
        recorded = Recorded(claim.fingerprint, result)
        self._records[claim.key] = (recorded, now + claim.ttl)
        self.bytes_held += _size(claim.key, recorded)
        return recorded

    def discard(self, key: str) -> None:
        """Forget ``key``."""
        found = self._records.pop(key, None)
        if found is not None:
            self.bytes_held -= _size(key, found[0])

    def expire(self, now: float) -> None:
        """Forget every key whose ttl ran out."""
        for key in [k for k, (_, until) in self._records.items() if until <= now]:
            self.discard(key)


def _size(key: str, recorded: Recorded) -> int:
    return len(key) + len(recorded.fingerprint) + sum(len(r) for r in recorded.result) + 64


def encode(recorded: Recorded) -> str:
    """The text form of a record (as the Redis backplane stores it): fingerprint, results."""
    return " ".join((recorded.fingerprint, *recorded.result))


def decode(text: str) -> Recorded:
    """The record of :func:`encode`'s text."""
    fingerprint, *result = text.split(" ")
    return Recorded(fingerprint, tuple(result))
