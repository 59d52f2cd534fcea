"""The pluggable agent behind the ADK run endpoint and the regenerate action.

An agent is any callable taking an :class:`AgentRequest` and returning an async iterator of
updates: :class:`Thought` (a step of its thought process), :class:`Progress` (percent done and the
text so far) and, last, one :class:`Answer`. :func:`run_agent` turns those updates into the
session's events: ``thought_process_start``, ``thought_process_step``...,
``regeneration_progress``..., ``thought_process_complete`` and ``message_regenerated`` (or
``regeneration_error``). The ``agent`` setting selects it: ``demo`` (the deterministic
:class:`DemoAgent`) or ``module:callable``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import attrs
import trio

from protocol.models import Event
from sse_core import (
    Broadcaster,
    EventTooLarge,
    ProgressTracker,
    SSEEventBuilder,
    ThoughtProcessTracker,
)

from . import logs
from .settings import InvalidSetting

log = logging.getLogger("sluice.agent")


@attrs.frozen(kw_only=True)
class AgentRequest:
    """What the agent is asked: the query, and for whom (``user_id`` is ``None`` without auth)."""

    query: str
    session_id: str
    user_id: str | None
    app_name: str | None = None


@attrs.frozen
class Thought:
    """One step of the agent's thought process."""

    step: str
    reasoning: str


@attrs.frozen
class Progress:
    """Generation progress in percent (0 to 100), with a status line and the text so far."""

    progress: float
    message: str | None = None
    partial_content: str | None = None


@attrs.frozen
class Answer:
    """The final text; the agent's last update."""

    content: str


Update = Thought | Progress | Answer
Agent = Callable[[AgentRequest], AsyncIterator[Update]]


