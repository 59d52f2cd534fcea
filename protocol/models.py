"""The typed events of the Sluice protocol: one attrs class per event type, and the envelope.

Generated from schemas/events/*.json and schemas/envelope.json by ``python -m protocol.codegen``
(``nox -s codegen``). Do not edit: change the schemas and run it again.
"""

from typing import ClassVar, Literal

import attrs
from attrs import validators as v

from . import constraints

__all__ = [
    "EVENT_CLASSES",
    "ConnectionEvent",
    "Envelope",
    "ErrorEvent",
    "Event",
    "KeepaliveEvent",
    "MessageDeletedEvent",
    "MessageEditedEvent",
    "MessageEvent",
    "MessageRegeneratedEvent",
    "MessageRegeneratingEvent",
    "RegenerationErrorEvent",
    "RegenerationProgressEvent",
    "StatusUpdateEvent",
    "StreamOverflowEvent",
    "StreamResetEvent",
    "ThoughtProcessCompleteEvent",
    "ThoughtProcessStartEvent",
    "ThoughtProcessStepEvent",
]


@attrs.frozen(kw_only=True)
class ConnectionEvent:
    """Sent first on every stream (status connected) and, where the server can, last (status
    disconnected).

    Wire type ``connection``; the data object of ``events/connection.json``.

    Attributes:
        status (``status``, required): Connection state.
        session_id (``sessionId``, required): Session the stream is subscribed to.
        user_id (``userId``): Authenticated user (the token's subject), absent without auth.
        timestamp (``timestamp``, required): When the connection changed state.
    """

    TYPE: ClassVar[str] = "connection"

    status: Literal["connected", "disconnected"] = attrs.field(
        metadata={"wire": "status"},
        validator=v.in_(("connected", "disconnected")),
    )
    session_id: str = attrs.field(
        metadata={"wire": "sessionId"},
        validator=v.and_(
            v.instance_of(str),
            constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
        ),
    )
    user_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "userId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    timestamp: str = attrs.field(
        metadata={"wire": "timestamp"},
        validator=v.and_(v.instance_of(str), constraints.date_time),
    )


@attrs.frozen(kw_only=True)
class ErrorEvent:
    """Something went wrong on the server side of a stream or task.

    Wire type ``error``; the data object of ``events/error.json``.

    Attributes:
        message (``message``, required): Human-readable description of the error.
        code (``code``): Machine-readable error code, e.g. stream_error.
        original_event (``originalEvent``): Type of the event whose delivery failed, if any.
        timestamp (``timestamp``): When the error happened.
    """

    TYPE: ClassVar[str] = "error"

    message: str = attrs.field(
        metadata={"wire": "message"},
        validator=v.and_(v.instance_of(str), v.min_len(1)),
    )
    code: str | None = attrs.field(
        default=None,
        metadata={"wire": "code"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(128))),
    )
    original_event: str | None = attrs.field(
        default=None,
        metadata={"wire": "originalEvent"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(128))),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class KeepaliveEvent:
    """Sent when a stream has been idle, so proxies and clients know it is alive. Not stored, has no
    id.

    Wire type ``keepalive``; the data object of ``events/keepalive.json``.

    Attributes:
        timestamp (``timestamp``, required): When the keepalive was sent.
    """

    TYPE: ClassVar[str] = "keepalive"

    timestamp: str = attrs.field(
        metadata={"wire": "timestamp"},
        validator=v.and_(v.instance_of(str), constraints.date_time),
    )


