"""The contract tools: ``sluice schemas diff`` and ``sluice check``."""


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural unless one: ``counted(1, "change")`` is ``"1 change"``,
    ``counted(3, "event")`` ``"3 events"`` (the nouns the tools' summaries count take an s)."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
