"""A team's own Quart-Trio app with Sluice inside.

The app's own route, ``POST /reports/{sessionId}``, starts writing a report and answers at once;
the work then reports its thought process and progress on the session with the broadcaster's
builders and trackers. Sluice's routes sit beside it (``/sse/{sessionId}``, ``/api/...``,
``/healthz``...), and one token, checked the same way, opens both.

Run it with the settings of ``sluice serve`` (``SLUICE_*`` variables)::

    SLUICE_JWT_SECRET=... python examples/team_app.py
"""

from __future__ import annotations

import uuid

import trio
from quart import Blueprint

from server.embedding import app_from_env, authorize, serve_until_signalled, start_background
from sse_core import ProgressTracker, SSEEventBuilder, ThoughtProcessTracker, get_sse_broadcaster

SECTIONS = (
    ("Figures", "Sum up the week's numbers"),
    ("Incidents", "List what went wrong and what was done"),
    ("Next week", "Say what comes next"),
)

reports = Blueprint("reports", __name__)


@reports.post("/reports/<session_id>")
async def write_report(session_id: str) -> tuple[dict[str, str], int]:
    """Start writing a report for ``session_id`` (the caller must be allowed to publish to it);
    answer ``202 {"sessionId", "messageId"}`` while the report streams to the session."""
    authorize(session_id, publish=True)
    message_id = f"report-{uuid.uuid4()}"
    start_background("report", write, session_id, message_id)
    return {"sessionId": session_id, "messageId": message_id}, 202


async def write(session_id: str, message_id: str, pause: float = 0.05) -> None:
    """Write the report: a status, the thought process, progress with the partial text, and
    the finished report (or the error), all published to ``session_id``."""
    broadcaster = get_sse_broadcaster()
    task_id = str(uuid.uuid4())
    thoughts = ThoughtProcessTracker(message_id=message_id, session_id=session_id, task_id=task_id)
    progress = ProgressTracker(message_id=message_id, session_id=session_id, task_id=task_id)
    await broadcaster.publish(
        session_id, SSEEventBuilder.status_update(status="running", message="Writing the report")
    )
    await thoughts.start_thinking("What goes in this week's report")
    text = ""
    try:
        for number, (title, reasoning) in enumerate(SECTIONS, 1):
            await thoughts.add_step(title, reasoning)
            text += f"## {title}\n"
            await progress.update_progress(round(100 * number / len(SECTIONS), 1), title, text)
            await trio.sleep(pause)
    except Exception as error:
        await progress.error(str(error))
        raise
    await thoughts.complete_thinking(f"{len(SECTIONS)} sections")
    await progress.complete(text)
    await broadcaster.publish(session_id, SSEEventBuilder.status_update(status="done"))


app = app_from_env()
app.register_blueprint(reports)

if __name__ == "__main__":
    trio.run(serve_until_signalled, app)
