"""``helmdeck patches build|attach``: ship hot-fix diffs to a chart's pods as a ConfigMap."""

from __future__ import annotations

from pathlib import Path

import click

from helmdeck.cli.context import get_service
from helmdeck.errors import UserError
from helmdeck.fileio import write_atomic
from helmdeck.overrides import UpdateRequest
from helmdeck.patches import MOUNT_PATH, attach_overrides, build_configmap, load_patches
from helmdeck.patches.build import check_applies
from helmdeck.values.yamlio import dump_json, dump_yaml

FORMATS = {"yaml": dump_yaml, "json": dump_json}


@click.group("patches")
def patches() -> None:
    """Build a ConfigMap of hot-fix diffs and mount it into a chart's pods."""


@patches.command("build")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--chart", required=True, metavar="CHART", help="Chart the diffs are for.")
@click.option("--against", type=click.Path(path_type=Path), metavar="TREE",
              help="Also check that each diff applies to TREE (patch --dry-run -p1).")
@click.option("-o", "--output", "fmt", default="yaml", show_default=True, metavar="yaml|json",
              help="Output format of the manifest.")
@click.option("--out", "out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the manifest to FILE instead of stdout.")
def build(directory: Path, chart: str, against: Path | None, fmt: str, out: Path | None) -> None:
    """Validate every *.patch/*.diff in DIRECTORY and print the `<chart>-patches` ConfigMap."""

    if fmt not in FORMATS:
        raise UserError(f"-o {fmt}: -o is the output format, yaml or json; to write the "
                        f"manifest to a file use --out {fmt}")
    if out is not None and not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
    diffs = load_patches(directory)
    if against is not None:
        check_applies(directory, diffs, against)
    text = FORMATS[fmt](build_configmap(chart, diffs))
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
        click.echo(f"{out}: ConfigMap {chart}-patches with {len(diffs)} diffs", err=True)


@patches.command("attach")
@click.argument("chart")
@click.argument("namespace")
@click.option("--configmap", required=True, metavar="NAME", help="The patches ConfigMap.")
@click.option("--pod", "pods", multiple=True, metavar="POD",
              help="Only this pod.mounts key (repeatable; default: every long-running pod).")
@click.option("--dry-run", is_flag=True, help="Print the overrides without storing them.")
def attach(chart: str, namespace: str, configmap: str, pods: tuple[str, ...],
           dry_run: bool) -> None:
    """Store user overrides mounting the ConfigMap into CHART's pods (pod.mounts)."""

    service = get_service()
    overrides = attach_overrides(chart, service.effective(chart, namespace), configmap, pods)
    text = dump_yaml(overrides)
    if dry_run:
        click.echo(text, nl=False)
        return
    version = service.update(chart, namespace, UpdateRequest.of(flag="reuse", files=[text])).version
    mounted = ", ".join(sorted(overrides["pod"]["mounts"]))
    click.echo(f"{chart} {namespace}: {configmap} mounted at {MOUNT_PATH} in {mounted} "
               f"(user overrides version {version})")
