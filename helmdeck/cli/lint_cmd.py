"""``helmdeck lint``: check charts against the openstack-helm values conventions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from helmdeck.lint import RULES, Severity, lint_paths
from helmdeck.lint.report import FORMATS

SEVERITIES = ("error", "warning", "info")


def _list_rules() -> None:

    for r in RULES.values():
        click.echo(f"{r.id} {r.severity.label:<7} {r.name}: {r.rationale} Fix: {r.fix}")


@click.command("lint")
@click.argument("chart_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse exists.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rule settings for every chart (default: nearest .helmdeck-lint.yaml).",
)
@click.option("--list-rules", is_flag=True, help="Describe every rule and exit.")
def lint(
    chart_dirs: tuple[Path, ...], fmt: str, fail_on: str, config: Path | None, list_rules: bool
) -> None:
    """Check CHART_DIR... against the chart conventions (rules OSH000-OSH013).

    Prints `file:line: RULE message` per finding; exits 1 when a finding at or above
    --fail-on exists, 0 otherwise.
    """

    if list_rules:
        _list_rules()
        return
    if not chart_dirs:
        raise click.UsageError("give at least one CHART_DIR")
    findings, skipped = lint_paths(chart_dirs, config)
    for path in skipped:
        click.echo(f"helmdeck lint: skipping {path}: not a chart directory", err=True)
    click.echo(FORMATS[fmt](findings), nl=False)
    threshold = Severity.parse(fail_on)
    if any(f.severity >= threshold for f in findings):
        sys.exit(1)
