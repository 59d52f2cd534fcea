"""Every knob of ``sluice serve``: an attrs class, filled from flags and ``SLUICE_*`` variables.

Each field of :class:`Settings` carries its :class:`Option` (flag, environment variable, help):
the command line and the environment loader come from these fields (a test checks that the README
lists them all). A flag
wins over its environment variable, which wins over the default. A bad value raises
:class:`InvalidSetting` naming the setting and what is allowed.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from sse_core import BroadcasterConfig, ConfigError

from .security.cors import ANY_ORIGIN, is_origin

LOG_LEVELS = ("debug", "info", "warning", "error")
BACKPLANES = ("memory", "redis")
JWT_ALGORITHMS = (
    *("HS256", "HS384", "HS512"),
    *("RS256", "RS384", "RS512"),
    *("PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512"),
)
_AGENT_SPEC = re.compile(r"^(demo|[A-Za-z_][\w.]*:[A-Za-z_][\w.]*)$")
_BROADCASTER_FIELDS = tuple(a.name for a in attrs.fields(BroadcasterConfig))


class InvalidSetting(ValueError):
    """A setting has a value it may not have; ``name`` is the field, ``message`` what is allowed."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message

    def report(self, command: str) -> str:
        """The one line a command prints for it, naming the flag and variable:
        ``sluice serve: --port: expected an integer, got 'eighty'``."""
        name = self.name if self.name.startswith(("-", "SLUICE_")) else label(self.name)
        return f"sluice {command}: {name}: {self.message}"


@attrs.frozen
class Option:
    """How one setting is given: ``flag`` on the command line, ``env`` in the environment."""

    flag: str
    env: str
    help: str
    parse: Callable[[str], Any]
    boolean: bool = False


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false (1/0, yes/no, on/off)")


_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _int(raw: str) -> int:
    """A whole number in ASCII digits (``int()`` alone would also take ``"1_0"`` and other
    scripts' digits, such as ``"٨٠"``, which no operator means as a port)."""
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError("expected an integer")
    return int(text)


def _float(raw: str) -> float:
    """A finite decimal number in ASCII (``3``, ``0.5``, ``1e3``); ``inf``, ``nan``, a value
    too large for a float (``1e400``), ``1_0`` and other scripts' digits are refused."""
    text = raw.strip()
    value = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _optional_str(raw: str) -> str | None:
    return raw or None


def _paths(raw: str) -> tuple[str, ...]:
    """Directories separated like ``PATH`` (``:``; ``;`` on Windows), empty entries skipped."""
    return tuple(part for part in raw.split(os.pathsep) if part)


def _algorithms(raw: str) -> tuple[str, ...] | None:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    return names or None


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


