"""``sluice schemas diff OLD NEW``: what a new event catalogue breaks for those on the old one.

OLD and NEW are each a directory of event schemas, one ``sluice schemas export`` wrote, or a
running hub's base URL (:mod:`server.contract.sources`); the comparison is
:func:`protocol.compat.diff`.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import TextIO

import httpx
import trio

from protocol.compat import Change, Side, breaking, diff, verdict

from . import counted
from .sources import CatalogueError, read_catalogue

#: Seconds allowed for each request to a hub.
TIMEOUT = 10.0


async def compare(old: str, new: str) -> list[Change]:
    """The changes from the catalogue at ``old`` to the one at ``new``.

    Raises :class:`~server.contract.sources.CatalogueError` when one cannot be read.
    """
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        return diff(await read_catalogue(client, old), await read_catalogue(client, new))


def run(old: str, new: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print every change, one a line, and a summary; return the exit status.

    0 when no change breaks either side, 1 when one does, 2 when a catalogue cannot be read
    (one line on ``err`` saying which and why). ``out`` and ``err`` default to stdout and
    stderr.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        changes = trio.run(compare, old, new)
    except CatalogueError as error:
        print(f"sluice schemas diff: {error}", file=err)
        return 2
    for change in changes:
        print(change, file=out)
    broken = breaking(changes)
    count = sum(change.breaks != Side.NONE for change in changes)
    print(f"{counted(len(changes), 'change')}, {count} breaking ({verdict(broken)})", file=out)
    return 1 if broken else 0


def main(args: Namespace) -> int:
    """``sluice schemas diff``: :func:`run` on the parsed ``old`` and ``new``."""
    return run(args.old, args.new)
