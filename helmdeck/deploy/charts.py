"""Where a chart's directory is, whatever ``spec.charts.source`` says.

A local path is used as is. Helm repositories and OCI registries are pulled once, through the
Helm adapter, into ``<HELMDECK_HOME>/charts/<source>/<chart>``; later runs reuse the copy, so
plan and render stay offline and fast. Delete that directory to pull again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from helmdeck.site.model import Site


def pulled_charts_dir(site: Site) -> Path:
    """The cache directory of the site's remote chart source (named after the source URL)."""
    from helmdeck import config

    src = site.spec.charts.source
    url = src.oci or src.repo or ""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:60]
    return config.home() / "charts" / f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def resolve_chart_dir(site: Site, chart: str) -> Path:
    """The directory of ``chart`` for this site, pulling it first for repo/OCI sources."""
    src = site.spec.charts.source
    if src.path is not None:
        from helmdeck.chart.source import chart_dir

        return chart_dir(site, chart)
    cache = pulled_charts_dir(site)
    target = cache / chart
    if (target / "Chart.yaml").is_file():
        return target
    from helmdeck.deploy.helm import pull_chart

    return pull_chart(chart, dest=cache, repo_url=src.repo, oci=src.oci)
