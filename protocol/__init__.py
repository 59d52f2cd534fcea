"""The Sluice protocol, sans-IO: schemas, typed models, validation, the SSE wire codec.

Nothing here imports trio or a web framework: bytes and dicts in, events and bytes out.
"""

from .errors import (
    InvalidEvent,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SchemaError,
)
from .registry import event_types
from .validation import Validator, check_envelope, check_event_input, validator
from .wire import encode_comment, encode_envelope, encode_frame, encode_retry

__all__ = [
    "InvalidEvent",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "SchemaError",
    "Validator",
    "check_envelope",
    "check_event_input",
    "encode_comment",
    "encode_envelope",
    "encode_frame",
    "encode_retry",
    "event_types",
    "validator",
]
