"""``helmdeck endpoints``: the keystone catalog the enabled charts will register."""

from __future__ import annotations

import click

from helmdeck.cli.context import app_option, get_service
from helmdeck.cli.output import emit, table
from helmdeck.endpoints.catalog import INTERFACES


@click.command("endpoints")
@app_option
@click.option("--chart", metavar="CHART", help="Only the services this chart registers.")
@click.option("--interface", type=click.Choice(INTERFACES), help="Only this interface.")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def endpoints(chart: str | None, interface: str | None, fmt: str) -> None:
    """Service type, name, interface and URL of every catalog entry, computed with
    helm-toolkit's endpoint rules from each chart's effective values."""

    entries = get_service().endpoints(chart, (interface,) if interface else INTERFACES)
    if fmt == "json":
        emit([e.as_dict() for e in entries], "json")
        return
    table(("Chart", "Region", "Service Type", "Service Name", "Interface", "URL"),
          [(e.chart, e.region, e.service_type, e.service_name, e.interface, e.url)
           for e in entries])
