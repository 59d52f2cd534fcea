"""The Redis Streams backplane: every process pointed at one Redis shares sessions, history
and ids, so a client may publish to one process and read, or resume, from any other.

Keys, under a prefix (``sluice:`` by default):

- ``epoch``: set by the first process; every id carries it. A Redis that lost its data (it
  keeps nothing on disk) gets a new one, so older ids resume with ``unknown_epoch``.
- ``seq``: the sequence counted over all sessions; ids are ``<epoch>-<sequence>`` as with the
  memory backplane.
- ``s:{session}``: the session's history, a stream whose entry ids are ``0-<sequence>``,
  bounded to ``max_history_per_session`` entries.
- ``m:{session}``: ``floor`` (no event at or below it is held any more) and ``last`` (the
  newest sequence). History and this hash expire after ``session_ttl`` without a publish.
- ``k:{key}``: the record of an Idempotency-Key (scoped, hashed), see :mod:`~sse_core.redis_keys`.
- ``live``: every event of every session in publish order, capped (approximately) at
  ``live_cap`` entries; each process runs one reader on it that feeds its broadcaster.

An append is one Lua script, so sequences are contiguous over all sessions and the live stream
holds them in order: a reader that finds a hole fell behind the cap, and says so in the log.
Each process mirrors what its reader delivered (:class:`~sse_core.history.Histories`, with the
memory thresholds): its figures and stats come from there, while replays read Redis, the
source of truth. A session's local expiry forgets only the mirror; Redis drops its history
``session_ttl`` after its last publish.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import coredis
import orjson
import trio
from coredis.exceptions import ResponseError

from . import redis_keys
from .backplane import Backplane, BackplaneUnavailable, Sink, find_error
from .config import BroadcasterConfig
from .events import Draft, HistoryPage, ResetReason, StoredEvent
from .history import Histories, HistoryFigures
from .idempotency import AlreadyRecorded, Claim, Recorded
from .ids import format_event_id, new_epoch, parse_event_id

logger = logging.getLogger("sluice.core")

# KEYS: epoch, seq, history, meta, live. ARGV: epoch, max history, live cap, session ttl (ms),
# session id, then per event: draft (JSON), accepted (wall clock, s), ttl (s).
_APPEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('SLUICE_EPOCH') end
local count = (#ARGV - 5) / 3
local first = redis.call('INCRBY', KEYS[2], count) - count
if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('HSET', KEYS[4], 'floor', first) end
for i = 1, count do
  local n = first + i
  local draft, accepted, ttl = ARGV[3 * i + 3], ARGV[3 * i + 4], ARGV[3 * i + 5]
  redis.call('XADD', KEYS[3], '0-' .. n, 'd', draft, 'a', accepted, 't', ttl)
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*',
             'n', n, 's', ARGV[5], 'd', draft, 'a', accepted, 't', ttl)
end
redis.call('HSET', KEYS[4], 'last', first + count)
local excess = redis.call('XLEN', KEYS[3]) - tonumber(ARGV[2])
if excess > 0 then
  local gone = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', excess)
  redis.call('XTRIM', KEYS[3], 'MAXLEN', ARGV[2])
  redis.call('HSET', KEYS[4], 'floor', string.sub(gone[#gone][1], 3))
end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
return first
"""

# KEYS: history, meta, epoch. ARGV: after ('' for all), limit (0 for all), now (wall clock, s).
# Returns floor, last, the highest sequence passed over as expired, the unexpired entries and
# the epoch.
_READ = """
local meta = redis.call('HMGET', KEYS[2], 'floor', 'last')
local epoch = redis.call('GET', KEYS[3])
local cursor = '-'
if ARGV[1] ~= '' then cursor = '(0-' .. ARGV[1] end
local limit, now = tonumber(ARGV[2]), tonumber(ARGV[3])
local out, expired = {}, 0
while true do
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 256)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local f = entry[2]
    if tonumber(f[4]) + tonumber(f[6]) > now then
      out[#out + 1] = entry
      if limit > 0 and #out >= limit then return {meta[1], meta[2], expired, out, epoch} end
    else
      expired = tonumber(string.sub(entry[1], 3))
    end
  end
  cursor = '(' .. batch[#batch][1]
end
return {meta[1], meta[2], expired, out, epoch}
"""

