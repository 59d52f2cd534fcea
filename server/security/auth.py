"""Who is calling and what they may do: JWT verification and session patterns.

A token is a JWT (HS256/384/512 with a shared secret, or RS*/PS*/ES* with a public key) with the
claims ``sub``, ``exp`` and ``sluice: {"subscribe": [...], "publish": [...]}``. Each list holds
session patterns: ``*`` matches any run of characters within one ``:``-separated segment, and
``{sub}`` stands for the token's subject. ``alg: none``, a bad signature, an expired or
not-yet-valid token is refused (401); a valid token without the right gets 403.

Nothing here knows about HTTP frameworks: the caller passes the header, cookie and query values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..settings import InvalidSetting, Settings

COOKIE_NAME = "sluice_token"
QUERY_PARAMETER = "access_token"
CLAIM = "sluice"
_SUBJECT = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class Unauthorized(Exception):
    """No valid token (401): missing, malformed, badly signed, expired or not yet valid."""


class InvalidToken(Unauthorized):
    """A token was sent and is refused: malformed, badly signed, expired, not yet valid, or
    with claims of the wrong shape (RFC 6750 section 3.1's ``invalid_token``: a client may get
    a new one), where a missing token or another scheme is plain :class:`Unauthorized`."""


@attrs.frozen
class SessionPattern:
    """One compiled session pattern, bound to a subject."""

    source: str
    regex: re.Pattern[str] | None  # None: needs {sub} but the subject cannot stand in an id

    @classmethod
    def compile(cls, source: str, subject: str | None) -> SessionPattern:
        """``*`` matches within one ``:`` segment; ``{sub}`` is the subject, taken literally.

        A subject holding ``:`` or characters not allowed in a session id never matches, so a
        subject can never reach into another user's namespace.
        """
        parts = []
        for token in re.split(r"(\*|\{sub\})", source):
            if token == "*":
                parts.append("[^:]*")
            elif token == "{sub}":
                if subject is None or not _SUBJECT.match(subject):
                    return cls(source, None)
                parts.append(re.escape(subject))
            else:
                parts.append(re.escape(token))
        return cls(source, re.compile("".join(parts)))

    def matches(self, session_id: str) -> bool:
        """True when the whole ``session_id`` matches."""
        return self.regex is not None and self.regex.fullmatch(session_id) is not None


def _patterns(sources: Iterable[str], subject: str | None) -> tuple[SessionPattern, ...]:
    return tuple(SessionPattern.compile(s, subject) for s in sources)


@attrs.frozen
class Principal:
    """The caller: subject, rights, and when the token expires (Unix time; ``None``: never)."""

    subject: str | None
    subscribe: tuple[SessionPattern, ...]
    publish: tuple[SessionPattern, ...]
    expires_at: float | None
    anonymous: bool = False

    def may_subscribe(self, session_id: str) -> bool:
        """Whether this caller may read ``session_id``."""
        return self.anonymous or any(p.matches(session_id) for p in self.subscribe)

    def may_publish(self, session_id: str) -> bool:
        """Whether this caller may publish to (and act on) ``session_id``."""
        return self.anonymous or any(p.matches(session_id) for p in self.publish)

    def seconds_left(self) -> float | None:
        """Seconds until the token expires (``None`` without expiry), from the wall clock."""
        return None if self.expires_at is None else self.expires_at - time.time()


ANONYMOUS = Principal(subject=None, subscribe=(), publish=(), expires_at=None, anonymous=True)


@attrs.frozen
class Token:
    """A bearer token as sent: ``value``, and whether it came in the ``Authorization`` header.

    A token from the ``sluice_token`` cookie or the ``access_token`` query parameter (what a
    browser's ``EventSource`` can send) is good for reads only: a browser sends the cookie with
    any page's request, and a URL leaks into logs and ``Referer``.
    """

    value: str
    from_header: bool


def token_from(
    authorization: str | None, cookies: Mapping[str, str], query: Mapping[str, str]
) -> Token | None:
    """The token: ``Authorization: Bearer``, else the cookie, else the query parameter.

    Raises :class:`Unauthorized` for an ``Authorization`` header of another scheme.
    """
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return Token(value.strip(), from_header=True)
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    browser = cookies.get(COOKIE_NAME) or query.get(QUERY_PARAMETER)
    return Token(browser, from_header=False) if browser else None


def _string_list(claims: Mapping[str, Any], key: str) -> list[str]:
    value = claims.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidToken(f"claim {CLAIM}.{key} must be a list of strings")
    return value


UNCONFIGURED = (
    "auth is on and no JWT key is configured: start the server with --jwt-secret or "
    "--jwt-public-key-file (or --no-auth for local development)"
)


@attrs.frozen
class Authenticator:
    """Verifies tokens against one key; ``Authenticator.disabled()`` lets everyone in.

    ``refusal`` set means auth is on but no key was configured: every request that needs a
    token is refused (401) with that text, so the hub starts safe and says what to configure.
    """

    key: Any = attrs.field(repr=False)
    algorithms: tuple[str, ...]
    audience: str | None = None
    issuer: str | None = None
    refusal: str | None = None

    @property
    def enabled(self) -> bool:
        """False in ``--no-auth`` mode."""
        return bool(self.algorithms) or self.refusal is not None

    @property
    def mode(self) -> str:
        """``jwt``, ``disabled`` (``--no-auth``) or ``unconfigured`` (auth on, no key)."""
        if self.refusal is not None:
            return "unconfigured"
        return "jwt" if self.enabled else "disabled"

    @classmethod
    def disabled(cls) -> Authenticator:
        """Every caller is :data:`ANONYMOUS` (development mode)."""
        return cls(key=None, algorithms=())

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """Load the key named by the settings; raise :class:`InvalidSetting` when it is unusable."""
        if settings.no_auth:
            return cls.disabled()
        if settings.jwt_secret is None and settings.jwt_public_key_file is None:
            return cls(key=None, algorithms=(), refusal=UNCONFIGURED)
        if settings.jwt_secret is not None:
            key: Any = settings.jwt_secret.encode()
            algorithms = settings.jwt_algorithms or ("HS256",)
            for name in algorithms:
                _require(name.startswith("HS"), "jwt_algorithms", f"{name} needs a public key")
                size = int(name[2:]) // 8
                _require(
                    len(key) >= size,
                    "jwt_secret",
                    f"must be at least {size} bytes for {name} (RFC 7518 3.2)",
                )
        else:
            assert settings.jwt_public_key_file is not None
            key = _public_key(settings.jwt_public_key_file)
            default = ("RS256",) if isinstance(key, rsa.RSAPublicKey) else ("ES256",)
            algorithms = settings.jwt_algorithms or default
            family = "RS" if isinstance(key, rsa.RSAPublicKey) else "ES"
            for name in algorithms:
                fits = name[:2] in ({"RS", "PS"} if family == "RS" else {"ES"})
                _require(fits, "jwt_algorithms", f"{name} does not fit the key file's key type")
        return cls(key, tuple(algorithms), settings.jwt_audience, settings.jwt_issuer)

    def authenticate(self, token: str | None) -> Principal:
        """The principal of ``token``; raises :class:`Unauthorized` (401), an
        :class:`InvalidToken` for a token that is refused."""
        if not self.enabled:
            return ANONYMOUS
        if self.refusal is not None:
            raise Unauthorized(self.refusal)
        if token is None:
            raise Unauthorized("a bearer token is required")
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub"], "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid token: {error}") from None
        rights = claims.get(CLAIM, {})
        if not isinstance(rights, dict):
            raise InvalidToken(f"claim {CLAIM} must be an object")
        subject = claims["sub"]
        if not 1 <= len(subject) <= 256:
            raise InvalidToken("claim sub must be 1 to 256 characters")
        return Principal(
            subject=subject,
            subscribe=_patterns(_string_list(rights, "subscribe"), subject),
            publish=_patterns(_string_list(rights, "publish"), subject),
            expires_at=float(claims["exp"]),
        )


def _require(condition: bool, name: str, message: str) -> None:
    if not condition:
        raise InvalidSetting(name, message)


def _public_key(path: str) -> Any:
    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise InvalidSetting(
            "jwt_public_key_file", f"cannot read a PEM public key: {error}"
        ) from None
    if isinstance(key, rsa.RSAPublicKey):
        _require(key.key_size >= 2048, "jwt_public_key_file", "an RSA key needs at least 2048 bits")
        return key
    _require(
        isinstance(key, ec.EllipticCurvePublicKey),
        "jwt_public_key_file",
        "must hold an RSA or EC public key",
    )
    return key
