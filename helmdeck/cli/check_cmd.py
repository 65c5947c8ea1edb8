"""``helmdeck check``: do the enabled charts' combined overrides agree where they must?"""

from __future__ import annotations

import sys

import click

from helmdeck.cli.context import app_option, get_service
from helmdeck.cli.output import emit, table


@click.command("check")
@app_option
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def check(fmt: str) -> None:
    """Compare shared values (admin credentials, public hosts, cluster domain, metadata
    secret, ceph client, network backend) across the enabled charts; exit 1 on a mismatch.

    Secret values are never printed: a secret mismatch reads "differs".
    """
    service = get_service()
    found = service.check()
    if fmt == "json":
        emit([{"rule": i.rule, "message": i.message,
               "a": {"chart": i.a[0], "path": i.a[1]},
               "b": {"chart": i.b[0], "path": i.b[1]}} for i in found], "json")
    elif found:
        table(("Rule", "Chart", "Key", "Disagrees with", "Message"),
              [(i.rule, i.a[0], i.a[1], f"{i.b[0]} {i.b[1]}", i.message) for i in found])
    else:
        enabled = sum(1 for c in service.list_charts() if c.enabled)
        click.echo(f"{enabled} charts agree on every shared value")
    if found:
        sys.exit(1)