@attrs.frozen
class DemoAgent:
    """A deterministic agent: three thoughts, progress in ``chunks`` steps, then an answer.

    ``delay`` seconds pass between updates, so that a person watching sees it stream.
    """

    delay: float = 0.05
    chunks: int = 4

    async def __call__(self, request: AgentRequest) -> AsyncIterator[Update]:
        """Think about ``request.query`` and answer it, always with the same updates."""
        # The query last: a sentence around it would double its own final "?" or "."
        answer = f"This is the demo agent's answer to: {request.query.strip()}"
        words = answer.split()
        yield Thought("Query understanding", f"Reading the question: {request.query.strip()}")
        await trio.sleep(self.delay)
        yield Thought("Knowledge retrieval", "The demo agent knows no more than the question.")
        for i in range(1, self.chunks + 1):
            await trio.sleep(self.delay)
            percent = 100 * i / self.chunks
            yield Progress(
                percent,
                f"Generating... {percent:.0f}%",
                " ".join(words[: len(words) * i // self.chunks]),
            )
        yield Thought("Answer composition", "Returning the question with a friendly frame.")
        yield Answer(answer)


def load_agent(spec: str) -> Agent:
    """The agent named by the ``agent`` setting; raises :class:`InvalidSetting` if unusable."""
    if spec == "demo":
        return DemoAgent()
    module_name, _, attribute = spec.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for name in attribute.split("."):
            found = getattr(found, name)
    except (ImportError, AttributeError) as error:
        raise InvalidSetting("agent", f"cannot load {spec!r}: {error}") from None
    if not callable(found):
        raise InvalidSetting("agent", f"{spec!r} is not callable")
    agent: Agent = found
    return agent


class AgentFailed(Exception):
    """The agent ended without an answer."""


#: How much of a failure's description a ``regeneration_error`` carries (characters).
MAX_ERROR_TEXT = 1000


def _regenerating(request: AgentRequest, regenerating: str, ids: dict[str, str]) -> Event:
    """The ``message_regenerating`` event a regeneration opens with."""
    return SSEEventBuilder.message_regenerating(
        original_message_id=regenerating or None, user_query=request.query, **ids
    )


def check_query(
    broadcaster: Broadcaster,
    request: AgentRequest,
    *,
    message_id: str,
    task_id: str,
    regenerating: str | None = None,
) -> None:
    """Raise :class:`~sse_core.EventTooLarge` when the run :func:`run_agent` would start with
    these arguments cannot publish the events that carry ``request.query`` whole (over the
    broadcaster's ``max_event_bytes``): ``message_regenerating`` (with ``regenerating``) and
    ``thought_process_start``. Call it before starting the run, to refuse the request; what
    the agent itself makes of the query is the agent's (a too large event ends its run).
    """
    ids = {"message_id": message_id, "session_id": request.session_id, "task_id": task_id}
    if regenerating is not None:
        broadcaster.check_event(_regenerating(request, regenerating, ids))
    broadcaster.check_event(
        SSEEventBuilder.thought_process_start(thinking_about=request.query, **ids)
    )


async def run_agent(
    agent: Agent,
    broadcaster: Broadcaster,
    request: AgentRequest,
    *,
    message_id: str,
    task_id: str,
    regenerating: str | None = None,
) -> None:
    """Run ``agent`` and publish its updates to ``request.session_id`` (the guide's trackers).

    With ``regenerating`` (the message being replaced, or ``""`` for none) a
    ``message_regenerating`` event comes first. Any failure is reported as
    ``regeneration_error`` (its description cut to fit, see :func:`_fail`) and logged, never
    raised: the agent's, or an event of the run that cannot be published, such as one over
    the broadcaster's ``max_event_bytes`` (``EventTooLarge``: it is not stored).
    :func:`check_query` tells beforehand whether the events carrying the query fit. When
    cancelled (shutdown), a ``regeneration_error`` saying so is published under a shield,
    then ``Cancelled`` propagates.
    """
    ids = {"message_id": message_id, "session_id": request.session_id, "task_id": task_id}
    thinking = ThoughtProcessTracker(broadcaster=broadcaster, **ids)
    progress = ProgressTracker(broadcaster=broadcaster, **ids)
    try:
        if regenerating is not None:
            started = _regenerating(request, regenerating, ids)
            await broadcaster.publish(request.session_id, started)
        await thinking.start_thinking(request.query)
        answer = await _follow(agent(request), thinking, progress)
        await thinking.complete_thinking("Answer ready")
        await progress.complete(answer.content)
    except trio.Cancelled:
        with trio.CancelScope(shield=True), trio.move_on_after(1):
            await progress.error("cancelled: the server is shutting down")
        raise
    except Exception as error:
        logs.event(log, "agent_error", logging.WARNING, error=repr(error), **ids)
        await _fail(progress, str(error) or type(error).__name__)


async def _fail(progress: ProgressTracker, reason: str) -> None:
    """Publish ``regeneration_error`` with ``reason``: its first :data:`MAX_ERROR_TEXT`
    characters, cut further (halved, each cut marked ``…``) until the event fits in the
    broadcaster's ``max_event_bytes``. Raises ``EventTooLarge`` when not even ``…`` fits."""
    if len(reason) > MAX_ERROR_TEXT:
        reason = reason[: MAX_ERROR_TEXT - 1] + "\u2026"
    while True:
        try:
            await progress.error(reason)
            return
        except EventTooLarge:
            if len(reason) <= 1:
                raise
            reason = reason[: len(reason) // 2 - 1] + "\u2026"


async def _follow(
    updates: AsyncIterator[Update], thinking: ThoughtProcessTracker, progress: ProgressTracker
) -> Answer:
    """Publish each update; return the answer (:class:`AgentFailed` when there is none)."""
    answer: Answer | None = None
    try:
        async for update in updates:
            match update:
                case Thought(step=step, reasoning=reasoning):
                    await thinking.add_step(step, reasoning)
                case Progress(progress=percent, message=message, partial_content=partial):
                    await progress.update_progress(percent, message, partial)
                case Answer():
                    answer = update
    finally:
        if isinstance(updates, AsyncGenerator):
            await updates.aclose()
    if answer is None:
        raise AgentFailed("the agent ended without an answer")
    return answer
