"""examples/site.yaml is the inventory the README's main job uses: keep it what it claims."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from helmdeck.site.model import Role, Site

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


def test_example_site_shape() -> None:
    site = Site.model_validate_json(json.dumps(yaml.safe_load(EXAMPLE.read_text())))
    spec = site.spec
    assert [len(spec.hosts_with(r)) for r in (Role.CONTROLLER, Role.COMPUTE, Role.NETWORK)] == [
        3,
        4,
        2,
    ]
    assert spec.storage.backend == "ceph" and len(spec.storage.ceph.monitors) == 3
    assert spec.tls.enabled and spec.registry == "registry.example.com:5000"
    assert [h.name for h in spec.hosts if h.taints] == ["cmp-3"]
    assert {h.zone for h in spec.hosts} == {"az1", "az2"}
    assert spec.charts.source.path == "charts"
