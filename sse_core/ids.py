"""Event ids of the memory backplane: ``<epoch>-<sequence>``, ordered within a session.

The epoch is random per hub run, so an id from before a restart is recognised as foreign.
The sequence counts events of all sessions and is zero-padded, so within one epoch ids sort
as text in publish order. Clients treat ids as opaque; only :func:`parse_event_id` looks inside.
"""

from __future__ import annotations

import re
import secrets

import attrs

_ID = re.compile(r"([0-9a-z]{1,32})-([0-9]{1,20})")
#: Digits of an id's sequence (zero-padded).
SEQUENCE_WIDTH = 12


def new_epoch() -> str:
    """A fresh epoch: 12 random lowercase hex digits."""
    return secrets.token_hex(6)


def format_event_id(epoch: str, sequence: int) -> str:
    """The id of the ``sequence``-th event published in ``epoch``."""
    return f"{epoch}-{sequence:0{SEQUENCE_WIDTH}d}"


@attrs.frozen
class EventId:
    """A parsed id: the hub run it comes from and its place in its session."""

    epoch: str
    sequence: int


def parse_event_id(text: str) -> EventId | None:
    """Split an id made by :func:`format_event_id`; None when ``text`` is not one (its
    sequence written with other digits than that, ``-00000000001`` say, included)."""
    match = _ID.fullmatch(text)
    if match is None:
        return None
    sequence = int(match[2])
    if len(match[2]) != len(f"{sequence:0{SEQUENCE_WIDTH}d}"):
        return None
    return EventId(match[1], sequence)
