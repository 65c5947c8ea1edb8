"""Chart directories from ``spec.charts.source``, and what a chart ships with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from helmdeck.errors import UserError
from helmdeck.site.model import Site


def source_root(site: Site) -> Path:
    """The local directory holding the charts; repo and OCI sources are not pulled yet."""
    src = site.spec.charts.source
    if src.path is None:
        kind = "repo" if src.repo is not None else "oci"
        raise UserError(
            f"spec.charts.source.{kind}: not supported yet; "
            "unpack the charts into a directory and set spec.charts.source.path"
        )
    return Path(src.path).expanduser()


def chart_dir(site: Site, chart: str) -> Path:
    """``<source.path>/<chart>``, which must be a chart (a directory with Chart.yaml)."""
    root = source_root(site)
    if not root.is_dir():
        raise UserError(
            f"spec.charts.source.path: directory {root} does not exist; "
            "point it at an openstack-helm checkout or a directory of unpacked charts"
        )
    path = root / chart
    if not (path / "Chart.yaml").is_file():
        raise UserError(
            f"chart {chart}: no chart at {path} (Chart.yaml missing); "
            f"put the {chart} chart there or disable it in spec.charts.disabled"
        )
    return path


def chart_defaults(chart_dir: Path) -> dict[str, Any]:
    """The chart's values.yaml read exactly as Helm reads it ({} when the chart has none)."""
    from helmdeck.values.yamlio import load_values_file

    path = chart_dir / "values.yaml"
    return load_values_file(path) if path.is_file() else {}


def chart_version(chart_dir: Path) -> str:
    """``version`` from Chart.yaml: part of a release's desired state."""
    path = chart_dir / "Chart.yaml"
    try:
        meta = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read chart metadata: {exc}".replace("\n", " ")) from None
    version = meta.get("version") if isinstance(meta, dict) else None
    if version is None:
        raise UserError(f"{path}: no `version`; every chart needs one")
    return str(version)
