"""The ``sluice`` command line: ``serve``, ``validate``, ``schemas export``."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sluice", description="Sluice, an SSE hub on Trio.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server (memory backplane by default)")
    serve.set_defaults(run=_serve)

    validate = commands.add_parser(
        "validate", help="validate events: one JSON document, or JSON Lines"
    )
    validate.add_argument("file", nargs="?", default="-", help="file to read, - for stdin")
    validate.set_defaults(run=_validate)

    schemas = commands.add_parser("schemas", help="the protocol's schemas")
    schemas_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schemas_commands.add_parser("export", help="write the schemas to a folder")
    export.add_argument("directory")
    export.add_argument(
        "--typescript", action="store_true", help="write TypeScript declarations instead"
    )
    export.set_defaults(run=_export)
    return parser


def _serve(args: argparse.Namespace) -> int:
    print("sluice serve: not yet implemented", file=sys.stderr)
    return 2


def _validate(args: argparse.Namespace) -> int:
    print("sluice validate: not yet implemented", file=sys.stderr)
    return 2


def _export(args: argparse.Namespace) -> int:
    print("sluice schemas export: not yet implemented", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sluice`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
