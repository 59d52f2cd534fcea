"""The ``sluice`` command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sluice`` console script."""
    args = sys.argv[1:] if argv is None else argv
    print(f"sluice {' '.join(args)}: not yet implemented", file=sys.stderr)
    return 2