def _origins_valid(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    many = attribute.name == "cors_origins"  # a list that may hold *; else one origin or None
    for origin in value if many else () if value is None else (value,):
        _check(
            (many and origin == ANY_ORIGIN) or is_origin(origin),
            attribute.name,
            f"must be {'* or origins' if many else 'an origin'} scheme://host[:port] (no "
            f"path, no trailing /), got {origin!r}",
        )


def _check(condition: bool, name: str, message: str) -> None:
    if not condition:
        raise InvalidSetting(name, message)


def _between(
    low: float, high: float | None = None
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        upper = "" if high is None else f" and at most {high}"
        _check(
            not isinstance(value, bool)
            and isinstance(value, int | float)
            and math.isfinite(value)
            and value >= low
            and (high is None or value <= high),
            attribute.name,
            f"must be a number at least {low}{upper}, got {value!r}",
        )

    return check


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check(
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0,
        attribute.name,
        f"must be a finite number greater than 0, got {value!r}",
    )


def _redis_url(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``redis://[user:password@]host[:port][/db]`` (``rediss://`` for TLS) or
    ``unix://[user:password@]/path``: a host (a path), a port from 1 to 65535 and a database
    number, as the Redis client reads them (it would read a database it cannot parse as 0, and
    fail only at start on a missing host or a port out of range). The messages never quote
    the URL, which may hold a password."""
    name = attribute.name
    _check(
        isinstance(value, str) and value.startswith(("redis://", "rediss://", "unix://")),
        name,
        "must be a redis://, rediss:// or unix:// URL",
    )
    parts = urlsplit(value)
    if parts.scheme == "unix":
        _check(bool(parts.path.strip("/")), name, "a unix:// URL needs the socket's path")
        return
    _check(bool(parts.hostname), name, "needs a host (redis://host:port/db)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    port_text = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
    _check(
        port_text == "" or (port is not None and 1 <= port <= 65535),
        name,
        f"the port must be a number from 1 to 65535, got {port_text!r}",
    )
    database = parts.path.strip("/")
    _check(
        database == "" or (database.isascii() and database.isdigit()),
        name,
        f"the database (the path) must be a number such as /0, got {parts.path!r}",
    )


def _non_empty(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check(isinstance(value, str) and bool(value), attribute.name, "must not be empty")


def _one_of(choices: tuple[str, ...]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        _check(
            value in choices, attribute.name, f"must be one of {', '.join(choices)}, got {value!r}"
        )

    return check


def _setting(
    default: Any,
    help: str,
    parse: Callable[[str], Any],
    *,
    validator: Callable[[Any, attrs.Attribute[Any], Any], None] | None = None,
    flag: str | None = None,
    boolean: bool = False,
    secret: bool = False,
) -> Any:
    return attrs.field(
        default=default,
        validator=validator,
        repr=not secret,
        metadata={"option": (flag, help, parse, boolean)},
    )


def _broadcaster_default(name: str) -> Any:
    return attrs.fields_dict(BroadcasterConfig)[name].default


@attrs.frozen(kw_only=True)
class Settings:
    """The server's settings; construct directly (tests) or with :func:`load` (the CLI)."""

    host: str = _setting("127.0.0.1", "address to listen on", str)
    port: int = _setting(
        8000, "TCP port to listen on (0: any free port)", _int, validator=_between(0, 65535)
    )
    no_auth: bool = _setting(
        False,
        "run without authentication (local development only; logged loudly)",
        _bool,
        boolean=True,
    )
    jwt_secret: str | None = _setting(
        None,
        "HMAC secret verifying HS256/384/512 tokens (at least as long as the hash)",
        _optional_str,
        secret=True,
    )
    jwt_public_key_file: str | None = _setting(
        None, "PEM public key file verifying RS*/PS*/ES* tokens", _optional_str
    )
    jwt_algorithms: tuple[str, ...] | None = _setting(
        None,
        "comma-separated accepted algorithms (default: HS256 with a secret, RS256 or ES256 "
        "by the key's type)",
        _algorithms,
    )
    jwt_audience: str | None = _setting(None, "required `aud` claim, if set", _optional_str)
    jwt_issuer: str | None = _setting(None, "required `iss` claim, if set", _optional_str)
    keepalive: float = _setting(
        30.0, "seconds of silence before a keepalive event is sent", _float, validator=_positive
    )
    retry: int = _setting(
        3000,
        "reconnection delay hint sent to clients, in milliseconds",
        _int,
        validator=_between(0, 86_400_000),
    )
    max_queue_size: int = _setting(
        _broadcaster_default("max_queue_size"),
        "frames that may wait for one subscriber before it is cut off as slow",
        _int,
    )
    max_history_per_session: int = _setting(
        _broadcaster_default("max_history_per_session"),
        "events kept per session for late joiners and resume",
        _int,
        flag="--history-size",
    )
    event_ttl: float = _setting(
        _broadcaster_default("event_ttl"), "seconds an event stays in history", _float
    )
    session_ttl: float = _setting(
        _broadcaster_default("session_ttl"),
        "seconds a session without subscribers or events is kept",
        _float,
    )
    idempotency_ttl: float = _setting(
        3600.0,
        "seconds the answer to a request with an Idempotency-Key is remembered",
        _float,
        validator=_positive,
    )
    cleanup_interval: float = _setting(
        _broadcaster_default("cleanup_interval"), "seconds between cleanup passes", _float
    )
    enable_metrics: bool = _setting(
        _broadcaster_default("enable_metrics"),
        "serve Prometheus metrics at /metrics (--no-metrics: 404)",
        _bool,
        flag="--metrics",
        boolean=True,
    )
    max_subscriber_idle_time: float = _setting(
        _broadcaster_default("max_subscriber_idle_time"),
        "seconds a subscriber may go without a delivery before it is closed",
        _float,
    )
    memory_warning_threshold_mb: float = _setting(
        _broadcaster_default("memory_warning_threshold_mb"),
        "history memory (MiB) above which a warning is logged",
        _float,
        flag="--memory-warning-mb",
    )
    memory_critical_threshold_mb: float = _setting(
        _broadcaster_default("memory_critical_threshold_mb"),
        "history memory (MiB) above which the oldest events are shed",
        _float,
        flag="--memory-critical-mb",
    )
    max_body_bytes: int = _setting(
        1_048_576, "largest request body accepted (413 above)", _int, validator=_positive
    )
    max_event_bytes: int = _setting(
        _broadcaster_default("max_event_bytes"),
        "largest single event, as JSON, whoever publishes it (a publish: 413 above)",
        _int,
        validator=_positive,
    )
    body_timeout: float = _setting(
        30.0,
        "seconds a request body may take to arrive in all (408 and the connection closed after)",
        _float,
        validator=_positive,
    )
    max_connections_per_user: int = _setting(
        16,
        "open streams one user (token subject) may hold in this process (429 above; with "
        "--workers N each worker counts its own: up to N times this in all)",
        _int,
        validator=_positive,
    )
    max_sessions_per_stream: int = _setting(
        16,
        "sessions one stream or poll may list (session=a&session=b; 400 above)",
        _int,
        validator=_positive,
    )
    max_streams: int = _setting(
        0,
        "open streams this process holds in all, anonymous ones included (503 above; 0: no "
        "limit; with --workers N, per worker)",
        _int,
        validator=_between(0),
    )
    send_timeout: float = _setting(
        30.0,
        "seconds a stream's write may wait on a client that does not read before the stream "
        "is closed",
        _float,
        validator=_positive,
    )
    graceful_timeout: float = _setting(
        5.0, "seconds shutdown waits for connections to end", _float, validator=_positive
    )
    cors_origins: tuple[str, ...] = _setting(
        (),
        "comma-separated origins whose pages may read (with the cookie) and write across "
        "origins; * lets any other origin read without credentials (default: none)",
        _origins,
        validator=_origins_valid,
    )
    public_origin: str | None = _setting(
        None,
        "the hub's own origin as browsers see it, for the Origin check of writes behind a "
        "proxy that rewrites Host (default: the origin named by Host)",
        lambda raw: _optional_str(raw.strip().lower()),
        validator=_origins_valid,
    )
    gc_threshold: int = _setting(
        50_000,
        "allocations between the garbage collector's youngest-generation passes (0: Python's "
        "default; at most 2147483647, the collector's C int); objects alive at start-up are "
        "frozen out of collection too",
        _int,
        validator=_between(0, 2**31 - 1),
    )
    dashboard: bool = _setting(
        True,
        "serve the dashboard at / and its files under /static/dashboard/ (--no-dashboard: 404)",
        _bool,
        boolean=True,
    )
    log_level: str = _setting(
        "info", "log level: " + ", ".join(LOG_LEVELS), str.lower, validator=_one_of(LOG_LEVELS)
    )
    agent: str = _setting(
        "demo", "agent run by the ADK endpoint and regenerate: demo or module:callable", str
    )
    backplane: str = _setting(
        "memory",
        "where sessions live: memory (this process) or redis (shared by every process on it)",
        str.lower,
        validator=_one_of(BACKPLANES),
    )
    redis_url: str = _setting(
        "redis://127.0.0.1:6379/0",
        "the Redis of --backplane redis (redis://[user:password@]host:port/db, rediss:// "
        "for TLS, or unix:///path)",
        str,
        validator=_redis_url,
        secret=True,
    )
    redis_prefix: str = _setting(
        "sluice:", "prefix of every Redis key of --backplane redis", str, validator=_non_empty
    )
    redis_timeout: float = _setting(
        5.0,
        "seconds a Redis call of --backplane redis may go unanswered before Redis counts as out "
        "of reach (503 backplane-unavailable); the live reader's read may take 5 s more",
        _float,
        validator=_positive,
    )
    workers: int = _setting(
        1,
        "processes serving the one port (SO_REUSEPORT); more than 1 needs --backplane redis",
        _int,
        validator=_between(1, 256),
    )
    event_schemas: tuple[str, ...] = _setting(
        (),
        "a directory of your own event schemas, one <type>.json each (repeat the flag for "
        "several; the variable separates them like PATH)",
        _paths,
    )

    def __attrs_post_init__(self) -> None:
        _check(
            bool(_AGENT_SPEC.match(self.agent)),
            "agent",
            f"must be demo or module:callable, got {self.agent!r}",
        )
        for name in self.jwt_algorithms or ():
            _check(
                name in JWT_ALGORITHMS,
                "jwt_algorithms",
                f"must be a list of {', '.join(JWT_ALGORITHMS)}; got {name!r}",
            )
        keyed = self.jwt_secret is not None or self.jwt_public_key_file is not None
        _check(
            not (self.no_auth and keyed),
            "no_auth",
            "cannot be combined with a JWT secret or public key",
        )
        _check(
            self.jwt_secret is None or self.jwt_public_key_file is None,
            "jwt_secret",
            "give either a secret or a public key file, not both",
        )
        _check(
            self.workers == 1 or self.backplane == "redis",
            "workers",
            "more than 1 worker needs --backplane redis (with the memory backplane each process "
            "would hold sessions of its own)",
        )
        # The broadcaster checks this too, but names the other field by its Python name.
        _check(
            self.memory_warning_threshold_mb <= self.memory_critical_threshold_mb,
            "memory_warning_threshold_mb",
            f"must not exceed {option('memory_critical_threshold_mb').flag} "
            f"({self.memory_warning_threshold_mb!r} > {self.memory_critical_threshold_mb!r})",
        )
        self.broadcaster_config()

    def broadcaster_config(self) -> BroadcasterConfig:
        """The broadcaster's configuration held in these settings."""
        try:
            return BroadcasterConfig(**{name: getattr(self, name) for name in _BROADCASTER_FIELDS})
        except ConfigError as error:
            message = str(error).removeprefix(f"{error.field}: ")
            raise InvalidSetting(error.field, message) from None


def option(name: str) -> Option:
    """The flag, environment variable and help of the setting ``name``."""
    flag, help, parse, boolean = attrs.fields_dict(Settings)[name].metadata["option"]
    flag = flag or "--" + name.replace("_", "-")
    env = "SLUICE_" + flag.removeprefix("--").replace("-", "_").upper()
    return Option(flag=flag, env=env, help=help, parse=parse, boolean=boolean)


def options() -> dict[str, Option]:
    """Every setting's :class:`Option`, in declaration order."""
    return {a.name: option(a.name) for a in attrs.fields(Settings)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per setting; values stay raw strings (``None`` when not given)."""
    for name, opt in options().items():
        default = attrs.fields_dict(Settings)[name].default
        shown = "" if default in (None, ()) or opt.boolean else f" (default: {default})"
        help = f"{opt.help}{shown} [env {opt.env}]"
        if name == "no_auth":
            parser.add_argument(opt.flag, dest=name, action="store_const", const="true", help=help)
        elif opt.parse is _paths:
            parser.add_argument(opt.flag, dest=name, action="append", metavar="DIR", help=help)
        elif opt.boolean:
            parser.add_argument(opt.flag, dest=name, action=_RawBooleanAction, help=help)
        else:
            metavar = opt.flag.removeprefix("--").replace("-", "_").upper()
            parser.add_argument(opt.flag, dest=name, metavar=metavar, help=help)


class _RawBooleanAction(argparse.BooleanOptionalAction):
    """``--x`` / ``--no-x`` storing ``"true"`` / ``"false"`` so that all flags parse alike."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, default=None, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        if option_string in self.option_strings:
            setattr(namespace, self.dest, str(not option_string.startswith("--no-")).lower())


def load(flags: Mapping[str, str | list[str] | None], environ: Mapping[str, str]) -> Settings:
    """Settings from raw flag values (by field name; a repeated flag's as a list) and the
    environment.

    Raises :class:`InvalidSetting` whose ``name`` is the flag or variable the bad value came from.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, opt in options().items():
        raw = flags.get(name)
        source = opt.flag
        if isinstance(raw, list):
            raw = os.pathsep.join(raw)
        if raw is None:
            raw, source = environ.get(opt.env), opt.env
        if raw is None:
            continue
        sources[name] = source
        try:
            values[name] = opt.parse(raw)
        except ValueError as error:
            raise InvalidSetting(source, f"{error}, got {raw!r}") from None
    try:
        return Settings(**values)
    except InvalidSetting as error:
        raise InvalidSetting(sources.get(error.name) or label(error.name), error.message) from None


def label(name: str) -> str:
    """How an error names the setting ``name``: its flag and its environment variable."""
    if name not in attrs.fields_dict(Settings):
        return name
    opt = option(name)
    return f"{opt.flag} ({opt.env})"
