"""Signed tokens for local use (``sluice token``): the claims :mod:`server.security.auth` reads.

A token is signed with the hub's own shared secret (HS256/384/512, RFC 7518 3.2), so it is for
development and tests; in production tokens come from the application's identity provider, which
signs the same claims (``sub``, ``exp``, ``sluice.subscribe``, ``sluice.publish``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import jwt

from .auth import CLAIM, Authenticator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class CannotSign(Exception):
    """No token can be signed with this configuration; the message says what to set."""


def parse_duration(text: str) -> float:
    """Seconds in ``text``: a number with an optional unit ``s``, ``m``, ``h`` or ``d``
    (``90``, ``30m``, ``1h``, ``7d``). Raises ``ValueError`` for anything else or zero."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"expected a duration such as 90s, 30m, 1h or 7d, got {text!r}")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds <= 0:
        raise ValueError(f"the duration must be more than zero, got {text!r}")
    return seconds


def issue_token(
    authenticator: Authenticator,
    subject: str,
    *,
    subscribe: Sequence[str],
    publish: Sequence[str],
    ttl: float,
) -> str:
    """A JWT for ``subject`` with these session patterns, valid for ``ttl`` seconds from now
    (``iat`` and ``exp`` from the wall clock), signed with the authenticator's secret and its
    first algorithm, with its ``aud`` and ``iss`` when it requires them.

    Raises :class:`CannotSign` when the authenticator holds no shared secret (``--no-auth``,
    no key, or a public key). The token is checked by ``authenticator`` before it is returned,
    so a hub with the same settings accepts it.
    """
    if authenticator.mode != "jwt" or not isinstance(authenticator.key, bytes):
        raise CannotSign(
            "a token is signed with the hub's shared secret: give --jwt-secret or set "
            "SLUICE_JWT_SECRET (with a public key file, tokens come from your identity provider)"
        )
    issued = int(time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "iat": issued,
        "exp": issued + max(1, round(ttl)),
        CLAIM: {"subscribe": list(subscribe), "publish": list(publish)},
    }
    if authenticator.audience is not None:
        claims["aud"] = authenticator.audience
    if authenticator.issuer is not None:
        claims["iss"] = authenticator.issuer
    token = jwt.encode(claims, authenticator.key, algorithm=authenticator.algorithms[0])
    authenticator.authenticate(token)  # raises Unauthorized if the hub would refuse it
    return token
