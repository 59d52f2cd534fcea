"""The guide's ``SSEEventBuilder``: one typed builder per event type, returning the
generated ``protocol.models`` event with its timestamp set to now unless given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from protocol.models import (
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

from .events import ResetReason, utc_now


class SSEEventBuilder:
    """Builders named after the event types (and the guide's
    ``message_regeneration_started``). Keyword arguments are the models' snake_case fields;
    the model's validators check them (``TypeError``/``ValueError`` on a bad value). Pass the
    result to :meth:`~sse_core.Broadcaster.publish` or ``broadcast_event``."""

    @staticmethod
    def connection(
        *,
        status: Literal["connected", "disconnected"],
        session_id: str,
        user_id: str | None = None,
        timestamp: str | None = None,
    ) -> ConnectionEvent:
        """``connection``: a stream opened or closed."""
        return ConnectionEvent(
            status=status, session_id=session_id, user_id=user_id, timestamp=timestamp or utc_now()
        )

    @staticmethod
    def keepalive(*, timestamp: str | None = None) -> KeepaliveEvent:
        """``keepalive``: the stream is alive."""
        return KeepaliveEvent(timestamp=timestamp or utc_now())

    @staticmethod
    def error(
        *,
        message: str,
        code: str | None = None,
        original_event: str | None = None,
        timestamp: str | None = None,
    ) -> ErrorEvent:
        """``error``: something failed on the server side."""
        return ErrorEvent(
            message=message,
            code=code,
            original_event=original_event,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message(
        *,
        content: str,
        message_id: str | None = None,
        role: Literal["user", "assistant", "system"] | None = None,
        timestamp: str | None = None,
    ) -> MessageEvent:
        """``message``: a chat message."""
        return MessageEvent(
            content=content, message_id=message_id, role=role, timestamp=timestamp or utc_now()
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
        """``status_update``: a task's status."""
        return StatusUpdateEvent(
            status=status,
            message=message,
            progress=progress,
            task_id=task_id,
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
        """``thought_process_start``: an agent starts thinking."""
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
        """``thought_process_step``: one step of reasoning."""
        return ThoughtProcessStepEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            step=step,
            reasoning=reasoning,
            step_number=step_number,
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
        """``thought_process_complete``: the thinking reached a conclusion."""
        return ThoughtProcessCompleteEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            conclusion=conclusion,
            total_steps=total_steps,
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
        """``message_regenerating``: a message is being regenerated."""
        return MessageRegeneratingEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            original_message_id=original_message_id,
            user_query=user_query,
            timestamp=timestamp or utc_now(),
        )

    #: The guide's name for :meth:`message_regenerating`.
    message_regeneration_started = message_regenerating

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
        """``regeneration_progress``: how far a regeneration is (``progress`` 0 to 100)."""
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
    def message_regenerated(
        *,
        message_id: str,
        content: str,
        session_id: str | None = None,
        task_id: str | None = None,
        timestamp: str | None = None,
    ) -> MessageRegeneratedEvent:
        """``message_regenerated``: the regenerated message."""
        return MessageRegeneratedEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            content=content,
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
        """``regeneration_error``: a regeneration failed."""
        return RegenerationErrorEvent(
            message_id=message_id,
            session_id=session_id,
            task_id=task_id,
            error=error,
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
        """``message_edited``: a message's content changed."""
        return MessageEditedEvent(
            message_id=message_id,
            session_id=session_id,
            content=content,
            previous_content=previous_content,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def message_deleted(
        *,
        deleted_message_ids: Sequence[str],
        session_id: str | None = None,
        timestamp: str | None = None,
    ) -> MessageDeletedEvent:
        """``message_deleted``: messages were deleted."""
        return MessageDeletedEvent(
            deleted_message_ids=list(deleted_message_ids),
            session_id=session_id,
            timestamp=timestamp or utc_now(),
        )

    @staticmethod
    def stream_reset(
        *,
        reason: ResetReason,
        session_id: str,
        last_event_id: str | None = None,
        timestamp: str | None = None,
    ) -> StreamResetEvent:
        """``stream_reset``: history could not cover the resume point; refetch state."""
        return StreamResetEvent(
            reason=reason,
            last_event_id=last_event_id,
            session_id=session_id,
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
        """``stream_overflow``: the client read too slowly and was cut off."""
        return StreamOverflowEvent(
            session_id=session_id,
            max_queue_size=max_queue_size,
            last_event_id=last_event_id,
            timestamp=timestamp or utc_now(),
        )
