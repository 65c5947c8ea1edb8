"""Static overrides: the openstack-helm ``values_overrides`` files a site picks up.

The selection reproduces openstack-helm's ``get-values-overrides``: every non-empty
combination of the features, ordered so that features named earlier win and a combined
file (``gateway-tls.yaml``) follows its parts. Missing files are skipped, as upstream does,
because most combinations have no file. That makes a misspelt name silently select nothing
(``features: [tsl]`` drops TLS), so ``source_problems`` checks the names against the files
the source has when a site is validated.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from helmdeck.chart.source import missing_source, source_root
from helmdeck.errors import UserError
from helmdeck.site.model import OVERRIDE_NAME_PATTERN, Site
from helmdeck.values import tree
from helmdeck.values.located import Problem
from helmdeck.values.merge import merge_values
from helmdeck.values.paths import format_path
from helmdeck.values.yamlio import load_values_file

MAX_FEATURES = 12
_NAME = re.compile(OVERRIDE_NAME_PATTERN)


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
    names = [*extra, site.spec.release, site.spec.distro]
    for name in names:  # the site model checks this; a site from elsewhere may not have been
        if not _NAME.fullmatch(name):
            raise UserError(f"spec: {name!r} is not a values_overrides name (letters, digits, "
                            "'.', '_', '-'); fix spec.release, spec.distro or spec.features")
    return names


def _override_dirs(root: Path, chart: str) -> list[Path]:
    # The openstack-helm repository keeps them at the top; the reference copy beside each chart.
    return [root / "values_overrides" / chart, root / chart / "values_overrides"]


def _override_files(root: Path) -> list[Path]:
    """Every values_overrides file of every chart under ``root`` (both layouts)."""
    return sorted({*root.glob("values_overrides/*/*.yaml"),
                   *root.glob("*/values_overrides/*.yaml")})


def _names_in(stem: str) -> list[str]:
    """The names a file name is made of, and the hyphenated runs of them (features such as
    ``tls-offloading`` have hyphens too): ``a-b-c`` gives a, b, c, a-b, b-c, a-b-c."""
    parts = stem.split("-")
    return ["-".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1,
                                                                           len(parts) + 1)]


def _unknown(what: str, name: str, known: set[str], root: Path) -> str:
    alike = sorted(k for k in known if k.count("-") == name.count("-"))  # no combinations
    close = difflib.get_close_matches(name, alike, n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else (
        "check the spelling against the file names there")
    return f"{what} {name}: no values_overrides file under {root} is for it; {hint}"


def source_problems(site: Site) -> list[Problem]:
    """What the site's chart source says is wrong with the site, located in ``site.yaml``.

    A local source must be a directory, and the release, the distro and each feature must
    be part of the name of at least one values_overrides file there (of any chart): a name
    no file has selects nothing, so it is a typo or a release the charts do not support. A
    source without values_overrides at all (plain charts) has nothing to check against; a
    remote source is checked when its charts are pulled, not here.
    """
    path = site.spec.charts.source.path
    if path is None:
        return []
    missing = missing_source(site)
    if missing is not None:
        return [(("spec", "charts", "source", "path"), missing)]
    root = Path(path).expanduser()
    known = {name for f in _override_files(root) for name in _names_in(f.stem)}
    if not known:
        return []
    spec = site.spec
    given = [(("spec", "release"), "release", spec.release),
             (("spec", "distro"), "distro", spec.distro),
             *((("spec", "features", i), "feature", f) for i, f in enumerate(spec.features))]
    return [(loc, _unknown(what, name, known, root))
            for loc, what, name in given if name not in known]


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
        for parts, _ in tree.leaves(values):
            provenance[format_path(parts)] = label
    live = {format_path(parts) for parts, _ in tree.leaves(merged)}
    return merged, {k: v for k, v in provenance.items() if k in live}
