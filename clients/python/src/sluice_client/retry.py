"""When to try a request again, and how long to wait first.

Retried: connection errors and timeouts (``httpx.TransportError``), ``429 Too Many Requests``,
``503 Service Unavailable``, and a proxy's ``502 Bad Gateway`` and ``504 Gateway Timeout``
(RFC 9110 sections 15.6.3 and 15.6.5: the hub behind it could not be reached, restarting say,
or did not answer in time, so a publish may or may not have been stored, as after a timeout of
the client's own). The wait is the answer's ``Retry-After`` (RFC 9110 section
10.2.3: seconds or an HTTP date) when it has one, else exponential backoff with full jitter:
uniform between 0 and ``min(max_backoff, backoff * 2**n)`` before retry ``n + 1``. A publish
or regenerate is retried with the same ``Idempotency-Key``, so the hub stores it once.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs
import httpx

from .errors import ConnectionFailed, ProblemError, problem_error

#: Answers worth waiting for: the hub asks the client to come back later, or a proxy in front
#: of it could not reach it or timed out.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@attrs.frozen(kw_only=True)
class Retry:
    """The retry policy of a client.

    ``attempts``: tries in all, the first included (1: never retry). ``backoff`` and
    ``max_backoff``: seconds, see the module. ``max_retry_after``: the longest ``Retry-After``
    honoured, in seconds (a longer one is cut to it).
    """

    attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    backoff: float = attrs.field(default=0.2, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (from 0)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**retry))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds of a ``Retry-After`` value (delay-seconds or an HTTP date), None if absent or
    unreadable; a date in the past is 0."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # delay-seconds is ASCII digits (not "²" or "٣")
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def next_delay(
    policy: Retry,
    attempt: int,
    response: httpx.Response | None,
    failure: httpx.TransportError | None = None,
) -> float:
    """What to do after attempt number ``attempt`` (from 0) failed with an error ``response``
    (its body read) or a ``failure``: the seconds to wait before trying again.

    Raises the :class:`~sluice_client.errors.ProblemError` of a response that is not worth
    retrying, and, once ``policy.attempts`` tries are spent, that error or
    :class:`~sluice_client.errors.ConnectionFailed` (from the ``failure``).
    """
    error: ProblemError | None = None
    retry_after: float | None = None
    if response is not None:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        error = problem_error(response, retry_after)
        if response.status_code not in RETRY_STATUSES:
            raise error
    if attempt + 1 >= policy.attempts:
        if error is not None:
            raise error
        raise ConnectionFailed(
            f"no answer after {policy.attempts} attempt(s): {failure!r}"
        ) from failure
    return policy.delay(attempt, retry_after)
