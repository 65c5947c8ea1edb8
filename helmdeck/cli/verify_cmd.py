"""``helmdeck verify``: will the cloud come up? Checked before anything is installed.

The enabled releases are rendered as ``plan`` renders them and checked by
``helmdeck.verify`` against the inventory's hosts as ``nodes apply`` labels and taints them:
placement, same-node and service dependencies, storage, references. Exit 1 when there is an
error (2 for a mistake in the command or the inputs); warnings alone exit 0.
"""

from __future__ import annotations

import sys

import click

from helmdeck.cli.context import app_option, application, local_service
from helmdeck.cli.output import emit
from helmdeck.deploy.verification import verify_application
from helmdeck.verify import to_json, to_sarif, to_table


@click.command("verify")
@click.argument("charts", nargs=-1, metavar="[CHART]...")
@click.option("-o", "--output", type=click.Choice(["table", "json", "sarif"]), default="table",
              show_default=True, help="table for people, json for scripts, sarif (2.1.0) for "
                                      "code-scanning tools.")
@app_option
def verify(charts: tuple[str, ...], output: str) -> None:
    """Check that every pod of the enabled charts (or of CHART...) can run on the site's
    hosts, that what they wait for and mount exists, and that the API server accepts their
    names; one finding per problem, with its rule, object, reason and fix.

    The whole application is rendered even when CHART... narrows the report: whether a
    dependency or a Secret exists depends on the other charts.
    """
    service = local_service(application())
    with service.store:
        result = verify_application(service, charts)
    findings = list(result.findings)
    if output == "json":
        emit(to_json(findings), "json")
    elif output == "sarif":
        emit(to_sarif(findings), "json")
    else:
        click.echo(to_table(findings), nl=False)
        for chart in result.left_out:
            if not charts or chart.chart in charts:
                click.echo(f"verify: {chart.chart} is not deployed on this site: {chart.why}")
    if result.errors():
        sys.exit(1)
