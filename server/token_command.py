"""``sluice token``: print a signed token for local use, from the same secret as ``serve``."""

from __future__ import annotations

import argparse
import os
import sys

#: The settings that decide whether a hub accepts a token; each keeps its ``serve`` flag and
#: ``SLUICE_*`` variable.
_KEY_SETTINGS = ("jwt_secret", "jwt_algorithms", "jwt_audience", "jwt_issuer")


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``token`` to the ``sluice`` command's subcommands."""
    from .settings import option

    parser = commands.add_parser(
        "token",
        help="print a signed token for local use (HS256, from --jwt-secret / SLUICE_JWT_SECRET)",
        description="Print a JWT that a hub started with the same --jwt-secret (or "
        "SLUICE_JWT_SECRET), --jwt-algorithms, --jwt-audience and --jwt-issuer accepts.",
    )
    parser.add_argument("--sub", required=True, help="the subject: the user the token is for")
    parser.add_argument(
        "--subscribe",
        action="append",
        default=[],
        metavar="PATTERN",
        help="a session pattern the user may read (repeatable; '*' within a ':' segment, "
        "'{sub}' for the subject)",
    )
    parser.add_argument(
        "--publish",
        action="append",
        default=[],
        metavar="PATTERN",
        help="a session pattern the user may publish to (repeatable)",
    )
    parser.add_argument(
        "--ttl", default="1h", help="how long the token is valid: 90s, 30m, 1h, 7d (default: 1h)"
    )
    for name in _KEY_SETTINGS:
        opt = option(name)
        parser.add_argument(opt.flag, dest=name, help=f"{opt.help} [env {opt.env}]")
    parser.set_defaults(run=_token)


def _token(args: argparse.Namespace) -> int:
    from .security.auth import Authenticator, Unauthorized
    from .security.tokens import CannotSign, issue_token, parse_duration
    from .settings import InvalidSetting, load

    try:
        ttl = parse_duration(args.ttl)
    except ValueError as error:
        print(f"sluice token: --ttl: {error}", file=sys.stderr)
        return 2
    environ = {key: value for key, value in os.environ.items() if key.startswith("SLUICE_JWT_")}
    try:
        settings = load({name: getattr(args, name) for name in _KEY_SETTINGS}, environ)
        authenticator = Authenticator.from_settings(settings)
    except InvalidSetting as error:
        print(error.report("token"), file=sys.stderr)
        return 2
    try:
        token = issue_token(
            authenticator, args.sub, subscribe=args.subscribe, publish=args.publish, ttl=ttl
        )
    except (CannotSign, Unauthorized) as error:
        print(f"sluice token: {error}", file=sys.stderr)
        return 2
    if not args.subscribe and not args.publish:
        print(
            "sluice token: this token grants no session (no --subscribe, no --publish)",
            file=sys.stderr,
        )
    print(token)
    return 0
