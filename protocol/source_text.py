"""Python source text laid out as ``ruff format`` writes it, for :mod:`protocol.codegen`.

A call or a display that fits on one line stays there; otherwise it is exploded one item per
line with trailing commas, as ruff would, so generated modules pass ``ruff format --check``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import attrs

WIDTH = 100  # ruff's line-length for this project
INDENT = "    "


@attrs.frozen
class Call:
    """A call in the generated source, laid out as ``ruff format`` would."""

    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()


@attrs.frozen
class Seq:
    """A list, tuple or dict display in the generated source (dict items are ``"k: v"``)."""

    brackets: str  # "[]", "()" or "{}"
    items: tuple[Expr, ...]


Expr = str | Call | Seq


def _flat(expr: Expr) -> str:
    if isinstance(expr, str):
        return expr
    if isinstance(expr, Call):
        parts = [_flat(a) for a in expr.args] + [f"{k}={_flat(x)}" for k, x in expr.kwargs]
        return f"{expr.func}({', '.join(parts)})"
    inner = ", ".join(_flat(item) for item in expr.items)
    if expr.brackets == "()" and len(expr.items) == 1:
        inner += ","
    return expr.brackets[0] + inner + expr.brackets[1]


def lines(expr: Expr, lead: str, tail: str, indent: str) -> list[str]:
    """``lead + expr + tail`` on one line if it fits, else exploded with trailing commas."""
    flat = lead + _flat(expr) + tail
    if len(flat) <= WIDTH or isinstance(expr, str):
        return [flat]
    inner = indent + INDENT
    if isinstance(expr, Call):
        head, close = lead + expr.func + "(", ")"
        parts = [("", a) for a in expr.args] + [(k + "=", x) for k, x in expr.kwargs]
    else:
        head, close = lead + expr.brackets[0], expr.brackets[1]
        parts = [("", item) for item in expr.items]
    body = [line for label, part in parts for line in lines(part, inner + label, ",", inner)]
    return [head, *body, indent + close + tail]


def literal(value: str | int | float) -> str:
    """A Python literal, quoted the way ruff prefers."""
    if not isinstance(value, str):
        return repr(value)
    quote = "'" if value.count('"') > value.count("'") else '"'
    escaped = value.encode("unicode_escape").decode("ascii").replace(quote, "\\" + quote)
    return quote + escaped + quote


def docstring(paragraphs: Sequence[str | Sequence[tuple[str, str]]], indent: str) -> list[str]:
    """A docstring: text paragraphs, or ``(head, text)`` items under "Attributes:", wrapped
    (one line when it fits on one)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            first = indent + ('"""' if not lines else "")
            lines += [*([""] if lines else []), *_wrap(paragraph, first, indent)]
            continue
        lines += ["", indent + "Attributes:"]
        for head, text in paragraph:
            lines += _wrap(f"{head}: {text}", indent + INDENT, indent + 2 * INDENT)
    if len(lines) == 1 and len(lines[0]) + 3 <= WIDTH:
        return [lines[0] + '"""']
    return [*lines, indent + '"""']


def _wrap(text: str, first: str, rest: str) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
