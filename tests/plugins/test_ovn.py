"""The ovn plugin: placement per osh-conventions §6, Raft replicas, per-component tolerations,
the image mirror, and (locally) every key it sets against the real ovn chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from plugin_sites import REGISTRY, build_site, fake_secrets, leaves
from support import OSH_CHECKOUT
from test_keycheck import _declared, _free

from helmdeck.plugin import ChartRef, SiteSnapshot
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.model import Site

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "charts" / "ovn"
REAL = OSH_CHECKOUT / "ovn"


def ovn_overrides(site: Site, chart_dir: Path = EXAMPLE) -> dict[str, Any]:
    from helmdeck.chart import chart_defaults
    from helmdeck.values.merge import coalesce

    plugins = load_plugins()
    enabled = frozenset({"openvswitch", "ovn", "neutron", "nova", "libvirt"})
    snap = SiteSnapshot(
        site=site,
        secrets=fake_secrets(required_secrets(plugins, enabled)),
        enabled=enabled,
        releases={c: ChartRef(c, c, "openstack") for c in enabled},
        catalog=plugins.catalog,
    )
    values = coalesce(chart_defaults(chart_dir), {})
    return system_overrides(plugins["ovn"], snap, snap.releases["ovn"], values).values


def selectors(out: dict[str, Any]) -> dict[str, str]:
    return {c: v["node_selector_key"] for c, v in out["labels"].items()}


def test_databases_and_northd_on_network_hosts_controller_beside_ovs() -> None:
    out = ovn_overrides(build_site(network={"backend": "ovn"}))
    assert selectors(out) == {
        "ovn_ovsdb_nb": "openstack-network-node",
        "ovn_ovsdb_sb": "openstack-network-node",
        "ovn_northd": "openstack-network-node",
        "ovn_controller": "openvswitch",
        "ovn_controller_gw": "l3-agent",
        "ovn_bgp_agent": "openvswitch",
    }
    assert all(v["node_selector_value"] == "enabled" for v in out["labels"].values())


def test_without_network_hosts_everything_falls_back_to_controllers() -> None:
    out = ovn_overrides(build_site(network={"backend": "ovn"}, network_hosts=0))
    keys = selectors(out)
    assert keys["ovn_ovsdb_nb"] == keys["ovn_northd"] == "openstack-control-plane"
    assert keys["ovn_controller_gw"] == "openstack-control-plane"
    assert keys["ovn_controller"] == "openvswitch"
    assert out["pod"]["replicas"] == {"ovn_northd": 3, "ovn_ovsdb_nb": 3, "ovn_ovsdb_sb": 3}


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"network_hosts": 2}, 1),  # two Raft members tolerate no failure: one
        ({"network_hosts": 3}, 3),
        ({"network_hosts": 5}, 3),
        ({"network_hosts": 3, "mode": "development"}, 1),
    ],
)
def test_raft_replicas_follow_the_hosts_that_carry_them(
    spec: dict[str, Any], expected: int
) -> None:
    out = ovn_overrides(build_site(network={"backend": "ovn"}, **spec))
    components = ("ovn_northd", "ovn_ovsdb_nb", "ovn_ovsdb_sb")
    assert out["pod"]["replicas"] == dict.fromkeys(components, expected)


def test_each_component_tolerates_only_its_own_hosts_taints() -> None:
    out = ovn_overrides(build_site(network={"backend": "ovn"}))  # one tainted compute
    tolerations = out["pod"]["tolerations"]
    assert set(tolerations) == {"ovn_controller", "ovn_bgp_agent"}  # no `ovn` key, no gw key
    assert tolerations["ovn_controller"] == {
        "enabled": True,
        "tolerations": [
            {"key": "species", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
        ],
    }
    untainted = ovn_overrides(build_site(network={"backend": "ovn"}, tainted_computes=0))
    assert "tolerations" not in untainted.get("pod", {})


def test_images_on_the_mirror_and_volumes_on_the_site_class() -> None:
    out = ovn_overrides(build_site(network={"backend": "ovn"}, storage="pvc"))
    assert out["images"]["tags"]
    assert all(t.startswith(f"{REGISTRY}/airshipit/") for t in out["images"]["tags"].values())
    assert out["volume"] == {
        "ovn_ovsdb_nb": {"class_name": "general"},
        "ovn_ovsdb_sb": {"class_name": "general"},
    }


@pytest.mark.skipif(
    not (REAL / "values.yaml").is_file(),
    reason=f"no openstack-helm checkout at {REAL.parent} (set HELMDECK_OSH_CHECKOUT); local only",
)
@pytest.mark.parametrize("spec", [{}, {"network_hosts": 0, "mode": "development"},
                                  {"registry": None, "tainted_computes": 0}])
def test_every_generated_key_exists_in_the_real_ovn_chart(spec: dict[str, Any]) -> None:
    real = yaml.safe_load((REAL / "values.yaml").read_text())
    generated = ovn_overrides(build_site(network={"backend": "ovn"}, **spec), REAL)
    assert generated
    # The real chart declares only `enabled` under each pod.tolerations entry; the
    # helm-toolkit kubernetes_tolerations snippet reads `.tolerations` beside it by name.
    unknown = sorted(
        ".".join(map(str, parts))
        for parts, _ in leaves(generated)
        if not _declared(real, parts)
        and not _free(parts)
        and not (parts[:2] == ("pod", "tolerations") and parts[3:] == ("tolerations",))
    )
    assert unknown == []
