"""Builders of the typed events: one static method per event type, named after it.

Generated from schemas/events/*.json by ``python -m protocol.codegen`` (``nox -s codegen``).
Do not edit: change the schemas and run it again.
"""

from collections.abc import Sequence
from typing import Literal

from .envelope import utc_now
from .models import (
    ConnectionEvent,
    ErrorEvent,
    KeepaliveEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessageEvent,
    MessageRegeneratedEvent,
    MessageRegeneratingEvent,
    RegenerationErrorEvent,
    RegenerationProgressEvent,
    StatusUpdateEvent,
    StreamOverflowEvent,
    StreamResetEvent,
    ThoughtProcessCompleteEvent,
    ThoughtProcessStartEvent,
    ThoughtProcessStepEvent,
)

__all__ = ["EventBuilders"]


class EventBuilders:
    """One builder per event type, named after it. Keyword arguments are the model's snake_case
    fields (an array may be any sequence); ``timestamp`` is now unless given. The model's validators
    check them (``TypeError`` or ``ValueError`` on a bad value).
    """

    @staticmethod
    def connection(
        *,
        status: Literal["connected", "disconnected"],
        session_id: str,
        user_id: str | None = None,
        timestamp: str | None = None,
    ) -> ConnectionEvent:
        """``connection``: Sent first on every stream (status connected) and, where the server can,
        last (status disconnected).
        """
        return ConnectionEvent(
            status=status,
            session_id=session_id,
            user_id=user_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def error(
        *,
        message: str,
        code: str | None = None,
        original_event: str | None = None,
        timestamp: str | None = None,
    ) -> ErrorEvent:
        """``error``: Something went wrong on the server side of a stream or task."""
        return ErrorEvent(
            message=message,
            code=code,
            original_event=original_event,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def keepalive(*, timestamp: str | None = None) -> KeepaliveEvent:
        """``keepalive``: Sent when a stream has been idle, so proxies and clients know it is alive.
        Not stored, has no id.
        """
        return KeepaliveEvent(timestamp=timestamp or utc_now())

    @staticmethod
    def message(
        *,
        content: str,
        message_id: str | None = None,
        role: Literal["user", "assistant", "system"] | None = None,
        timestamp: str | None = None,
    ) -> MessageEvent:
        """``message``: A chat message or free-form text for the session."""
        return MessageEvent(
            content=content,
            message_id=message_id,
            role=role,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message_deleted(
        *,
        deleted_message_ids: Sequence[str],
        session_id: str | None = None,
        timestamp: str | None = None,
    ) -> MessageDeletedEvent:
        """``message_deleted``: One or more messages were deleted."""
        return MessageDeletedEvent(
            deleted_message_ids=list(deleted_message_ids),
            session_id=session_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message_edited(
        *,
        message_id: str,
        content: str,
        session_id: str | None = None,
        previous_content: str | None = None,
        timestamp: str | None = None,
    ) -> MessageEditedEvent:
        """``message_edited``: A message's content was changed."""
        return MessageEditedEvent(
            message_id=message_id,
            session_id=session_id,
            content=content,
            previous_content=previous_content,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message_regenerated(
        *,
        message_id: str,
        content: str,
        session_id: str | None = None,
        task_id: str | None = None,
        timestamp: str | None = None,
    ) -> MessageRegeneratedEvent:
        """``message_regenerated``: A message was (re)generated; content is final."""
        return MessageRegeneratedEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            content=content,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message_regenerating(
        *,
        message_id: str,
        session_id: str | None = None,
        task_id: str | None = None,
        original_message_id: str | None = None,
        user_query: str | None = None,
        timestamp: str | None = None,
    ) -> MessageRegeneratingEvent:
        """``message_regenerating``: Regeneration of a message has started."""
        return MessageRegeneratingEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            original_message_id=original_message_id,
            user_query=user_query,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def regeneration_error(
        *,
        message_id: str,
        error: str,
        session_id: str | None = None,
        task_id: str | None = None,
        timestamp: str | None = None,
    ) -> RegenerationErrorEvent:
        """``regeneration_error``: Generating a message failed."""
        return RegenerationErrorEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            error=error,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def regeneration_progress(
        *,
        message_id: str,
        progress: float,
        session_id: str | None = None,
        task_id: str | None = None,
        message: str | None = None,
        partial_content: str | None = None,
        timestamp: str | None = None,
    ) -> RegenerationProgressEvent:
        """``regeneration_progress``: Progress of a message being (re)generated, with the partial
        text so far.
        """
        return RegenerationProgressEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            progress=progress,
            message=message,
            partial_content=partial_content,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def status_update(
        *,
        status: str,
        message: str | None = None,
        progress: float | None = None,
        task_id: str | None = None,
        timestamp: str | None = None,
    ) -> StatusUpdateEvent:
        """``status_update``: A short-lived status of a job or agent."""
        return StatusUpdateEvent(
            status=status,
            message=message,
            progress=progress,
            task_id=task_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def stream_overflow(
        *,
        session_id: str,
        max_queue_size: int,
        last_event_id: str | None = None,
        timestamp: str | None = None,
    ) -> StreamOverflowEvent:
        """``stream_overflow``: Sluice control event: the client read too slowly and was cut off.
        Reconnect with Last-Event-ID to catch up from history.
        """
        return StreamOverflowEvent(
            session_id=session_id,
            max_queue_size=max_queue_size,
            last_event_id=last_event_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def stream_reset(
        *,
        reason: Literal["history_exhausted", "unknown_epoch", "malformed_id", "foreign_id"],
        session_id: str,
        last_event_id: str | None = None,
        timestamp: str | None = None,
    ) -> StreamResetEvent:
        """``stream_reset``: Sluice control event: history could not cover the resume point; the
        client must refetch its state. Followed by what history holds.
        """
        return StreamResetEvent(
            reason=reason,
            last_event_id=last_event_id,
            session_id=session_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def thought_process_complete(
        *,
        message_id: str,
        conclusion: str,
        session_id: str | None = None,
        task_id: str | None = None,
        total_steps: int | None = None,
        timestamp: str | None = None,
    ) -> ThoughtProcessCompleteEvent:
        """``thought_process_complete``: An agent finished thinking."""
        return ThoughtProcessCompleteEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            conclusion=conclusion,
            total_steps=total_steps,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def thought_process_start(
        *,
        message_id: str,
        session_id: str,
        task_id: str,
        thinking_about: str,
        timestamp: str | None = None,
    ) -> ThoughtProcessStartEvent:
        """``thought_process_start``: An agent started thinking about a request."""
        return ThoughtProcessStartEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            thinking_about=thinking_about,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def thought_process_step(
        *,
        message_id: str,
        step: str,
        reasoning: str,
        session_id: str | None = None,
        task_id: str | None = None,
        step_number: int | None = None,
        timestamp: str | None = None,
    ) -> ThoughtProcessStepEvent:
        """``thought_process_step``: One step of an agent's reasoning."""
        return ThoughtProcessStepEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            step=step,
            reasoning=reasoning,
            step_number=step_number,
            timestamp=timestamp or utc_now(),
        )
