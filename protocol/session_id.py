"""The session-id rule, read from the schema that states it (``defs.json#/$defs/sessionId``)."""

from __future__ import annotations

import re
from functools import cache

from . import constraints
from .catalogue import builtin


def _definition() -> dict[str, str]:
    definition: dict[str, str] = builtin().schema("defs.json")["$defs"]["sessionId"]
    return definition


@cache
def _pattern() -> re.Pattern[str]:
    return re.compile(constraints.python_pattern(_definition()["pattern"]))


def is_session_id(value: object) -> bool:
    """True for a well-formed session id (``defs.json#/$defs/sessionId``)."""
    return isinstance(value, str) and _pattern().search(value) is not None


def session_id_rule() -> str:
    """The rule in words, as the schema's description states it, e.g. for a 400's detail."""
    return _definition()["description"]