@attrs.frozen(kw_only=True)
class MessageEvent:
    """A chat message or free-form text for the session.

    Wire type ``message``; the data object of ``events/message.json``.

    Attributes:
        content (``content``, required): Text of the message.
        message_id (``messageId``): Identifier of the message, if it has one.
        role (``role``): Who wrote the message.
        timestamp (``timestamp``): When the message was written.
    """

    TYPE: ClassVar[str] = "message"

    content: str = attrs.field(metadata={"wire": "content"}, validator=v.instance_of(str))
    message_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "messageId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    role: Literal["user", "assistant", "system"] | None = attrs.field(
        default=None,
        metadata={"wire": "role"},
        validator=v.optional(v.in_(("user", "assistant", "system"))),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class MessageDeletedEvent:
    """One or more messages were deleted.

    Wire type ``message_deleted``; the data object of ``events/message_deleted.json``.

    Attributes:
        deleted_message_ids (``deletedMessageIds``, required): Messages that were deleted.
        session_id (``sessionId``): Session the event belongs to.
        timestamp (``timestamp``): When the messages were deleted.
    """

    TYPE: ClassVar[str] = "message_deleted"

    deleted_message_ids: list[str] = attrs.field(
        metadata={"wire": "deletedMessageIds"},
        validator=v.deep_iterable(
            member_validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
            iterable_validator=v.and_(v.instance_of(list), v.min_len(1), constraints.unique_items),
        ),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class MessageEditedEvent:
    """A message's content was changed.

    Wire type ``message_edited``; the data object of ``events/message_edited.json``.

    Attributes:
        message_id (``messageId``, required): Message that was edited.
        session_id (``sessionId``): Session the event belongs to.
        content (``content``, required): New text of the message.
        previous_content (``previousContent``): Text before the edit, if kept.
        timestamp (``timestamp``): When the message was edited.
    """

    TYPE: ClassVar[str] = "message_edited"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    content: str = attrs.field(metadata={"wire": "content"}, validator=v.instance_of(str))
    previous_content: str | None = attrs.field(
        default=None,
        metadata={"wire": "previousContent"},
        validator=v.optional(v.instance_of(str)),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class MessageRegeneratedEvent:
    """A message was (re)generated; content is final.

    Wire type ``message_regenerated``; the data object of ``events/message_regenerated.json``.

    Attributes:
        message_id (``messageId``, required): Message that was generated.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        content (``content``, required): Final text of the message.
        timestamp (``timestamp``): When generation finished.
    """

    TYPE: ClassVar[str] = "message_regenerated"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    content: str = attrs.field(metadata={"wire": "content"}, validator=v.instance_of(str))
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class MessageRegeneratingEvent:
    """Regeneration of a message has started.

    Wire type ``message_regenerating``; the data object of ``events/message_regenerating.json``.

    Attributes:
        message_id (``messageId``, required): Message being generated.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        original_message_id (``originalMessageId``): Message being replaced, if any.
        user_query (``userQuery``): The query the message answers.
        timestamp (``timestamp``): When regeneration started.
    """

    TYPE: ClassVar[str] = "message_regenerating"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    original_message_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "originalMessageId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    user_query: str | None = attrs.field(
        default=None,
        metadata={"wire": "userQuery"},
        validator=v.optional(v.instance_of(str)),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class RegenerationErrorEvent:
    """Generating a message failed.

    Wire type ``regeneration_error``; the data object of ``events/regeneration_error.json``.

    Attributes:
        message_id (``messageId``, required): Message whose generation failed.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        error (``error``, required): What went wrong.
        timestamp (``timestamp``): When generation failed.
    """

    TYPE: ClassVar[str] = "regeneration_error"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    error: str = attrs.field(
        metadata={"wire": "error"},
        validator=v.and_(v.instance_of(str), v.min_len(1)),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class RegenerationProgressEvent:
    """Progress of a message being (re)generated, with the partial text so far.

    Wire type ``regeneration_progress``; the data object of ``events/regeneration_progress.json``.

    Attributes:
        message_id (``messageId``, required): Message being generated.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        progress (``progress``, required): Completion in percent (0 to 100).
        message (``message``): Human-readable status, e.g. Generating... 40%.
        partial_content (``partialContent``): The text generated so far.
        timestamp (``timestamp``): When the progress was reported.
    """

    TYPE: ClassVar[str] = "regeneration_progress"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    progress: float = attrs.field(
        metadata={"wire": "progress"},
        validator=v.and_(constraints.number, v.ge(0.0), v.le(100.0)),
    )
    message: str | None = attrs.field(
        default=None,
        metadata={"wire": "message"},
        validator=v.optional(v.instance_of(str)),
    )
    partial_content: str | None = attrs.field(
        default=None,
        metadata={"wire": "partialContent"},
        validator=v.optional(v.instance_of(str)),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class StatusUpdateEvent:
    """A short-lived status of a job or agent.

    Wire type ``status_update``; the data object of ``events/status_update.json``.

    Attributes:
        status (``status``, required): Current status, e.g. running or idle.
        message (``message``): Human-readable detail.
        progress (``progress``): Completion in percent, if known.
        task_id (``taskId``): Task the status belongs to, if any.
        timestamp (``timestamp``): When the status changed.
    """

    TYPE: ClassVar[str] = "status_update"

    status: str = attrs.field(
        metadata={"wire": "status"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(128)),
    )
    message: str | None = attrs.field(
        default=None,
        metadata={"wire": "message"},
        validator=v.optional(v.instance_of(str)),
    )
    progress: float | None = attrs.field(
        default=None,
        metadata={"wire": "progress"},
        validator=v.optional(v.and_(constraints.number, v.ge(0.0), v.le(100.0))),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class StreamOverflowEvent:
    """Sluice control event: the client read too slowly and was cut off. Reconnect with
    Last-Event-ID to catch up from history.

    Wire type ``stream_overflow``; the data object of ``events/stream_overflow.json``.

    Attributes:
        session_id (``sessionId``, required): Session the event belongs to.
        max_queue_size (``maxQueueSize``, required): How many frames may wait for one subscriber.
        last_event_id (``lastEventId``): Id of the last event queued for this client before it was
            cut off.
        timestamp (``timestamp``, required): When the client was cut off.
    """

    TYPE: ClassVar[str] = "stream_overflow"

    session_id: str = attrs.field(
        metadata={"wire": "sessionId"},
        validator=v.and_(
            v.instance_of(str),
            constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
        ),
    )
    max_queue_size: int = attrs.field(
        metadata={"wire": "maxQueueSize"},
        validator=v.and_(constraints.integer, v.ge(1), v.le(9007199254740991)),
    )
    last_event_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "lastEventId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                v.min_len(1),
                v.max_len(256),
                constraints.pattern("^[^\\r\\n\\u0000]*$"),
            ),
        ),
    )
    timestamp: str = attrs.field(
        metadata={"wire": "timestamp"},
        validator=v.and_(v.instance_of(str), constraints.date_time),
    )


@attrs.frozen(kw_only=True)
class StreamResetEvent:
    """Sluice control event: history could not cover the resume point; the client must refetch its
    state. Followed by what history holds.

    Wire type ``stream_reset``; the data object of ``events/stream_reset.json``.

    Attributes:
        reason (``reason``, required): Why the stream could not resume: history_exhausted (history
            no longer holds every event after the id), unknown_epoch (the id is from another hub
            run), malformed_id (not a Sluice id), foreign_id (an id of this hub run that this
            session did not issue, e.g. another session's).
        last_event_id (``lastEventId``): The resume point the client asked for.
        session_id (``sessionId``, required): Session the event belongs to.
        timestamp (``timestamp``, required): When the reset was sent.
    """

    TYPE: ClassVar[str] = "stream_reset"

    reason: Literal["history_exhausted", "unknown_epoch", "malformed_id", "foreign_id"] = (
        attrs.field(
            metadata={"wire": "reason"},
            validator=v.in_(("history_exhausted", "unknown_epoch", "malformed_id", "foreign_id")),
        )
    )
    last_event_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "lastEventId"},
        validator=v.optional(v.and_(v.instance_of(str), v.max_len(1024))),
    )
    session_id: str = attrs.field(
        metadata={"wire": "sessionId"},
        validator=v.and_(
            v.instance_of(str),
            constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
        ),
    )
    timestamp: str = attrs.field(
        metadata={"wire": "timestamp"},
        validator=v.and_(v.instance_of(str), constraints.date_time),
    )


