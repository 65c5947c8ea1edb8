"""Static overrides: the openstack-helm ``values_overrides`` files a site picks up.

The selection reproduces ``helm osh get-values-overrides`` (openstack-helm's plugin): every
non-empty combination of the features, ordered so that features named earlier win and a
combined file (``gateway-tls.yaml``) follows its parts. Missing files are skipped, as
upstream does, because most combinations have no file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmdeck.chart.source import source_root
from helmdeck.errors import UserError
from helmdeck.site.model import Site
from helmdeck.values.merge import merge_values
from helmdeck.values.paths import format_path, leaf_paths
from helmdeck.values.yamlio import load_values_file

MAX_FEATURES = 12


def candidates(features: list[str] | tuple[str, ...]) -> list[str]:
    """Candidate file names, lowest precedence first."""
    if len(features) > MAX_FEATURES:
        raise UserError(
            f"spec.features: {len(features)} features plus release and distro give "
            f"2^{len(features)} file combinations; use at most {MAX_FEATURES - 2} features"
        )
    rev = list(reversed(features))
    out = []
    for num in range(1, 2 ** len(rev)):
        picked = [rev[i] for i in reversed(range(len(rev))) if num & (1 << i)]
        out.append("-".join(picked) + ".yaml")
    return out


def site_features(site: Site) -> list[str]:
    """Features as upstream passes them: extra features first, then release and distro.

    ``network.backend: ovn`` implies the ``ovn`` feature (upstream CI adds ``ovn.yaml`` to
    every ovn job): its files switch neutron's OVS agents off and configure the ML2 driver,
    which ``network.backend`` alone does not do.
    """
    implied = ["ovn"] if site.spec.network.backend == "ovn" else []
    extra = [*site.spec.features, *(f for f in implied if f not in site.spec.features)]
    return [*extra, site.spec.release, site.spec.distro]


def _override_dirs(root: Path, chart: str) -> list[Path]:
    # The openstack-helm repository keeps them at the top; the reference copy beside each chart.
    return [root / "values_overrides" / chart, root / chart / "values_overrides"]


def static_override_files(site: Site, chart: str) -> list[Path]:
    """The existing override files for ``chart``, in the order they are applied."""
    root = source_root(site)
    dirs = [d for d in _override_dirs(root, chart) if d.is_dir()]
    found = []
    for name in candidates(site_features(site)):
        for d in dirs:
            if (d / name).is_file():
                found.append(d / name)
                break
    return found


def static_overrides(site: Site, chart: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged static overrides and, per leaf path, the file that set it."""

    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for path in static_override_files(site, chart):
        values = load_values_file(path)
        merged = merge_values(merged, values)
        label = f"static: values_overrides/{chart}/{path.name}"
        for parts, _ in leaf_paths(values):
            provenance[format_path(parts)] = label
    live = {format_path(parts) for parts, _ in leaf_paths(merged)}
    return merged, {k: v for k, v in provenance.items() if k in live}
