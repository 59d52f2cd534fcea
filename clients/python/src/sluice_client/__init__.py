"""Publish to and read a Sluice hub from Python.

:class:`Client` (blocking) and :class:`AsyncClient` (asyncio or trio) publish typed events
with an ``Idempotency-Key`` and safe retries, manage sessions, start regenerations and read
a session's stream, resuming after every drop. Errors are :class:`ProblemError` subclasses
carrying the hub's problem document. The built-in events are in :mod:`sluice_client.models`;
the guide's trackers in :mod:`sluice_client.trackers`.
"""

from ._async import AsyncClient
from ._sync import Client
from .calls import HistoryPage, Published, Regeneration
from .errors import (
    BadRequest,
    ConnectionFailed,
    Forbidden,
    MethodNotAllowed,
    NotAStream,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    SchemaError,
    ServerError,
    ServiceUnavailable,
    SluiceError,
    TooManyRequests,
    Unauthorized,
    UnprocessableContent,
)
from .events import StreamEvent
from .retry import Retry

__all__ = [
    "AsyncClient",
    "BadRequest",
    "Client",
    "ConnectionFailed",
    "Forbidden",
    "HistoryPage",
    "MethodNotAllowed",
    "NotAStream",
    "NotFound",
    "PayloadTooLarge",
    "ProblemError",
    "Published",
    "Regeneration",
    "Retry",
    "SchemaError",
    "ServerError",
    "ServiceUnavailable",
    "SluiceError",
    "StreamEvent",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableContent",
]
