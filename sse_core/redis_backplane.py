"""The Redis Streams backplane: every process pointed at one Redis shares sessions, history
and ids, so a client may publish to one process and read, or resume, from any other.

Keys, under a prefix (``sluice:`` by default):

- ``epoch``: set by the first process; every id carries it. A Redis that lost its data (it
  keeps nothing on disk) gets a new one, so older ids resume with ``unknown_epoch``.
- ``seq``: the sequence counted over all sessions; ids are ``<epoch>-<sequence>`` as with the
  memory backplane.
- ``s:{session}``: the session's history, a stream whose entry ids are ``0-<sequence>``,
  bounded to ``max_history_per_session`` entries.
- ``s:{session}`` entries hold the envelope as sent (``e``, its id written in by the append
  script), its id (``i``), type (``y``), accepted time (``a``) and ttl (``t``): replays and
  live delivery frame those bytes without decoding them.
- ``m:{session}``: ``origin`` (the sequence before the session's first event), ``floor`` (no
  event at or below it is held any more), ``last`` (the newest sequence) and ``former`` (the
  newest sequence of an earlier life of the session, or a bound above it). History and this
  hash expire after ``session_ttl`` without a publish.
- ``lives``: each session scored with its newest sequence, so that a session made again after
  its keys expired knows its former life; entries whose session has expired are folded into
  ``gone``, a bound on their newest sequences, when a session is made.
- ``k:{key}``: the record of an Idempotency-Key (scoped, hashed), see
  :mod:`~sse_core.redis_keys`.
- ``live``: every event of every session in publish order, capped (approximately) at
  ``live_cap`` entries; each process runs one reader on it that feeds its broadcaster. A
  session cleared adds an entry naming it (``c``) without a sequence, in order with the
  events: each reader then drops what it mirrored of the session.

An append is one Lua script, so sequences are contiguous over all sessions and the live stream
holds them in order: a reader that finds a hole fell behind the cap, and says so in the log.
Each process mirrors what its reader delivered (:class:`~sse_core.history.Histories`, with the
memory thresholds): its figures and stats come from there, while replays read Redis, the
source of truth. A session's local expiry forgets only the mirror; Redis drops its history
``session_ttl`` after its last publish.

Every Redis call has a deadline (``timeout``; the live reader's blocking read its block time
more): a Redis that stalls (stopped, or behind a network that drops everything) is out of
reach as one that refuses connections is. After a call ran out of time the client's
connections are dropped and the next call opens a fresh one (a connection whose commands went
unanswered is not trusted again; coredis itself matches a late reply to the request that timed
out, so no call reads another's reply). A command that ran out of time may still run when
Redis answers again: a publish then may or may not have been stored. coredis's own retries are
off, as a second try of an append could store it twice. A call Redis answers with an error
(out of memory, read-only, forbidden) fails alone: Redis is not out of reach, and the reader
goes on.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import coredis
import trio
from coredis.exceptions import ResponseError
from coredis.retry import NoRetryPolicy

from . import redis_keys
from . import redis_scripts as scripts
from .backplane import Backplane, BackplaneUnavailable, Interrupt, Sink, find_error
from .config import BroadcasterConfig
from .events import Draft, StoredEvent
from .history import Histories, HistoryFigures
from .idempotency import AlreadyRecorded, Claim, Recorded
from .ids import SEQUENCE_WIDTH, format_event_id, new_epoch
from .paging import Window, WindowReader

logger = logging.getLogger("sluice.core")


#: What a call that could not reach Redis raises: no connection (refused, cut, timed out), or
#: a connection Redis would not take (its password or user refused).
_OUT_OF_REACH = (
    coredis.exceptions.ConnectionError,
    coredis.exceptions.AuthenticationError,
    OSError,
)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBackplane(Backplane):
    """Sessions in Redis Streams at ``url`` (``redis://host:port/db``), keys under ``prefix``.

    ``live_cap`` bounds the live stream (a reader further behind than that loses events, and
    logs it); ``block`` is how long (s) one read of it waits, ``retry_delay`` how long the
    reader waits after a failed read; ``timeout`` is how long (s) any other Redis call (or the
    few calls of one step, such as taking a new epoch) may take, the reader's read ``block``
    more, before Redis counts as out of reach; ``clock`` gives wall-clock seconds (every
    process must agree on them to within the ttls). Needs Redis 6.2 or newer.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "sluice:",
        live_cap: int = 100_000,
        block: float = 5.0,
        retry_delay: float = 1.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be greater than 0 seconds, got {timeout!r}")
        self.url = url
        self.prefix = prefix
        self.live_cap = live_cap
        self.block = block
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.clock = clock
        self._epoch = ""
        self._client: coredis.Redis[bytes] | None = None
        self._config: BroadcasterConfig | None = None
        self._mirror = Histories()
        self._scripts: dict[str, Any] = {}
        self._interrupt: Interrupt | None = None
        self._available = True
        self._refusal: str | None = None  # what Redis answered the last call it refused
        self._replaced = ""  # the last epoch this process found Redis gone back in
        self._issued = 0  # the newest sequence of the epoch known to have been issued
        self._delivered = 0  # the newest sequence of the epoch delivered to the sink

    @property
    def epoch(self) -> str:
        return self._epoch

    @property
    def available(self) -> bool:
        """False from a failed Redis call until the next successful one."""
        return self._available

    async def run(
        self,
        config: BroadcasterConfig,
        sink: Sink,
        interrupt: Interrupt,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        if self._client is not None:
            raise RuntimeError("this backplane already serves a broadcaster")
        client: coredis.Redis[bytes] = coredis.Redis.from_url(
            self.url, decode_responses=False, retry_policy=NoRetryPolicy()
        )
        with self._reaching(None):  # (what opening and closing the client raise)
            async with client:
                self._scripts = {
                    name: client.register_script(source)
                    for name, source in (
                        ("append", scripts.APPEND),
                        ("append_once", redis_keys.append_once(scripts.APPEND)),
                        ("read", scripts.READ),
                        ("expire", scripts.EXPIRE),
                        ("clear", scripts.CLEAR),
                        ("replace_epoch", scripts.REPLACE_EPOCH),
                    )
                }
                with self._reaching():
                    await self._join(client)
                    entries = await client.xrevrange(self._key("live"), "+", "-", count=1)
                since = _text(entries[0].identifier) if entries else "0-0"
                self._client, self._config, self._interrupt = client, config, interrupt
                try:
                    task_status.started()
                    await self._read_live(client, config, sink, since)
                finally:
                    self._client = self._config = self._interrupt = None

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
        epoch = _text(await client.get(self._key("epoch")))
        if epoch != self._epoch:
            old, self._epoch = self._epoch, epoch
            if old:
                self._epoch_changed(old)

    @property
    def _known(self) -> int:
        """The newest sequence of the epoch this process knows was issued (by a publish, a
        read of Redis, or the live reader)."""
        return max(self._issued, self._delivered)

    async def _went_back(self, client: coredis.Redis[bytes], epoch: str) -> None:
        """Redis went back to an older copy of its data (restarted from an older snapshot):
        its counter is behind sequences of ``epoch`` already issued, so it would give their ids
        again to other events (and a client resuming from one would miss what follows). The
        epoch is replaced (by the first process to notice) and every process moves to the new
        one, as when Redis loses its data: clients resume with ``stream_reset``. Call within
        :meth:`_reaching`."""
        if epoch != self._replaced:  # (said once per epoch)
            self._replaced = epoch
            logger.warning(
                "Redis at %s went back to an older copy of its data (epoch %s had issued "
                "sequences up to at least %d): a new epoch begins, so that no id is given twice",
                self.where,
                epoch,
                self._known,
            )
        await self._scripts["replace_epoch"](keys=[self._key("epoch")], args=[epoch, new_epoch()])
        await self._join(client)

    def _epoch_changed(self, old: str) -> None:
        """Redis lost its data: what this process knew is of the old epoch. Streams read in it
        end (their clients resume with ``stream_reset``); the log says what was not delivered."""
        self._mirror = Histories()
        missed = max(self._issued - self._delivered, 0)
        ended = 0 if self._interrupt is None else self._interrupt(self._epoch)
        logger.warning(
            "Redis at %s lost its data: epoch %s replaced by %s; at least %d events of epoch %s "
            "(after sequence %d) were not delivered here; %d open streams ended, their clients "
            "resume with stream_reset",
            self.where,
            old,
            self._epoch,
            missed,
            old,
            self._delivered,
            ended,
        )
        self._issued = self._delivered = 0

    def _went_away(self, cause: BaseException) -> None:
        """A Redis call failed: once per outage, end every stream (live events cannot reach
        them) and say so."""
        if not self._available:
            logger.debug("Redis at %s is still out of reach: %s", self.where, cause)
            return
        self._available = False
        ended = 0 if self._interrupt is None else self._interrupt(None)
        logger.warning(
            "Redis at %s is out of reach (%s): %d open streams ended; new streams and "
            "publishes answer 503 until it is back",
            self.where,
            cause,
            ended,
        )

    def _came_back(self) -> None:
        if not self._available:
            self._available = True
            logger.info("Redis at %s is reachable again", self.where)

    def _refused(self, error: ResponseError) -> BackplaneUnavailable:
        """The error of a call Redis answered with an error (out of memory, a read-only
        replica, a database index out of range, an ACL that forbids it): the call failed, Redis
        is not out of reach (open streams go on). Said once, until a call succeeds or Redis
        gives another reason."""
        reason = str(error) or type(error).__name__
        if self._client is not None and reason != self._refusal:
            self._refusal = reason
            logger.warning(
                "Redis at %s refuses calls (%s): publishes and new streams answer 503 while it "
                "does",
                self.where,
                reason,
            )
        return BackplaneUnavailable(f"Redis at {self.where} refused the call: {reason}")

    def _accepted(self) -> None:
        """A write succeeded: Redis takes calls again (reads may go on while writes are
        refused, as they do when Redis is out of memory, so only a write says so)."""
        if self._refusal is not None:
            self._refusal = None
            logger.info("Redis at %s accepts calls again", self.where)

    async def _read_live(
        self, client: coredis.Redis[bytes], config: BroadcasterConfig, sink: Sink, since: str
    ) -> None:
        """Deliver every live event to ``sink``, in order, from after the entry ``since``.

        Redis out of reach, it retries every ``retry_delay``. Events that cannot be delivered
        in order (Redis lost its data, or this reader fell behind the live stream's cap) end
        the streams that could miss them (see :data:`~sse_core.backplane.Interrupt`).
        """
        live = self._key("live")
        expected: int | None = None
        reading = ""  # the epoch of the entry before (``expected`` is of that epoch)
        while True:
            try:
                if not self._available:  # back? a quick answer says so, not a blocking read's end
                    with self._reaching():
                        await client.ping()
                with self._reaching(self.block):
                    found = await client.xread(
                        {live: since}, count=1000, block=int(self.block * 1000)
                    )
            except BackplaneUnavailable:
                await trio.sleep(self.retry_delay)
                continue
            if not found:
                continue
            entries = found[live.encode()]
            since = _text(entries[-1].identifier)
            runs: list[tuple[str, list[StoredEvent]]] = []
            for entry in entries:
                fields = entry.field_values
                if b"n" not in fields:  # not an event: a session cleared (or unknown, skipped)
                    self._deliver(runs, config, sink)
                    if b"c" in fields:
                        self._mirror.clear(_text(fields[b"c"]), config)
                    continue
                sequence = int(fields[b"n"])
                epoch = _text(fields[b"i"]).rpartition("-")[0]
                if epoch == self._replaced:
                    continue  # an id given again after Redis went back: not delivered
                if expected is not None and (sequence, epoch) != (expected, reading):
                    self._deliver(runs, config, sink)
                    if epoch == reading and sequence < expected:  # an id given again
                        with suppress(BackplaneUnavailable), self._reaching():
                            await self._went_back(client, epoch)
                        if epoch == self._replaced:
                            continue
                    elif epoch != reading:  # Redis lost its data (or went back): new epoch
                        with suppress(BackplaneUnavailable), self._reaching():
                            await self._join(client)  # or on the next call that reaches it
                    else:
                        self._fell_behind(expected, sequence)
                expected, reading = sequence + 1, epoch
                session_id = _text(fields[b"s"])
                event = self._stored(sequence, fields)
                if runs and runs[-1][0] == session_id:
                    runs[-1][1].append(event)
                else:
                    runs.append((session_id, [event]))
            self._deliver(runs, config, sink)

    def _deliver(
        self, runs: list[tuple[str, list[StoredEvent]]], config: BroadcasterConfig, sink: Sink
    ) -> None:
        """Mirror and hand to the sink each run of one session's events; empties ``runs``."""
        for session_id, events in runs:
            self._mirror.append(session_id, events, config, events[0].position - 1)
            sink(session_id, events)
            if events[-1].id.startswith(self._epoch):  # (not one read before a new epoch)
                self._delivered = max(self._delivered, events[-1].position)
        runs.clear()

    def _fell_behind(self, expected: int, sequence: int) -> None:
        ended = 0 if self._interrupt is None else self._interrupt(None)
        logger.error(
            "the live stream no longer holds events %d to %d (this process fell more than %d "
            "events behind): they were not delivered here; %d open streams ended, their "
            "clients resume from history",
            expected,
            sequence - 1,
            self.live_cap,
            ended,
        )

    def _stored(self, sequence: int, fields: Any) -> StoredEvent:
        """The event of an entry (fields ``e`` envelope, ``i`` id, ``y`` type, ``a`` accepted,
        ``t`` ttl), framed from the stored bytes, with this process's clock for its times."""
        accepted = trio.current_time() - (self.clock() - float(fields[b"a"]))
        return StoredEvent.framed(
            fields[b"e"],
            id=_text(fields[b"i"]),
            type=_text(fields[b"y"]),
            position=sequence,
            now=accepted,
            ttl=float(fields[b"t"]),
        )

    async def append(
        self, session_id: str, drafts: Sequence[Draft], claim: Claim | None = None
    ) -> list[str]:
        client, config = self._client, self._config
        if client is None or config is None:
            raise RuntimeError("the backplane is not running")
        accepted = repr(self.clock())
        args: list[Any] = [
            self._epoch,
            config.max_history_per_session,
            self.live_cap,
            max(int(config.session_ttl * 1000), 1),
            session_id,
            SEQUENCE_WIDTH,
            self._key("m:"),
            self._known,
        ]
        for draft in drafts:
            ttl = config.event_ttl if draft.ttl is None else draft.ttl
            args += [*scripts.encoded_without_id(draft), draft.type, accepted, repr(ttl)]
        keys = [
            self._key("epoch"),
            self._key("seq"),
            self._key("s:", session_id),
            self._key("m:", session_id),
            self._key("live"),
            self._key("lives"),
            self._key("gone"),
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
                if "SLUICE_BEHIND" in str(error):  # Redis went back: a new epoch
                    await self._went_back(client, args[0])  # (the epoch found behind)
                elif "SLUICE_EPOCH" in str(error):  # Redis lost its data: a new epoch
                    await self._join(client)
                else:
                    raise
                args[0], args[7] = self._epoch, self._known
                first = await self._scripts[script](keys=keys, args=args)
        self._accepted()
        if (found := redis_keys.recorded(first)) is not None:
            raise AlreadyRecorded(found)
        first, epoch = int(first), args[0]  # (the epoch the events were appended in)
        if epoch == self._epoch:  # (not one this process left while the script ran)
            self._issued = max(self._issued, first + len(drafts))
        return [format_event_id(epoch, first + n) for n in range(1, len(drafts) + 1)]

    async def record(self, claim: Claim, result: tuple[str, ...]) -> Recorded | None:
        client = self._require_client()
        with self._reaching():
            found = await redis_keys.record(client, self._key("k:", claim.key), claim, result)
        self._accepted()
        return found

    async def discard(self, key: str) -> None:
        client = self._require_client()
        with self._reaching():
            await client.delete([self._key("k:", key)])

    def reader(self, session_id: str) -> WindowReader:
        async def read(after: int | None, limit: int | None) -> Window:
            self._require_client()
            epoch, known = self._epoch, self._known
            window = await self._window(session_id, after, limit)
            # Redis went back, unless this process took another epoch while the read ran
            # (what it knew was of the epoch it left: a new epoch's counter starts below it)
            if window.epoch == epoch == self._epoch and window.issued < known:
                with self._reaching():
                    await self._went_back(self._require_client(), window.epoch)
            if window.epoch != self._epoch:  # Redis lost its data: the ids start a new epoch
                with self._reaching():
                    await self._join(self._require_client())
                window = await self._window(session_id, after, limit)
            return window

        return read

    async def _window(self, session_id: str, after: int | None, limit: int | None) -> Window:
        """The session's history after ``after`` (at most ``limit`` unexpired events), its
        floor raised past the expired entries passed over, read at one moment."""
        keys = [
            self._key("s:", session_id),
            self._key("m:", session_id),
            self._key("epoch"),
            self._key("seq"),
            self._key("live"),
            self._key("lives"),
            self._key("gone"),
        ]
        now = repr(self.clock())
        args = [
            "" if after is None else after,
            limit or 0,
            now,
            "",
            session_id,
            "",
            self._key("m:"),
        ]
        with self._reaching():
            found = await self._scripts["read"](keys=keys, args=args)
        origin, floor, last, former, issued, holds, expired, raw, epoch = found
        if _text(epoch or b"") == self._epoch:
            self._issued = max(self._issued, int(issued or 0))
        events = [
            self._stored(
                int(_text(identifier)[2:]), dict(zip(values[::2], values[1::2], strict=True))
            )
            for identifier, values in raw
        ]
        return Window(
            events=events,
            epoch=_text(epoch or b""),
            origin=int(origin or 0),
            floor=max(int(floor or 0), int(expired or 0)),
            last=int(last or 0),
            issued=int(issued or 0),
            holds=bool(holds),
            former=int(former or 0),
        )

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
        keys = [self._key("s:", session_id), self._key("m:", session_id), self._key("live")]
        with self._reaching():
            await self._scripts["clear"](keys=keys, args=[session_id, self.live_cap])
        self._accepted()
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
    def _reaching(self, block: float | None = 0.0) -> Iterator[None]:
        """Run the block's Redis calls within :attr:`timeout` seconds, ``block`` more (a
        blocking read's wait; ``None``: no deadline, for the reader's whole run); translate
        Redis out of reach (refusing connections, failing, refusing this process's credentials,
        or not answering in time) into :class:`BackplaneUnavailable`, and keep
        :attr:`available` (while running) up to date. A call Redis answers with an error (a
        ``ResponseError``: out of memory, read-only, forbidden) raises
        :class:`BackplaneUnavailable` too, without an outage (:meth:`_refused`).

        A block cancelled from outside is not Redis out of reach: it raises ``Cancelled`` (or,
        when coredis turned the cancellation of a connection attempt into a
        ``ConnectionError``, :class:`BackplaneUnavailable` without a change of state).
        """
        limit = None if block is None else block + self.timeout
        deadline = trio.CancelScope(
            deadline=math.inf if limit is None else trio.current_time() + limit
        )
        try:
            with deadline:
                yield
        except Exception as error:
            cause = find_error(error, _OUT_OF_REACH)
            if cause is None:
                if (refusal := find_error(error, ResponseError)) is not None:
                    raise self._refused(refusal) from refusal
                raise
            if deadline.cancel_called:  # coredis reports a connection cut off as a failure
                cause = TimeoutError(f"no answer within {limit:g} s")
            elif trio.current_effective_deadline() == -math.inf:
                raise BackplaneUnavailable(f"call to Redis at {self.where} cancelled") from cause
            raise self._out_of_reach(cause) from cause
        if deadline.cancelled_caught:
            timed_out = TimeoutError(f"no answer within {limit:g} s")
            raise self._out_of_reach(timed_out) from timed_out
        if self._client is not None:
            self._came_back()

    def _out_of_reach(self, cause: BaseException) -> BackplaneUnavailable:
        """The error of a call that did not reach Redis. While running: a call that ran out of
        time drops the client's connections (their state is unknown: the next call opens a
        fresh one), and the outage is noted (:meth:`_went_away`)."""
        if self._client is not None:
            if isinstance(cause, TimeoutError):
                self._client.connection_pool.disconnect()
            self._went_away(cause)
        return BackplaneUnavailable(f"cannot reach Redis at {self.where}: {cause}")

    def _key(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    def _require_client(self) -> coredis.Redis[bytes]:
        if self._client is None:
            raise RuntimeError("the backplane is not running")
        return self._client
