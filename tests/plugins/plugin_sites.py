"""Sites, snapshots and chart values for the plugin tests (no database involved)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from support import OSH_CHARTS, REFERENCE_CHARTS

from helmdeck.plugin import ChartRef, SiteSnapshot, SystemOverrides
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.model import Site

CHARTS = OSH_CHARTS
REGISTRY = "registry.example.com:5000"
DOMAIN = "cloud.example.com"


def reference_dir() -> Path:
    return REFERENCE_CHARTS



def build_site(
    *,
    controllers: int = 3,
    computes: int = 4,
    network_hosts: int = 2,
    storage: str = "ceph",
    tls: bool = True,
    registry: str | None = REGISTRY,
    mode: str = "production",
    tainted_computes: int = 1,
    source: str = "charts",
    **spec: Any,
) -> Site:
    """A rich site: zones, a tainted compute, ceph, TLS and a mirror unless told otherwise."""
    hosts: list[dict[str, Any]] = []
    for i in range(controllers):
        hosts.append({"name": f"ctl-{i}", "roles": ["controller"], "zone": f"az{i % 2 + 1}"})
    for i in range(network_hosts):
        hosts.append({"name": f"net-{i}", "roles": ["network"], "zone": f"az{i % 2 + 1}"})
    for i in range(computes):
        h: dict[str, Any] = {"name": f"cmp-{i}", "roles": ["compute"], "zone": f"az{i % 2 + 1}"}
        if i >= computes - tainted_computes:
            h["taints"] = [{"key": "species", "value": "gpu", "effect": "NoSchedule"}]
        hosts.append(h)
    storage_spec: dict[str, Any] = {"backend": storage}
    if storage == "ceph":
        storage_spec["ceph"] = {"monitors": ["10.0.0.1:6789", "10.0.0.2:6789", "10.0.0.3:6789"]}
    doc = {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": "lab1"},
        "spec": {
            "public_domain": DOMAIN,
            "tls": {"enabled": tls},
            "registry": registry,
            "mode": mode,
            "charts": {"source": {"path": source}},
            "storage": storage_spec,
            "hosts": hosts,
            **spec,
        },
    }
    return Site.model_validate_json(json.dumps(doc))


def fake_secrets(names: set[str]) -> dict[str, str]:
    """Distinct, stable stand-ins shaped like the store's (UUIDs for ``*_uuid``)."""
    out = {}
    for n in sorted(names):
        digest = hashlib.sha256(n.encode()).hexdigest()
        out[n] = str(uuid.UUID(digest[:32])) if n.endswith("_uuid") else "S" + digest[:31]
    return out


def snapshot(site: Site, namespace: str = "openstack") -> SiteSnapshot:
    plugins = load_plugins()
    enabled = frozenset(c for c in CHARTS if c not in site.spec.charts.disabled)
    secrets = fake_secrets(required_secrets(plugins, enabled))
    refs = {c: ChartRef(c, c, namespace) for c in enabled}
    return SiteSnapshot(site=site, secrets=secrets, enabled=enabled, releases=refs,
                        catalog=plugins.catalog)


def chart_values_from(chart_dir: Path, site: Site) -> tuple[dict[str, Any], dict[str, Any]]:
    """(static overrides, values.yaml coalesced with them) for a chart directory."""
    from helmdeck.chart import chart_defaults, static_overrides
    from helmdeck.values.merge import coalesce

    static, _ = static_overrides(site, chart_dir.name)
    return static, coalesce(chart_defaults(chart_dir), static)


def overrides_for(
    chart: str, site: Site, chart_values: dict[str, Any], snap: SiteSnapshot | None = None
) -> SystemOverrides:
    snap = snap or snapshot(site)
    return system_overrides(load_plugins()[chart], snap, snap.releases[chart], chart_values)


def leaves(
    values: Any, prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    """(path, value) of every leaf; lists and empty maps are leaves, as in Helm's paths."""
    if isinstance(values, dict) and values:
        return [item for k, v in values.items() for item in leaves(v, (*prefix, k))]
    return [(prefix, values)]


def reference_values(chart: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((reference_dir() / chart / "values.yaml").read_text())  # type: ignore[no-any-return]


def chart_values(chart: str) -> dict[str, Any]:
    """What plugins receive: the real values.yaml as Helm coalesces it (nulls dropped)."""
    from helmdeck.chart import chart_defaults
    from helmdeck.values.merge import coalesce

    return coalesce(chart_defaults(reference_dir() / chart), {})
