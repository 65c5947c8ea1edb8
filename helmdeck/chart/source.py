"""Where a chart's directory is, whatever ``spec.charts.source`` says, and what it ships with.

A local path is used as is. Helm repositories and OCI registries are pulled once, through the
Helm adapter, into ``<HELMDECK_HOME>/charts/<source>/<chart>``; later runs reuse the copy, so
plan and render stay offline and fast, and the ``values_overrides`` a pulled chart ships are
read from there like a local chart's. Delete that directory to pull again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from helmdeck import config
from helmdeck.errors import UserError
from helmdeck.helm import pull_chart
from helmdeck.site.model import Site
from helmdeck.values.yamlio import load_values_file


def pulled_charts_dir(site: Site) -> Path:
    """The cache directory of the site's remote chart source (named after the source URL)."""
    src = site.spec.charts.source
    url = src.oci or src.repo or ""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:60]
    return config.home() / "charts" / f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def source_root(site: Site) -> Path:
    """The local directory holding the site's charts (the pull cache for remote sources)."""
    path = site.spec.charts.source.path
    return Path(path).expanduser() if path is not None else pulled_charts_dir(site)


def missing_source(site: Site) -> str | None:
    """What is wrong with a local chart source that is not a directory (None if nothing)."""
    path = site.spec.charts.source.path
    if path is not None and not Path(path).expanduser().is_dir():
        return (f"directory {Path(path).expanduser()} does not exist; point it at an "
                "openstack-helm checkout or a directory of unpacked charts")
    return None


def check_source(site: Site) -> None:
    """Refuse a local chart source that is not a directory, before anything reads it."""
    problem = missing_source(site)
    if problem is not None:
        raise UserError(f"spec.charts.source.path: {problem}")


def locate(site: Site, chart: str) -> Path:
    """The directory of ``chart`` for this site (a directory with Chart.yaml).

    Repository and OCI charts are pulled on first use; a local chart must be there.
    """
    src = site.spec.charts.source
    root = source_root(site)
    target = root / chart
    if (target / "Chart.yaml").is_file():
        return target
    if src.path is None:
        return pull_chart(chart, dest=root, repo_url=src.repo, oci=src.oci)
    check_source(site)
    raise UserError(
        f"chart {chart}: no chart at {target} (Chart.yaml missing); "
        f"put the {chart} chart there or disable it in spec.charts.disabled"
    )


def chart_defaults(chart_dir: Path) -> dict[str, Any]:
    """The chart's values.yaml read exactly as Helm reads it ({} when the chart has none)."""
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