# KEYS: history, meta. ARGV: now (wall clock, s). Deletes expired entries, raises the floor.
_EXPIRE = """
local floor = tonumber(redis.call('HGET', KEYS[2], 'floor') or '0')
local cursor, gone = '-', 0
while true do
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 256)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local f = entry[2]
    if tonumber(f[4]) + tonumber(f[6]) <= tonumber(ARGV[1]) then
      redis.call('XDEL', KEYS[1], entry[1])
      floor = math.max(floor, tonumber(string.sub(entry[1], 3)))
      gone = gone + 1
    end
  end
  cursor = '(' .. batch[#batch][1]
end
if gone > 0 then redis.call('HSET', KEYS[2], 'floor', floor) end
return gone
"""

# KEYS: history, meta. Empties the history; sequences go on.
_CLEAR = """
local last = redis.call('HGET', KEYS[2], 'last')
if last then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
  redis.call('HSET', KEYS[2], 'floor', last)
end
return 0
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBackplane(Backplane):
    """Sessions in Redis Streams at ``url`` (``redis://host:port/db``), keys under ``prefix``.

    ``live_cap`` bounds the live stream (a reader further behind than that loses events, and
    logs it); ``block`` is how long (s) one read of it waits, ``retry_delay`` how long the
    reader waits after a failed read; ``clock`` gives wall-clock seconds (every process must
    agree on them to within the ttls). Needs Redis 6.2 or newer.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "sluice:",
        live_cap: int = 100_000,
        block: float = 5.0,
        retry_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.live_cap = live_cap
        self.block = block
        self.retry_delay = retry_delay
        self.clock = clock
        self._epoch = ""
        self._client: coredis.Redis[bytes] | None = None
        self._config: BroadcasterConfig | None = None
        self._mirror = Histories()
        self._scripts: dict[str, Any] = {}

    @property
    def epoch(self) -> str:
        return self._epoch

    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        if self._client is not None:
            raise RuntimeError("this backplane already serves a broadcaster")
        client: coredis.Redis[bytes] = coredis.Redis.from_url(self.url, decode_responses=False)
        with self._reaching():
            async with client:
                self._scripts = {
                    name: client.register_script(source)
                    for name, source in (
                        ("append", _APPEND),
                        ("append_once", redis_keys.append_once(_APPEND)),
                        ("read", _READ),
                        ("expire", _EXPIRE),
                        ("clear", _CLEAR),
                    )
                }
                await self._join(client)
                entries = await client.xrevrange(self._key("live"), "+", "-", count=1)
                since = _text(entries[0].identifier) if entries else "0-0"
                self._client, self._config = client, config
                try:
                    task_status.started()
                    await self._read_live(client, config, sink, since)
                finally:
                    self._client = self._config = None

    @property
    def where(self) -> str:
        """The Redis URL without its password."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    async def _join(self, client: coredis.Redis[bytes]) -> None:
        """Take the shared epoch (setting it, when Redis has none)."""
        await client.set(self._key("epoch"), new_epoch(), condition=coredis.PureToken.NX)
        self._epoch = _text(await client.get(self._key("epoch")))

    async def _read_live(
        self, client: coredis.Redis[bytes], config: BroadcasterConfig, sink: Sink, since: str
    ) -> None:
        """Deliver every live event to ``sink``, in order, from after the entry ``since``."""
        live = self._key("live")
        expected: int | None = None
        while True:
            try:
                found = await client.xread({live: since}, count=1000, block=int(self.block * 1000))
            except Exception as error:
                if find_error(error, (coredis.exceptions.ConnectionError, OSError)) is None:
                    raise
                # The text only: a log record must not keep the error (and its frames) alive.
                logger.error("reading the live stream from Redis failed: %s; retrying", repr(error))
                await trio.sleep(self.retry_delay)
                continue
            if not found:
                continue
            entries = found[live.encode()]
            since = _text(entries[-1].identifier)
            runs: list[tuple[str, list[StoredEvent]]] = []
            for entry in entries:
                fields = entry.field_values
                sequence = int(fields[b"n"])
                if expected is not None and sequence < expected:  # Redis lost its data
                    await self._join(client)
                    self._mirror = Histories()
                elif expected is not None and sequence > expected:
                    logger.error(
                        "the live stream no longer holds events %d to %d (this process fell "
                        "more than %d events behind): they were not delivered here",
                        expected,
                        sequence - 1,
                        self.live_cap,
                    )
                expected = sequence + 1
                session_id = _text(fields[b"s"])
                event = self._stored(sequence, fields)
                if runs and runs[-1][0] == session_id:
                    runs[-1][1].append(event)
                else:
                    runs.append((session_id, [event]))
            for session_id, events in runs:
                self._mirror.append(session_id, events, config, events[0].position - 1)
                sink(session_id, events)

    def _stored(self, sequence: int, fields: Any) -> StoredEvent:
        """The event of an entry (fields ``d`` draft, ``a`` accepted, ``t`` ttl), with this
        process's clock for its times."""
        draft = Draft(**orjson.loads(fields[b"d"]))
        now = trio.current_time()
        accepted = now - (self.clock() - float(fields[b"a"]))
        return StoredEvent.build(
            draft,
            id=format_event_id(self._epoch, sequence),
            position=sequence,
            now=accepted,
            ttl=float(fields[b"t"]),
        )

    async def append(
        self, session_id: str, drafts: Sequence[Draft], claim: Claim | None = None
    ) -> list[StoredEvent]:
        client, config = self._client, self._config
        if client is None or config is None:
            raise RuntimeError("the backplane is not running")
        accepted = self.clock()
        args: list[Any] = [
            self._epoch,
            config.max_history_per_session,
            self.live_cap,
            max(int(config.session_ttl * 1000), 1),
            session_id,
        ]
        ttls = [config.event_ttl if draft.ttl is None else draft.ttl for draft in drafts]
        for draft, ttl in zip(drafts, ttls, strict=True):
            args += [orjson.dumps(_draft_fields(draft)), repr(accepted), repr(ttl)]
        keys = [
            self._key("epoch"),
            self._key("seq"),
            self._key("s:", session_id),
            self._key("m:", session_id),
            self._key("live"),
        ]
        script = "append"
        if claim is not None:
            script = "append_once"
            keys.append(self._key("k:", claim.key))
            args += redis_keys.claim_args(claim)
        with self._reaching():
            try:
                first = await self._scripts[script](keys=keys, args=args)
            except ResponseError as error:
                if "SLUICE_EPOCH" not in str(error):
                    raise
                await self._join(client)  # Redis lost its data: the ids start a new epoch
                args[0] = self._epoch
                first = await self._scripts[script](keys=keys, args=args)
        if (found := redis_keys.recorded(first)) is not None:
            raise AlreadyRecorded(found)
        first = int(first)
        now = trio.current_time()
        return [
            StoredEvent.build(
                draft,
                id=format_event_id(self._epoch, first + index),
                position=first + index,
                now=now,
                ttl=ttl,
            )
            for index, (draft, ttl) in enumerate(zip(drafts, ttls, strict=True), start=1)
        ]

    async def record(self, claim: Claim, result: tuple[str, ...]) -> Recorded | None:
        client = self._require_client()
        with self._reaching():
            return await redis_keys.record(client, self._key("k:", claim.key), claim, result)

    async def discard(self, key: str) -> None:
        client = self._require_client()
        with self._reaching():
            await client.delete([self._key("k:", key)])

    async def replay(
        self, session_id: str, after_id: str | None, limit: int | None = None
    ) -> HistoryPage:
        parsed = None if after_id is None else parse_event_id(after_id)
        after = parsed.sequence if parsed is not None and parsed.epoch == self._epoch else None
        floor, last, expired, entries, epoch = await self._read(session_id, after, limit)
        if epoch != self._epoch:  # Redis lost its data: the ids start a new epoch
            with self._reaching():
                await self._join(self._require_client())
            after = None
            floor, last, expired, entries, epoch = await self._read(session_id, None, limit)
        reason: ResetReason | None = None
        if parsed is None:
            reason = None if after_id is None else "malformed_id"
        elif parsed.epoch != self._epoch:
            reason = "unknown_epoch"
        elif parsed.sequence > last or parsed.sequence < max(floor, expired):
            reason, after = "history_exhausted", None
            floor, last, expired, entries, epoch = await self._read(session_id, None, limit)
        events = [self._stored(int(_text(e.identifier)[2:]), e.field_values) for e in entries]
        position = events[-1].position if events else after
        return HistoryPage(events=events, reset_reason=reason, position=position)

    async def _read(
        self, session_id: str, after: int | None, limit: int | None
    ) -> tuple[int, int, int, list[_Entry], str]:
        """Floor, last, the highest expired sequence passed over, the unexpired entries after
        ``after`` (at most ``limit``) and the epoch Redis holds, read at one moment."""
        self._require_client()
        keys = [self._key("s:", session_id), self._key("m:", session_id), self._key("epoch")]
        args = ["" if after is None else after, limit or 0, repr(self.clock())]
        with self._reaching():
            floor, last, expired, raw, epoch = await self._scripts["read"](keys=keys, args=args)
        entries = [
            _Entry(identifier, dict(zip(values[::2], values[1::2], strict=True)))
            for identifier, values in raw
        ]
        return int(floor or 0), int(last or 0), int(expired or 0), entries, _text(epoch or b"")

    async def recent(self, session_id: str, limit: int) -> list[StoredEvent]:
        client = self._require_client()
        with self._reaching():
            entries = await client.xrevrange(self._key("s:", session_id), "+", "-", count=limit)
        now = self.clock()
        events = [
            self._stored(int(_text(e.identifier)[2:]), e.field_values)
            for e in reversed(entries)
            if float(e.field_values[b"a"]) + float(e.field_values[b"t"]) > now
        ]
        return events

    async def clear(self, session_id: str) -> None:
        self._require_client()
        keys = [self._key("s:", session_id), self._key("m:", session_id)]
        with self._reaching():
            await self._scripts["clear"](keys=keys, args=[])
        self._mirror.clear(session_id, self._config)

    async def forget(self, session_id: str) -> None:
        await trio.lowlevel.checkpoint()
        self._mirror.forget(session_id, self._config)

    async def expire(self) -> None:
        self._require_client()
        now = self.clock()
        for session_id in self._mirror.sessions():
            keys = [self._key("s:", session_id), self._key("m:", session_id)]
            with self._reaching():
                await self._scripts["expire"](keys=keys, args=[repr(now)])
        self._mirror.expire(trio.current_time(), self._config)

    def figures(self, session_id: str) -> HistoryFigures:
        return self._mirror.figures(session_id)

    def totals(self) -> HistoryFigures:
        return self._mirror.totals()

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """Translate Redis being out of reach into :class:`BackplaneUnavailable`."""
        try:
            yield
        except Exception as error:
            cause = find_error(error, (coredis.exceptions.ConnectionError, OSError))
            if cause is None:
                raise
            raise BackplaneUnavailable(f"cannot reach Redis at {self.where}: {cause}") from cause

    def _key(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    def _require_client(self) -> coredis.Redis[bytes]:
        if self._client is None:
            raise RuntimeError("the backplane is not running")
        return self._client


class _Entry:
    """A history entry as the read script returns it."""

    __slots__ = ("field_values", "identifier")

    def __init__(self, identifier: bytes, field_values: dict[bytes, bytes]) -> None:
        self.identifier = identifier
        self.field_values = field_values


def _draft_fields(draft: Draft) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": draft.type, "data": draft.data, "timestamp": draft.timestamp}
    if draft.ttl is not None:
        fields["ttl"] = draft.ttl
    return fields
