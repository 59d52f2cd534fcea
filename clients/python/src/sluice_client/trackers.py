"""The guide's helper trackers, over a client: an agent's thought process and a task's progress.

The same classes, methods and events as the hub's in-process ``sse_core.trackers``, published
through an :class:`~sluice_client.AsyncClient` instead of the in-process broadcaster.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._async import AsyncClient
from .events import utc_now
from .models import (
    MessageRegeneratedEvent,
    RegenerationErrorEvent,
    RegenerationProgressEvent,
    ThoughtProcessCompleteEvent,
    ThoughtProcessStartEvent,
    ThoughtProcessStepEvent,
)


@attrs.define(kw_only=True)
class _MessageTask:
    """The message, session and task a tracker's events are about, and the client they go by."""

    message_id: str
    session_id: str
    task_id: str
    client: AsyncClient

    async def _publish(self, model: type[Any], **fields: Any) -> str:
        """Publish a ``model`` with this tracker's ids, ``fields`` and the time; its id."""
        event = model(
            message_id=self.message_id,
            session_id=self.session_id,
            task_id=self.task_id,
            timestamp=utc_now(),
            **fields,
        )
        published = await self.client.publish(self.session_id, event)
        return published.ids[0]


@attrs.define(kw_only=True)
class ThoughtProcessTracker(_MessageTask):
    """Publishes ``thought_process_start``, numbered ``thought_process_step`` events and
    ``thought_process_complete`` (with the number of steps) for one message.

    Each method returns the event's id and raises as :meth:`AsyncClient.publish`.
    """

    steps: int = attrs.field(default=0, init=False)

    async def start_thinking(self, thinking_about: str) -> str:
        """Say what the agent is thinking about."""
        return await self._publish(ThoughtProcessStartEvent, thinking_about=thinking_about)

    async def add_step(self, step: str, reasoning: str) -> str:
        """Publish the next step (numbered from 1)."""
        self.steps += 1
        return await self._publish(
            ThoughtProcessStepEvent, step=step, reasoning=reasoning, step_number=self.steps
        )

    async def complete_thinking(self, conclusion: str) -> str:
        """Publish the conclusion and how many steps led to it."""
        return await self._publish(
            ThoughtProcessCompleteEvent, conclusion=conclusion, total_steps=self.steps
        )


@attrs.define(kw_only=True)
class ProgressTracker(_MessageTask):
    """Publishes ``regeneration_progress`` updates, then ``message_regenerated`` or
    ``regeneration_error``, for one message.

    Each method returns the event's id and raises as :meth:`AsyncClient.publish`; a value
    the event model refuses (a progress outside 0 to 100) raises ``ValueError``.
    """

    async def update_progress(
        self, progress: float, message: str | None = None, partial_content: str | None = None
    ) -> str:
        """Publish how far the work is, in percent, with an optional note and partial result."""
        return await self._publish(
            RegenerationProgressEvent,
            progress=progress,
            message=message,
            partial_content=partial_content,
        )

    async def complete(self, content: str) -> str:
        """Publish the finished content."""
        return await self._publish(MessageRegeneratedEvent, content=content)

    async def error(self, error: str) -> str:
        """Publish that the work failed, and why."""
        return await self._publish(RegenerationErrorEvent, error=error)
