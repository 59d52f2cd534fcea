"""The Sluice protocol, sans-IO: schemas, typed models, validation, the SSE wire codec.

Nothing here imports trio or a web framework: bytes and dicts in, events and bytes out.
The cattrs converter is ``protocol.converter.converter`` (``protocol.converter`` is the module).
"""

from . import models
from .catalogue import Catalogue, builtin, check_envelope, check_event_input, event_types, validator
from .converter import envelope_from_wire, envelope_to_wire, from_wire, to_wire
from .envelope import build_envelope, utc_now
from .errors import (
    InvalidEvent,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SchemaError,
)
from .models import *  # noqa: F403  (generated: the event classes, Event, EVENT_CLASSES, Envelope)
from .pointer import pointer_to
from .session_id import is_session_id, session_id_rule
from .sse_event import SSEEvent
from .validation import Validator, hub_only_errors, unknown_type_errors
from .wire import (
    EventStreamParser,
    ServerSentEvent,
    encode_comment,
    encode_envelope,
    encode_frame,
    encode_retry,
    frame_envelope_json,
)

__all__ = [
    "Catalogue",
    "EventStreamParser",
    "InvalidEvent",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "SSEEvent",
    "SchemaError",
    "ServerSentEvent",
    "Validator",
    "build_envelope",
    "builtin",
    "check_envelope",
    "check_event_input",
    "encode_comment",
    "encode_envelope",
    "encode_frame",
    "encode_retry",
    "envelope_from_wire",
    "envelope_to_wire",
    "event_types",
    "frame_envelope_json",
    "from_wire",
    "hub_only_errors",
    "is_session_id",
    "pointer_to",
    "session_id_rule",
    "to_wire",
    "unknown_type_errors",
    "utc_now",
    "validator",
]
__all__ += models.__all__
