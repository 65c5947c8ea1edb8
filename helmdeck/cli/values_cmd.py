"""``helmdeck values effective`` and ``helmdeck chunk``: Helm's value rules on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from helmdeck.values.merge import coalesce
from helmdeck.values.options import ValueOptions, merge_value_options
from helmdeck.values.sections import chunk as write_chunks
from helmdeck.values.yamlio import dump_json, dump_yaml, load_values_file


@click.group()
def values() -> None:
    """Compute values exactly as Helm does."""


@values.command()
@click.option("--chart-values", "chart_values", required=True, metavar="VALUES.yaml|CHART_DIR",
              help="The chart's defaults: its values.yaml, or the chart directory.")
@click.option("-f", "--values", "files", multiple=True, metavar="FILE[:section]",
              help="Values file (or one section of it); later files win.")
@click.option("--set", "set_", multiple=True, metavar="E", help="key=value[,key=value].")
@click.option("--set-string", multiple=True, metavar="E", help="Like --set, values stay strings.")
@click.option("--set-json", multiple=True, metavar="E", help="key=JSON, or a JSON object.")
@click.option("--set-literal", multiple=True, metavar="E", help="key=value taken verbatim.")
@click.option("--set-file", multiple=True, metavar="K=PATH", help="key=path; value is the file.")
@click.option("-o", "--output", type=click.Choice(["json", "yaml"]), default="yaml",
              show_default=True)
def effective(chart_values: str, files: tuple[str, ...], set_: tuple[str, ...],
              set_string: tuple[str, ...], set_json: tuple[str, ...],
              set_literal: tuple[str, ...], set_file: tuple[str, ...], output: str) -> None:
    """Print the values a chart's templates would see (.Values), computed like Helm."""

    defaults_path = Path(chart_values)
    if defaults_path.is_dir():
        defaults_path = defaults_path / "values.yaml"
        defaults = load_values_file(defaults_path) if defaults_path.exists() else {}
    else:
        defaults = load_values_file(defaults_path)
    overrides = merge_value_options(ValueOptions(
        values=list(files), set=list(set_), set_string=list(set_string),
        set_json=list(set_json), set_file=list(set_file), set_literal=list(set_literal),
    ))
    result = coalesce(defaults, overrides)
    click.echo(dump_json(result) if output == "json" else dump_yaml(result), nl=False)


@click.command()
@click.argument("environment", metavar="ENVIRONMENT.yaml")
@click.option("--out", "out_dir", required=True, metavar="DIR",
              help="Directory for the <section>.yaml files (created if missing).")
def chunk(environment: str, out_dir: str) -> None:
    """Split an environment file into one values file per top-level section."""

    for path in write_chunks(environment, out_dir):
        click.echo(str(path))
