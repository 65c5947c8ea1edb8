"""Shared output for commands: Rich tables shaped like StarlingX's, ``-o json|yaml``, files.

Cell text is passed to Rich as ``Text``, never as markup, so a value such as ``[a]`` or
``[bold]`` prints as itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from helmdeck.errors import UserError
from helmdeck.fileio import write_atomic
from helmdeck.values.yamlio import dump_json, dump_yaml

OUTPUT_CHOICES = ("table", "json", "yaml")
F = TypeVar("F", bound=Callable[..., Any])


def output_option(default: str = "table") -> Callable[[F], F]:
    """The ``-o table|json|yaml`` option every listing command takes."""
    decorator: Callable[[F], F] = click.option(
        "-o", "--output", "output", type=click.Choice(OUTPUT_CHOICES), default=default,
        show_default=True, help="Output format.",
    )
    return decorator


def emit(data: Any, fmt: str) -> None:
    """Print ``data`` as deterministic JSON or YAML."""

    click.echo(dump_json(data) if fmt == "json" else dump_yaml(data), nl=False)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, lines: bool = False) -> None:
    """A bordered table, one row per item; wide (not wrapped) when output is not a terminal.

    ``lines`` rules off every row, for cells that span several lines (YAML, diffs).
    """

    console = Console(soft_wrap=False, width=None if _is_tty() else 400, highlight=False)
    grid = Table(box=box.ASCII, show_lines=lines)
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(_cell(v)) for v in row))
    console.print(grid)


def properties(pairs: Sequence[tuple[str, Any]]) -> None:
    """StarlingX's show layout: a Property | Value table."""
    table(("Property", "Value"), [(k, v) for k, v in pairs], lines=True)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.rstrip("\n")
    return str(value)


def _is_tty() -> bool:
    return sys.stdout.isatty()


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to the operator's ``path`` through the one writer (0600, atomic, never
    through a symlink), with a one-line error naming the path when it cannot be written.

    The path is the operator's: a missing directory is their mistake, not created silently.
    """

    target = path.expanduser()
    if not target.parent.is_dir():
        raise UserError(f"{path}: directory {target.parent} does not exist; create it first")
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror}); give a writable file path") \
            from None
