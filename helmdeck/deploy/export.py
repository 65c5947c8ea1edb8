"""``helmdeck export``: the whole application for a GitOps engine to reconcile.

The per-release documents come from ``helmdeck.overrides.formats`` (the same ones
``helm-override-show --format`` prints); this module adds what only the whole application
has: the ordering (dependsOn / needs / chart groups per level) and one file set per format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmdeck.deploy.desired import DesiredRelease
from helmdeck.errors import UserError
from helmdeck.fileio import write_atomic
from helmdeck.overrides import formats
from helmdeck.overrides.redact import redact
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values.yamlio import dump_yaml

EXPORT_FORMATS = ("fluxcd", "argocd", "helmfile", "armada")


def export_files(
    desired: list[DesiredRelease], fmt: str, *, levels: list[list[str]], app_name: str,
    reveal: bool, paths: SecretPaths,
) -> dict[str, str]:
    """File name -> YAML text of the export; values redacted unless ``reveal``."""

    if fmt not in EXPORT_FORMATS:
        raise UserError(f"--format {fmt}: unknown; use one of {', '.join(EXPORT_FORMATS)}")
    refs = {d.chart: (d.namespace, d.release) for d in desired}
    entries = [
        (d, formats.target_of(d, refs), d.values if reveal else redact(d.values, paths))
        for d in desired
    ]
    if fmt == "helmfile":
        releases = [formats.helmfile_release(t, v) for _, t, v in entries]
        return {"helmfile.yaml": dump_yaml({"releases": releases})}
    if fmt == "armada":
        docs = "".join(f"---\n{formats.armada(t, v)}" for _, t, v in entries)
        return {"armada.yaml": docs + _armada_groups(desired, levels, app_name)}
    files = {f"{t.release}.yaml": formats.render(fmt, t, v) for _, t, v in entries}
    files["kustomization.yaml"] = dump_yaml({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    })
    return files


def _armada_groups(desired: list[DesiredRelease], levels: list[list[str]], name: str) -> str:
    """One chart group per dependency level (parallel inside), sequenced by the manifest."""

    release_of = {d.chart: d.release for d in desired}
    groups: list[dict[str, Any]] = []
    for n, level in enumerate(levels):
        members = [release_of[c] for c in level if c in release_of]
        if members:
            groups.append({
                "schema": "armada/ChartGroup/v1",
                "metadata": {"schema": "metadata/Document/v1", "name": f"level-{n}"},
                "data": {"description": f"dependency level {n}", "sequenced": False,
                         "chart_group": members},
            })
    manifest = {
        "schema": "armada/Manifest/v1",
        "metadata": {"schema": "metadata/Document/v1", "name": name},
        "data": {"release_prefix": name,
                 "chart_groups": [g["metadata"]["name"] for g in groups]},
    }
    return "".join(f"---\n{dump_yaml(doc)}" for doc in [*groups, manifest])


def write_export(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically, 0600 (with --reveal they hold the site's secrets)."""
    written = []
    for name, text in sorted(files.items()):
        write_atomic(out / name, text, parents=True)
        written.append(out / name)
    return written
