"""What can go wrong talking to a hub, as exceptions that carry the hub's problem document.

Every error answer of a Sluice hub is ``application/problem+json`` (RFC 9457): ``type``,
``title``, ``status``, ``detail``, ``instance`` and, for invalid input, ``errors``, a list of
``{pointer, message}`` (RFC 6901 JSON pointers). :func:`problem_error` turns an answer into
the :class:`ProblemError` subclass of its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import httpx


class SluiceError(Exception):
    """Base of every error raised by ``sluice_client``."""


class ConnectionFailed(SluiceError):
    """The hub could not be reached, or did not answer in time, on every attempt.

    The last ``httpx.TransportError`` (``httpx.TimeoutException`` for a timeout) is the
    ``__cause__``. A publish that failed this way may or may not have been stored; publishing
    again with the same ``idempotency_key`` is safe.
    """


class NotAStream(SluiceError):
    """A stream's URL answered ``200`` with another ``Content-Type`` than
    ``text/event-stream`` (a page of a proxy or of another app, a wrong base URL): not
    retried, as the WHATWG HTML "Server-sent events" processing model fails such a
    connection rather than reconnecting. ``content_type`` is the answer's (str, "" without
    one), ``url`` the URL asked (str)."""

    def __init__(self, url: str, content_type: str) -> None:
        self.url = url
        self.content_type = content_type
        super().__init__(
            f"{url} answered 200 with Content-Type {content_type or '(none)'!r}, "
            "not text/event-stream: is the base URL the hub's?"
        )


@attrs.frozen
class SchemaError:
    """One error of an invalid event or request: where (``pointer``, an RFC 6901 JSON pointer
    into the body sent, ``/1/data/progress`` in a batch) and what (``message``)."""

    pointer: str
    message: str


class ProblemError(SluiceError):
    """The hub refused the request. ``problem`` is its problem document (RFC 9457) as a dict.

    ``status`` (int), ``type``, ``title`` and ``detail`` (str) are read from it;
    ``retry_after`` is the ``Retry-After`` header in seconds, or None.
    """

    #: The status this class stands for (None: any other).
    STATUS: ClassVar[int | None] = None

    def __init__(
        self, problem: Mapping[str, Any], *, status: int, retry_after: float | None = None
    ) -> None:
        self.problem: dict[str, Any] = dict(problem)
        self.status = status
        self.type: str = str(problem.get("type", "about:blank"))
        self.title: str = str(problem.get("title", ""))
        self.detail: str = str(problem.get("detail", ""))
        self.retry_after = retry_after
        super().__init__(f"{status} {self.title}: {self.detail}")


class BadRequest(ProblemError):
    """400: a malformed session id, body, parameter or ``Idempotency-Key``."""

    STATUS = 400


class Unauthorized(ProblemError):
    """401: no token, or an invalid or expired one."""

    STATUS = 401


class Forbidden(ProblemError):
    """403: the token lacks the right for this session."""

    STATUS = 403


class NotFound(ProblemError):
    """404: no such path."""

    STATUS = 404


class MethodNotAllowed(ProblemError):
    """405: no such method on this path."""

    STATUS = 405


class PayloadTooLarge(ProblemError):
    """413: the body is over the hub's ``--max-body-bytes``, or an event over
    ``--max-event-bytes``."""

    STATUS = 413


class UnprocessableContent(ProblemError):
    """422: invalid events or request (nothing was published), or an ``Idempotency-Key`` reused
    with a different body. ``errors`` lists every error found, ``pointers`` their pointers."""

    STATUS = 422

    def __init__(
        self, problem: Mapping[str, Any], *, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(problem, status=status, retry_after=retry_after)
        self.errors: list[SchemaError] = [
            SchemaError(str(e.get("pointer", "")), str(e.get("message", "")))
            for e in problem.get("errors", [])
            if isinstance(e, Mapping)
        ]

    @property
    def pointers(self) -> list[str]:
        """The JSON pointer of each error, in order."""
        return [error.pointer for error in self.errors]


class TooManyRequests(ProblemError):
    """429: a limit of the hub (e.g. streams per user); retried after ``Retry-After``."""

    STATUS = 429


class ServerError(ProblemError):
    """500 (or another 5xx but 503): a fault of the hub, or a proxy's ``502`` or ``504`` (those
    two retried first, as a timeout is)."""

    STATUS = 500


class ServiceUnavailable(ProblemError):
    """503: the hub is shutting down, not ready, full, or cannot reach its backplane; retried
    after ``Retry-After``."""

    STATUS = 503


_BY_STATUS: dict[int, type[ProblemError]] = {
    cls.STATUS: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnprocessableContent,
        TooManyRequests,
        ServerError,
        ServiceUnavailable,
    )
    if cls.STATUS is not None
}


def problem_error(response: httpx.Response, retry_after: float | None) -> ProblemError:
    """The exception of an error answer (its body read). A body that is not a problem document
    (a proxy's page) becomes one with the status and its reason phrase."""
    problem: Any = None
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            problem = response.json()
        except ValueError:
            problem = None
    if not isinstance(problem, Mapping):
        problem = {
            "type": "about:blank",
            "title": response.reason_phrase,
            "status": response.status_code,
            "detail": response.text[:500],
        }
    status = response.status_code
    default = ServerError if status >= 500 else ProblemError
    cls = _BY_STATUS.get(status, default)
    return cls(problem, status=status, retry_after=retry_after)
