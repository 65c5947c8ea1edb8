"""``helmdeck site import|export|show|validate``: the site inventory in and out of the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from helmdeck import config
from helmdeck.chart import source_problems
from helmdeck.errors import NotFoundError
from helmdeck.fileio import write_atomic
from helmdeck.site.load import load_site_file, with_absolute_source
from helmdeck.store import audit, open_store, sites

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group("site")
def site() -> None:
    """The site inventory (site.yaml): import, export, show, validate."""


@site.command("import")
@click.argument("file", type=_FILE)
def import_site(file: Path) -> None:
    """Replace the stored site with FILE, in one transaction."""

    new = with_absolute_source(load_site_file(file, checks=[source_problems]),
                               file.resolve().parent)
    with open_store() as store, store.transaction() as s:
        sites.save_site(s, new)
        audit.audit(
            s,
            actor=config.actor(),
            action="site.import",
            target=new.metadata.name,
            detail=f"{len(new.spec.hosts)} hosts from {file.resolve()}",
        )
    click.echo(f"site {new.metadata.name} imported ({len(new.spec.hosts)} hosts)")


@site.command("export")
@click.option("-o", "--output", type=_FILE, help="Write to this file instead of stdout.")
def export_site(output: Path | None) -> None:
    """Print (or write) the stored site as YAML that re-imports to the same site."""
    text = _dump_yaml(_stored_site())
    if output is None:
        click.echo(text, nl=False)
    else:

        write_atomic(output.resolve(), text, mode=None)


@site.command("show")
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)
def show_site(fmt: str) -> None:
    """Print the stored site with every default filled in."""
    data = _stored_site()
    click.echo(json.dumps(data, indent=2) if fmt == "json" else _dump_yaml(data), nl=fmt == "json")


@site.command("validate")
@click.argument("file", type=_FILE)
def validate_site(file: Path) -> None:
    """Check FILE without storing it; every problem is reported as FILE:LINE: path: message."""

    checked = load_site_file(file, checks=[source_problems])
    click.echo(f"{file}: valid site {checked.metadata.name} ({len(checked.spec.hosts)} hosts)")


def _stored_site() -> dict[str, Any]:

    with open_store() as store, store.transaction() as s:
        stored = sites.load_site(s)
    if stored is None:
        raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
    return stored.model_dump(mode="json")


def _dump_yaml(data: dict[str, Any]) -> str:

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


