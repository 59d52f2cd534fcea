"""The ``sluice`` command line: ``serve``, ``token``, ``validate``, ``schemas export|diff``,
``check``.

``validate`` and ``schemas export`` take ``--event-schemas DIR`` (repeatable) as ``serve``
does; a catalogue the hub would refuse is one line naming the file and JSON pointer, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from protocol import Catalogue

from . import token_command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sluice", description="Sluice, an SSE hub on Trio.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the server (memory backplane by default)",
        description="Run the hub on Hypercorn's trio worker. Every flag has a SLUICE_* "
        "environment variable; a flag wins over its variable. Auth is on unless --no-auth.",
    )
    _serve_arguments(serve)
    serve.set_defaults(run=_serve)
    token_command.add_command(commands)

    validate = commands.add_parser(
        "validate",
        help="validate events: one JSON document, or JSON Lines",
        description="Validate events as a publisher sends them ({type, data, ttl?}: the "
        "types only the hub sends, such as connection, are errors, as the publish route "
        "refuses them) or envelopes as a stream carries them (with id "
        "and timestamp).",
    )
    validate.add_argument("file", nargs="?", default="-", help="file to read, - for stdin")
    _catalogue_argument(validate)
    validate.set_defaults(run=_validate)

    _schemas_commands(commands)

    check = commands.add_parser(
        "check",
        help="check a live stream against the event catalogue",
        description="Read a stream and check every frame: the framing and the catalogue "
        "(the hub's own, or --event-schemas DIR). Exit 0, 1 on violations, 2 when the URL "
        "is unreachable, refused or not an event stream.",
    )
    check.add_argument("url", help="the stream's URL, e.g. http://127.0.0.1:8000/sse/alice:1")
    check.add_argument("--token", help="bearer token (default: SLUICE_TOKEN)")
    check.add_argument("--event-schemas", metavar="DIR", help="catalogue: built-ins plus DIR")
    check.add_argument("--count", type=int, help="stop after N events with an id")
    check.add_argument("--seconds", type=float, help="stop after S seconds (default 10)")
    check.set_defaults(run=lambda args: _contract("check", args))
    return parser


def _schemas_commands(commands: Any) -> None:
    """``sluice schemas export`` and ``sluice schemas diff``."""
    schemas = commands.add_parser("schemas", help="the protocol's schemas")
    schemas_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schemas_commands.add_parser("export", help="write the schemas to a folder")
    export.add_argument("directory")
    kind = export.add_mutually_exclusive_group()
    kind.add_argument(
        "--typescript",
        action="store_true",
        help=f"write TypeScript declarations instead ({DECLARATIONS_FILE})",
    )
    kind.add_argument(
        "--python",
        action="store_true",
        help=f"write the attrs models of your own event types instead ({EXPORT_MODULE})",
    )
    kind.add_argument(
        "--python-client",
        action="store_true",
        help=f"the same models for a backend with only sluice-client installed ({EXPORT_MODULE})",
    )
    _catalogue_argument(export)
    export.set_defaults(run=_export)
    schemas_diff = schemas_commands.add_parser(
        "diff", help="list every change between two catalogues and the side it breaks"
    )
    source = "directory of event schemas, or one `schemas export` wrote, or a hub's base URL"
    schemas_diff.add_argument("old", help=source)
    schemas_diff.add_argument("new", help=source)
    schemas_diff.set_defaults(run=lambda args: _contract("diff", args))


DECLARATIONS_FILE = "sluice-events.d.ts"
EXPORT_MODULE = "sluice_events.py"


def _catalogue_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--event-schemas",
        action="append",
        default=[],
        metavar="DIR",
        help="a directory of your own event schemas (repeatable; default: SLUICE_EVENT_SCHEMAS)",
    )


class _BadCatalogue(Exception):
    """The ``--event-schemas`` catalogue cannot be loaded; the message says where and why."""


def _catalogue(args: argparse.Namespace) -> Catalogue:
    """The catalogue of ``--event-schemas`` (else ``SLUICE_EVENT_SCHEMAS``, else built-in)."""
    import os

    from protocol.event_schemas import CatalogueError, load

    from .settings import option

    setting = option("event_schemas")
    directories = args.event_schemas or setting.parse(os.environ.get(setting.env, ""))
    try:
        return load(directories)
    except CatalogueError as error:
        raise _BadCatalogue(str(error)) from None


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from .settings import add_arguments

    add_arguments(parser)


def _serve(args: argparse.Namespace) -> int:
    import os

    from . import logs
    from .serving.workers import serve_app, supervise
    from .settings import InvalidSetting, load
    from .web.app import create_app

    try:
        settings = load(vars(args), os.environ)
        logs.configure(settings.log_level, pid=settings.workers > 1)
        app = create_app(settings)
    except InvalidSetting as error:
        print(error.report("serve"), file=sys.stderr)
        return 2
    return serve_app(app) if settings.workers == 1 else supervise(settings)


def _validate(args: argparse.Namespace) -> int:
    """Validate one event (a JSON document) or many (JSON Lines); print every error.

    An event is ``{"type", "data", "ttl"?}`` as a publisher sends it (where the hub-only
    types, ``protocol.registry.HUB_EVENTS``, are errors, as the publish route refuses them), or
    a whole envelope as a stream carries it (with ``id`` and ``timestamp``). Exit 0 when all are
    valid, 1 when any is not, 2 when the input cannot be read or is not JSON.
    """
    from protocol import hub_only_errors, unknown_type_errors

    try:
        catalogue = _catalogue(args)
        events = _read_events(args.file)
    except (_Unreadable, _BadCatalogue) as unreadable:
        print(f"sluice validate: {unreadable}", file=sys.stderr)
        return 2
    invalid = 0
    for line, event in events:
        is_envelope = isinstance(event, dict) and ("id" in event or "timestamp" in event)
        schema = "envelope.json" if is_envelope else "event-input.json"
        errors = catalogue.validator(schema).errors(event)
        if not is_envelope:
            errors = [*hub_only_errors(event), *errors]
            errors = unknown_type_errors(errors, [event], catalogue.event_types, batch=False)
        invalid += bool(errors)
        for error in errors:
            print(error if line is None else f"line {line}: {error}")
    print(f"{len(events) - invalid} valid, {invalid} invalid")
    return 1 if invalid else 0


class _Unreadable(Exception):
    """The input of ``sluice validate`` is missing, unreadable or not JSON."""


def _read_events(file: str) -> list[tuple[int | None, object]]:
    """The events of one JSON document (line ``None``) or of JSON Lines (numbered from 1)."""
    from pathlib import Path

    import orjson

    name = "stdin" if file == "-" else file
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise _Unreadable(f"cannot read {name}: {error.strerror or error}") from None
    if not data.strip():
        raise _Unreadable(f"{name} is empty")
    try:
        return [(None, orjson.loads(data))]
    except orjson.JSONDecodeError as error:
        not_json = _Unreadable(f"{name} is not JSON: {error}")
    events: list[tuple[int | None, object]] = []
    for number, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                events.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as error:
                if not events:  # not JSON Lines either: say why the document is not JSON
                    raise not_json from None
                raise _Unreadable(f"{name} line {number} is not JSON: {error}") from None
    return events


def _export(args: argparse.Namespace) -> int:
    """Write every schema of the catalogue into the directory (keeping ``events/`` and
    ``rest/``), or with ``--typescript`` its TypeScript declarations, or with ``--python`` the
    models of its own event types. Exit 2 when the catalogue is refused, a tool is missing
    or the directory cannot be written."""
    from pathlib import Path

    import orjson

    from protocol import codegen
    from protocol.model_fields import CodegenError

    from .typescript import NodeToolError, write_declarations

    directory = Path(args.directory)
    try:
        catalogue = _catalogue(args)
        if args.typescript:
            print(f"wrote {write_declarations(directory, catalogue)}")
            return 0
        if args.python or args.python_client:
            package = "sluice_client" if args.python_client else "protocol"
            source = codegen.generate_export(catalogue, package)
            directory.mkdir(parents=True, exist_ok=True)
            (directory / EXPORT_MODULE).write_text(source, encoding="utf-8")
            print(f"wrote {directory / EXPORT_MODULE}")
            return 0
        for name in catalogue.names():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            body = orjson.dumps(catalogue.schema(name), option=orjson.OPT_INDENT_2)
            target.write_bytes(body + b"\n")
        print(f"wrote {len(catalogue.names())} schemas to {directory}")
    except (OSError, _BadCatalogue, NodeToolError, CodegenError) as error:
        print(f"sluice schemas export: {error}", file=sys.stderr)
        return 2
    return 0


def _contract(command: str, args: argparse.Namespace) -> int:
    """Run a contract tool of :mod:`server.contract` (imported only when used)."""
    from importlib import import_module

    status: int = import_module(f".contract.{command}", __package__).main(args)
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sluice`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
