"""The demo agent: the updates it gives for a query."""

from __future__ import annotations

import trio

from server.agent import AgentRequest, Answer, DemoAgent, Progress


async def test_the_demo_answer_ends_with_the_query_as_it_was_asked(
    autojump_clock: trio.abc.Clock,
) -> None:
    """A query that ends a sentence itself ("What is Sluice?") gets no second full stop."""
    request = AgentRequest(query=" What is Sluice? ", session_id="s", user_id=None)
    updates = [update async for update in DemoAgent()(request)]
    (answer,) = [u for u in updates if isinstance(u, Answer)]
    assert answer.content == "This is the demo agent's answer to: What is Sluice?"
    progress = [u for u in updates if isinstance(u, Progress)]
    assert [p.progress for p in progress] == [25, 50, 75, 100]
    assert progress[-1].partial_content == answer.content
