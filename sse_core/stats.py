"""The broadcaster's figures, in the shapes of ``schemas/rest/stats.json`` and
``schemas/rest/session-stats.json``: this process's own, named by its ``pid`` (every process
on one Redis counts its own subscribers and deliveries and mirrors history for itself)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .backplane import Backplane
from .session import Session


def hub_stats(
    sessions: Mapping[str, Session], backplane: Backplane, counts: Mapping[str, int]
) -> dict[str, Any]:
    """Totals (``counts``: ``published``, ``delivered``, ``overflowed``, ``deduplicated``) and
    the figures of each session. A subscription to several sessions counts once in
    ``subscribers``."""
    totals = backplane.totals()
    keys, key_bytes = backplane.keys_held()
    return {
        "sessions": len(sessions),
        "subscribers": len({s for session in sessions.values() for s in session.subscribers}),
        **counts,
        "expired": totals.expired,
        "shed": totals.shed,
        "bytesHeld": totals.bytes_held,
        "idempotencyKeys": keys,
        "idempotencyBytes": key_bytes,
        "memoryUsageMb": (totals.bytes_held + key_bytes) / 2**20,
        "epoch": backplane.epoch,
        "pid": os.getpid(),
        "sessionStats": {
            session_id: _figures(session_id, session, backplane)
            for session_id, session in sessions.items()
        },
    }


def session_stats(session_id: str, session: Session | None, backplane: Backplane) -> dict[str, Any]:
    """One session's figures (``active`` False and zeros for a session the hub does not hold)."""
    return {
        "sessionId": session_id,
        **_figures(session_id, session, backplane),
        "active": session is not None,
        "lastEventId": backplane.figures(session_id).last_id,
        "pid": os.getpid(),
    }


def _figures(session_id: str, session: Session | None, backplane: Backplane) -> dict[str, Any]:
    history = backplane.figures(session_id)
    return {
        "subscribers": 0 if session is None else len(session.subscribers),
        "historySize": history.size,
        "published": 0 if session is None else session.published,
        "delivered": 0 if session is None else session.delivered,
        "overflowed": 0 if session is None else session.overflowed,
        "deduplicated": 0 if session is None else session.deduplicated,
        "expired": history.expired,
        "shed": history.shed,
        "bytesHeld": history.bytes_held,
    }
