"""Printing: JSON documents for scripts, rich tables for people.

Tables are plain (no colour, no markup, wide enough not to wrap) when stdout
is not a terminal, so they can be piped and diffed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from seatledger.domain.dates import iso_instant

# Wide enough for a seats table with long holder names when piped to a file.
_PIPE_WIDTH = 240


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def console() -> Console:
    """A console on the current stdout; plain and wide when it is not a terminal."""
    out = sys.stdout
    terminal = out.isatty()
    return Console(
        file=out,
        width=None if terminal else _PIPE_WIDTH,
        no_color=not terminal,
        highlight=False,
        emoji=False,
        markup=False,
    )


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def cell(value: object) -> Text:
    """A table cell: dates ISO, instants ISO UTC, None as '-', never rich markup."""
    if value is None:
        return Text("-")
    if isinstance(value, datetime):
        return Text(iso_instant(value))
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, frozenset | set):
        return Text(";".join(sorted(str(v) for v in value)) or "-")
    return Text(str(value))


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    if title is not None:
        say(title)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    console().print(table)


def say(text: str) -> None:
    click.echo(text)
