"""Idempotency-Key records in Redis, for :class:`~sse_core.redis_backplane.RedisBackplane`.

A record is a string key (``<prefix>k:<scoped key>``) holding :func:`~sse_core.idempotency.
encode`'s text, expiring after the claim's ttl. A publish records in the append script itself
(:func:`append_once`), so events and record are written together or not at all; a regenerate
records with ``SET NX`` (:func:`record`).
"""

from __future__ import annotations

from typing import Any

import coredis

from .idempotency import Claim, Recorded, decode, encode

# Runs before the append script: KEYS ends with the record's key, ARGV with the fingerprint
# and the ttl (ms). A recorded key returns its record and appends nothing; else the record
# (the fingerprint and the ids about to be given, formatted as the append script formats
# them) is written and the append runs (unless the epoch is not Redis's, or its counter is
# behind the caller's: then it writes nothing). The count of events follows the append's
# ARGV (redis_scripts.APPEND).
_CLAIM = """
local ttl_ms = table.remove(ARGV)
local fingerprint = table.remove(ARGV)
local record_key = table.remove(KEYS)
local done = redis.call('GET', record_key)
if done then return done end
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
if redis.call('GET', KEYS[1]) == ARGV[1] and seq >= tonumber(ARGV[8]) then
  local record = {fingerprint}
  local format = ARGV[1] .. '-%0' .. ARGV[6] .. 'd'
  for i = 1, (#ARGV - 8) / 5 do record[i + 1] = string.format(format, seq + i) end
  redis.call('SET', record_key, table.concat(record, ' '), 'PX', ttl_ms)
end
"""


def append_once(append: str) -> str:
    """The append script ``append`` (:data:`~sse_core.redis_scripts.APPEND`: ARGV the epoch
    first, the width of an id's sequence sixth, events in fives after eight) preceded by the
    claim's check and record."""
    return _CLAIM + append


def claim_args(claim: Claim) -> list[Any]:
    """What :func:`append_once`'s script takes after the append's own arguments."""
    return [claim.fingerprint, _ttl_ms(claim)]


def recorded(outcome: Any) -> Recorded | None:
    """The record an append-once script returned instead of appending, or None."""
    return decode(outcome.decode()) if isinstance(outcome, bytes) else None


async def record(
    client: coredis.Redis[bytes], key: str, claim: Claim, result: tuple[str, ...]
) -> Recorded | None:
    """Record ``result`` at ``key`` unless a record is there; return that record."""
    text = encode(Recorded(claim.fingerprint, result))
    if await client.set(key, text, condition=coredis.PureToken.NX, px=_ttl_ms(claim)):
        return None
    found = await client.get(key)
    return None if found is None else decode(found.decode())


def _ttl_ms(claim: Claim) -> int:
    return max(int(claim.ttl * 1000), 1)
