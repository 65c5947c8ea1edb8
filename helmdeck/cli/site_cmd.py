"""``helmdeck site import|export|show|validate``: the site inventory in and out of the store.

Every command goes through ``SiteService``; ``--app`` picks the application the site is
checked against, as on the override and deploy commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from helmdeck import config
from helmdeck.cli.context import app_in_use, app_option
from helmdeck.cli.output import write_private
from helmdeck.errors import UserError
from helmdeck.inventory import SiteDocument, SiteService, validate_site_file
from helmdeck.store import open_store

_FILE = click.Path(dir_okay=False, path_type=Path)
_REVEAL = click.option("--reveal", is_flag=True,
                       help="Print the site's secrets (the ceph secret UUID) in clear; audited.")


@click.group("site")
def site() -> None:
    """The site inventory (site.yaml): import, export, show, validate."""


@site.command("import")
@click.argument("file", type=_FILE)
@app_option
def import_site(file: Path) -> None:
    """Replace the stored site with FILE, in one transaction."""

    with open_store() as store:
        new = SiteService(store, app=app_in_use(), actor=config.actor()).import_file(file)
    click.echo(f"site {new.metadata.name} imported ({len(new.spec.hosts)} hosts)")


def _refuse_path_as_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``-o`` is a format on every command; an old ``-o FILE`` gets the new spelling."""
    if value not in ("yaml", "json"):
        raise UserError(f"-o {value}: -o is the output format, yaml or json; to write a file, "
                        f"use --out {value}")
    return value


@site.command("export")
@click.option("-o", "--output", "fmt", default="yaml", show_default=True, metavar="yaml|json",
              callback=_refuse_path_as_format, help="Output format.")
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE (0600, replaced atomically) instead of stdout.")
@_REVEAL
def export_site(fmt: str, out: Path | None, reveal: bool) -> None:
    """Print (or write) the stored site in a form that re-imports to the same site.

    A ceph secret UUID prints as <redacted> unless --reveal, and then does not re-import.
    """
    doc = _document(reveal)
    text = _dump(doc.data, fmt)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_private(out, text)
    if doc.redacted:
        click.echo(f"helmdeck: note: {', '.join(doc.redacted)} redacted; export with --reveal "
                   "for a file that re-imports it", err=True)


@site.command("show")
@click.option("-o", "--output", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True, help="Output format.")
@_REVEAL
def show_site(fmt: str, reveal: bool) -> None:
    """Print the stored site with every default filled in."""
    click.echo(_dump(_document(reveal).data, fmt), nl=False)


@site.command("validate")
@click.argument("file", type=_FILE)
@app_option
def validate_site(file: Path) -> None:
    """Check FILE without storing it; every problem is reported as FILE:LINE: path: message."""

    checked = validate_site_file(file, app=app_in_use())
    click.echo(f"{file}: valid site {checked.metadata.name} ({len(checked.spec.hosts)} hosts)")


def _document(reveal: bool) -> SiteDocument:
    with open_store() as store:
        return SiteService(store, app=app_in_use(), actor=config.actor()).document(reveal=reveal)


def _dump(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
