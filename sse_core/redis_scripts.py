"""The Lua scripts of the Redis backplane (:mod:`sse_core.redis_backplane`, whose docstring
describes the keys), and the form in which the append script takes an event. Each runs
atomically: an append takes its sequences and writes both streams in one step, a read sees
one moment."""

from __future__ import annotations

import orjson

from protocol import build_envelope

from .events import Draft

# A session's earlier life (before its keys expired): ``lives`` scores each session with its
# newest sequence; an entry whose meta is gone is folded into ``gone``, the newest sequence of
# the sessions no longer told apart. KEYS: lives, gone. ARGV: session id, meta key prefix.
# Sets ``former``: at or below it, a sequence may be from an earlier life of the session.
FORMER = """
local former = redis.call('ZSCORE', KEYS[6], ARGV[5])
if not former then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[6], 0, 15)) do
    if redis.call('EXISTS', ARGV[7] .. member) == 1 then break end
    local score = tonumber(redis.call('ZSCORE', KEYS[6], member))
    redis.call('ZREM', KEYS[6], member)
    if score > tonumber(redis.call('GET', KEYS[7]) or '0') then
      redis.call('SET', KEYS[7], score)
    end
  end
  former = redis.call('GET', KEYS[7]) or '0'
end
"""

# KEYS: epoch, seq, history, meta, live, lives, gone. ARGV: epoch, max history, live cap,
# session ttl (ms), session id, width of an id's sequence, meta key prefix, the newest
# sequence the caller knows was issued, then per event: its envelope encoded with an empty id,
# the byte offset of the id's place in it, type, accepted (wall clock, s), ttl (s). The script
# writes each id into its envelope, so the stored bytes are the envelope on the wire. A
# counter below what the caller knows was issued (Redis went back to an older copy of its
# data) appends nothing: the ids would be given again.
APPEND = (
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('SLUICE_EPOCH') end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[8]) then
  return redis.error_reply('SLUICE_BEHIND')
end
local count = (#ARGV - 8) / 5
local first = redis.call('INCRBY', KEYS[2], count) - count
if redis.call('EXISTS', KEYS[4]) == 0 then
"""
    + FORMER
    + """
  redis.call('HSET', KEYS[4], 'origin', first, 'floor', first, 'former', former)
end
local pattern = ARGV[1] .. '-%0' .. ARGV[6] .. 'd'
for i = 1, count do
  local n, k = first + i, 5 * i + 4
  local body, slot = ARGV[k], tonumber(ARGV[k + 1])
  local id = string.format(pattern, n)
  local envelope = string.sub(body, 1, slot) .. id .. string.sub(body, slot + 1)
  local fields = {'a', ARGV[k + 3], 't', ARGV[k + 4], 'y', ARGV[k + 2], 'i', id, 'e', envelope}
  redis.call('XADD', KEYS[3], '0-' .. n, unpack(fields))
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'n', n, 's', ARGV[5], unpack(fields))
end
redis.call('HSET', KEYS[4], 'last', first + count)
redis.call('ZADD', KEYS[6], first + count, ARGV[5])
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
)

# KEYS: history, meta, epoch, seq, (unused), lives, gone. ARGV: after ('' for all), limit (0
# for all), now (wall clock, s), (unused), session id, (unused), meta key prefix. Returns the
# session's origin, floor, last and former (all the newest sequence issued, for a session
# without meta), the newest sequence issued, whether the entry ``after`` is held, the highest
# sequence passed over as expired, the unexpired entries after ``after`` and the epoch.
READ = (
    """
local issued = redis.call('GET', KEYS[4]) or '0'
local meta = redis.call('HMGET', KEYS[2], 'origin', 'floor', 'last', 'former')
if not meta[3] then
"""
    + FORMER
    + """
  meta = {issued, issued, issued, former}
end
local epoch = redis.call('GET', KEYS[3])
local cursor, holds = '-', 0
if ARGV[1] ~= '' then
  cursor = '(0-' .. ARGV[1]
  holds = #redis.call('XRANGE', KEYS[1], '0-' .. ARGV[1], '0-' .. ARGV[1])
end
local limit, now = tonumber(ARGV[2]), tonumber(ARGV[3])
local out, expired = {}, 0
local function result()
  return {meta[1], meta[2], meta[3], meta[4], issued, holds, expired, out, epoch}
end
while true do
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 256)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local f = entry[2]
    if tonumber(f[2]) + tonumber(f[4]) > now then
      out[#out + 1] = entry
      if limit > 0 and #out >= limit then return result() end
    else
      expired = tonumber(string.sub(entry[1], 3))
    end
  end
  cursor = '(' .. batch[#batch][1]
end
return result()
"""
)

# KEYS: history, meta. ARGV: now (wall clock, s). Deletes expired entries, raises the floor.
EXPIRE = """
local floor = tonumber(redis.call('HGET', KEYS[2], 'floor') or '0')
local cursor, gone = '-', 0
while true do
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 256)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local f = entry[2]
    if tonumber(f[2]) + tonumber(f[4]) <= tonumber(ARGV[1]) then
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

# KEYS: history, meta, live. ARGV: session id, live cap. Empties the history (sequences go
# on) and appends to the live stream an entry naming the session (``c``), after every event
# published before the clear, so that each process's reader forgets what it mirrored of them.
CLEAR = """
local last = redis.call('HGET', KEYS[2], 'last')
if last then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
  redis.call('HSET', KEYS[2], 'floor', last)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'c', ARGV[1])
return 0
"""


# KEYS: epoch. ARGV: the epoch whose ids Redis would give again (it went back to an older
# copy of its data), a new epoch. Replaces the one by the other unless another process did
# first; returns the epoch Redis has then.
REPLACE_EPOCH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])
"""


def encoded_without_id(draft: Draft) -> tuple[bytes, int]:
    """What :data:`APPEND` takes of each event: the envelope of ``draft`` encoded once with
    an empty id, and the byte offset in it of
    the id's place (between the quotes of ``"id":""``), found by measuring what follows the
    id at the top level, so that nothing inside ``data`` can be mistaken for it."""
    envelope = build_envelope(
        draft.type, draft.data, id="", timestamp=draft.timestamp, ttl=draft.ttl
    )
    body = orjson.dumps(envelope)
    keys = list(envelope)
    after = keys[keys.index("id") + 1 :]
    tail = 1 + sum(2 + len(orjson.dumps(key)) + len(orjson.dumps(envelope[key])) for key in after)
    return body, len(body) - tail - 1
