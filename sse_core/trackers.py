"""The guide's helper trackers: publish an agent's thought process and a task's progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from protocol.models import Event

from .broadcaster import Broadcaster
from .builders import SSEEventBuilder
from .current import get_sse_broadcaster


@attrs.define(kw_only=True)
class _MessageTask:
    """The message, session and task a tracker's events are about, and where they go."""

    message_id: str
    session_id: str
    task_id: str
    broadcaster: Broadcaster = attrs.field(factory=get_sse_broadcaster)

    async def _publish(self, build: Callable[..., Event], **fields: Any) -> str:
        """Build the event with this tracker's ids and ``fields``, publish it, return its id."""
        event = build(
            message_id=self.message_id, session_id=self.session_id, task_id=self.task_id, **fields
        )
        return await self.broadcaster.publish(self.session_id, event)


@attrs.define(kw_only=True)
class ThoughtProcessTracker(_MessageTask):
    """Publishes ``thought_process_start``, numbered ``thought_process_step`` events and
    ``thought_process_complete`` (with the number of steps) for one message.

    ``broadcaster`` defaults to :func:`~sse_core.get_sse_broadcaster`. Each method is a
    checkpoint, returns the event's id, and raises as :meth:`~sse_core.Broadcaster.publish`.
    """

    steps: int = attrs.field(default=0, init=False)

    async def start_thinking(self, thinking_about: str) -> str:
        """Say what the agent is thinking about."""
        return await self._publish(
            SSEEventBuilder.thought_process_start, thinking_about=thinking_about
        )

    async def add_step(self, step: str, reasoning: str) -> str:
        """Publish the next step (numbered from 1)."""
        self.steps += 1
        return await self._publish(
            SSEEventBuilder.thought_process_step,
            step=step,
            reasoning=reasoning,
            step_number=self.steps,
        )

    async def complete_thinking(self, conclusion: str) -> str:
        """Publish the conclusion and how many steps led to it."""
        return await self._publish(
            SSEEventBuilder.thought_process_complete,
            conclusion=conclusion,
            total_steps=self.steps,
        )


@attrs.define(kw_only=True)
class ProgressTracker(_MessageTask):
    """Publishes ``regeneration_progress`` updates, then ``message_regenerated`` or
    ``regeneration_error``, for one message.

    ``broadcaster`` defaults to :func:`~sse_core.get_sse_broadcaster`. Each method is a
    checkpoint, returns the event's id, and raises as :meth:`~sse_core.Broadcaster.publish`;
    a value the event model refuses (a progress outside 0 to 100) raises ``ValueError``.
    """

    async def update_progress(
        self, progress: float, message: str | None = None, partial_content: str | None = None
    ) -> str:
        """Publish how far the work is, in percent, with an optional note and partial result."""
        return await self._publish(
            SSEEventBuilder.regeneration_progress,
            progress=progress,
            message=message,
            partial_content=partial_content,
        )

    async def complete(self, content: str) -> str:
        """Publish the finished content."""
        return await self._publish(SSEEventBuilder.message_regenerated, content=content)

    async def error(self, error: str) -> str:
        """Publish that the work failed, and why."""
        return await self._publish(SSEEventBuilder.regeneration_error, error=error)
