"""The built-in plugins' overrides for examples/site.yaml apply to the example charts: every
key they set is declared in the chart's values.yaml (or read by an endpoint/config lookup
with a default) and every chart renders with them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from helmdeck.helm import render
from helmdeck.plugin import ChartRef, SiteSnapshot
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.load import load_site_file
from helmdeck.values import tree
from helmdeck.values.paths import Path as ValuesPath
from helmdeck.values.paths import format_path

REPO = Path(__file__).resolve().parents[2]
CHARTS_DIR = REPO / "examples" / "charts"
# Maps the templates read key by key with a default: declaring every possible key is not
# the layout (openstack-helm does not either).
FREE_ENDPOINT_MAPS = {"auth", "host_fqdn_override", "scheme", "port", "namespace"}


def _declared(values: dict[str, Any], path: ValuesPath) -> bool:
    # helm-toolkit's per-host root overrides: overrides.<daemonset>.<labels|hosts>.<rule>.values
    # holds the chart's own keys, declared where the chart declares them.
    if path[0] == "overrides" and len(path) > 5 and path[4] == "values":
        return _declared(values, path[5:])
    if path[0] == "conf" or (
        path[0] == "endpoints" and len(path) > 2 and path[2] in FREE_ENDPOINT_MAPS
    ):
        return True
    return tree.has(values, path)


@pytest.fixture(scope="module")
def snapshot() -> SiteSnapshot:
    site = load_site_file(REPO / "examples" / "site.yaml")
    plugins = load_plugins()
    enabled = frozenset(p.parent.name for p in CHARTS_DIR.glob("*/values.yaml"))
    secrets = {}
    for name in sorted(required_secrets(plugins, enabled)):
        digest = hashlib.sha256(name.encode()).hexdigest()
        secrets[name] = (
            f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        )
    refs = {c: ChartRef(c, c, "openstack") for c in enabled}
    return SiteSnapshot(site=site, secrets=secrets, enabled=enabled, releases=refs,
                        catalog=plugins.catalog)


@pytest.mark.parametrize("chart", sorted(p.parent.name for p in CHARTS_DIR.glob("*/values.yaml")))
def test_plugin_overrides_fit_and_render(chart: str, snapshot: SiteSnapshot) -> None:
    values = yaml.safe_load((CHARTS_DIR / chart / "values.yaml").read_text())
    generated = system_overrides(
        load_plugins()[chart], snapshot, snapshot.releases[chart], values
    ).values
    undeclared = [p for p, _ in tree.leaves(generated) if not _declared(values, p)]
    assert [format_path(p) for p in undeclared] == []
    rendered = render(CHARTS_DIR / chart, generated, release=chart, namespace="openstack")
    text = "".join(rendered.values())
    assert "registry.example.com:5000/" in text  # the site's mirror reached the images
    assert "quay.io/" not in text and "docker.io/" not in text