@attrs.frozen(kw_only=True)
class ThoughtProcessCompleteEvent:
    """An agent finished thinking.

    Wire type ``thought_process_complete``; the data object of
    ``events/thought_process_complete.json``.

    Attributes:
        message_id (``messageId``, required): Message the thinking produced.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        conclusion (``conclusion``, required): What the thinking concluded.
        total_steps (``totalSteps``): How many steps were taken.
        timestamp (``timestamp``): When thinking completed.
    """

    TYPE: ClassVar[str] = "thought_process_complete"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    conclusion: str = attrs.field(metadata={"wire": "conclusion"}, validator=v.instance_of(str))
    total_steps: int | None = attrs.field(
        default=None,
        metadata={"wire": "totalSteps"},
        validator=v.optional(v.and_(constraints.integer, v.ge(0), v.le(9007199254740991))),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class ThoughtProcessStartEvent:
    """An agent started thinking about a request.

    Wire type ``thought_process_start``; the data object of ``events/thought_process_start.json``.

    Attributes:
        message_id (``messageId``, required): Message the thinking will produce.
        session_id (``sessionId``, required): Session the event belongs to.
        task_id (``taskId``, required): Task producing the event.
        thinking_about (``thinkingAbout``, required): What the agent is thinking about (usually the
            query).
        timestamp (``timestamp``): When thinking started.
    """

    TYPE: ClassVar[str] = "thought_process_start"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str = attrs.field(
        metadata={"wire": "sessionId"},
        validator=v.and_(
            v.instance_of(str),
            constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
        ),
    )
    task_id: str = attrs.field(
        metadata={"wire": "taskId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    thinking_about: str = attrs.field(
        metadata={"wire": "thinkingAbout"},
        validator=v.instance_of(str),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


@attrs.frozen(kw_only=True)
class ThoughtProcessStepEvent:
    """One step of an agent's reasoning.

    Wire type ``thought_process_step``; the data object of ``events/thought_process_step.json``.

    Attributes:
        message_id (``messageId``, required): Message the thinking will produce.
        session_id (``sessionId``): Session the event belongs to.
        task_id (``taskId``): Task producing the event.
        step (``step``, required): Short title of the step.
        reasoning (``reasoning``, required): Why the agent takes this step.
        step_number (``stepNumber``): Position of the step, from 1.
        timestamp (``timestamp``): When the step was taken.
    """

    TYPE: ClassVar[str] = "thought_process_step"

    message_id: str = attrs.field(
        metadata={"wire": "messageId"},
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(256)),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    task_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "taskId"},
        validator=v.optional(v.and_(v.instance_of(str), v.min_len(1), v.max_len(256))),
    )
    step: str = attrs.field(metadata={"wire": "step"}, validator=v.instance_of(str))
    reasoning: str = attrs.field(metadata={"wire": "reasoning"}, validator=v.instance_of(str))
    step_number: int | None = attrs.field(
        default=None,
        metadata={"wire": "stepNumber"},
        validator=v.optional(v.and_(constraints.integer, v.ge(1), v.le(9007199254740991))),
    )
    timestamp: str | None = attrs.field(
        default=None,
        metadata={"wire": "timestamp"},
        validator=v.optional(v.and_(v.instance_of(str), constraints.date_time)),
    )


#: Any event: the union of the classes above.
Event = (
    ConnectionEvent
    | ErrorEvent
    | KeepaliveEvent
    | MessageEvent
    | MessageDeletedEvent
    | MessageEditedEvent
    | MessageRegeneratedEvent
    | MessageRegeneratingEvent
    | RegenerationErrorEvent
    | RegenerationProgressEvent
    | StatusUpdateEvent
    | StreamOverflowEvent
    | StreamResetEvent
    | ThoughtProcessCompleteEvent
    | ThoughtProcessStartEvent
    | ThoughtProcessStepEvent
)


#: The model of each wire type.
EVENT_CLASSES: dict[str, type[Event]] = {
    "connection": ConnectionEvent,
    "error": ErrorEvent,
    "keepalive": KeepaliveEvent,
    "message": MessageEvent,
    "message_deleted": MessageDeletedEvent,
    "message_edited": MessageEditedEvent,
    "message_regenerated": MessageRegeneratedEvent,
    "message_regenerating": MessageRegeneratingEvent,
    "regeneration_error": RegenerationErrorEvent,
    "regeneration_progress": RegenerationProgressEvent,
    "status_update": StatusUpdateEvent,
    "stream_overflow": StreamOverflowEvent,
    "stream_reset": StreamResetEvent,
    "thought_process_complete": ThoughtProcessCompleteEvent,
    "thought_process_start": ThoughtProcessStartEvent,
    "thought_process_step": ThoughtProcessStepEvent,
}


@attrs.frozen(kw_only=True)
class Envelope:
    """What the SSE data: field carries: the event with the id and timestamp the hub assigned, and
    its ttl when the publisher gave one.

    Schema ``envelope.json``; ``type`` is always ``data.TYPE``.

    Attributes:
        type (``type``, required): Event type; equals the SSE event field.
        data (``data``, required): Event payload.
        id (``id``, required): Event id; equals the SSE id field. Empty for events not kept in
            history (keepalive).
        timestamp (``timestamp``, required): When the hub accepted the event.
        session_id (``sessionId``): Session the event belongs to; present on streams that carry
            several sessions.
        ttl (``ttl``): Seconds the event stays in history (overrides the hub's event_ttl); present
            only when the publisher gave one.
    """

    type: str = attrs.field(metadata={"wire": "type"}, validator=constraints.type_of("data"))
    data: Event = attrs.field(metadata={"wire": "data"}, validator=v.instance_of(Event))
    id: str = attrs.field(
        metadata={"wire": "id"},
        validator=v.and_(
            v.instance_of(str),
            v.max_len(256),
            constraints.pattern("^[^\\r\\n\\u0000]*$"),
        ),
    )
    timestamp: str = attrs.field(
        metadata={"wire": "timestamp"},
        validator=v.and_(v.instance_of(str), constraints.date_time),
    )
    session_id: str | None = attrs.field(
        default=None,
        metadata={"wire": "sessionId"},
        validator=v.optional(
            v.and_(
                v.instance_of(str),
                constraints.pattern("^(?!(?:[^:]*:)*\\.\\.?(?::|$))[A-Za-z0-9._:-]{1,128}$"),
            ),
        ),
    )
    ttl: float | None = attrs.field(
        default=None,
        metadata={"wire": "ttl"},
        validator=v.optional(v.and_(constraints.number, v.gt(0.0), v.le(31536000.0))),
    )
