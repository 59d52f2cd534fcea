"""A wall clock the test moves by hand (the Redis backplane's ``clock``)."""

from __future__ import annotations


class WallClock:
    """Seconds since the epoch, standing still until :meth:`jump` (named as trio's
    ``MockClock.jump``, so that a test can move either)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def jump(self, seconds: float) -> None:
        self.now += seconds
