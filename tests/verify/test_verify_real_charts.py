"""verify on the real openstack-helm charts, rendered by helmdeck for two sites.

Each module-scoped fixture renders the whole application once (a few seconds). The
expected sets are exact: they are what verify reports before the remedies of issue 11
(ovn-controller tolerations, glance's claims, cinder's backend); a remedy removes its line.
Needs an openstack-helm checkout with helm-toolkit (HELMDECK_OSH_CHECKOUT, default
/work/osh); skipped without one.
"""

from __future__ import annotations

from typing import Any

import pytest
from real_render import as_rendered, desired, hosts, nodes, render, site_of, values_of
from support import OSH_CHECKOUT

from helmdeck.verify import Finding, options_from_site, placements, unschedulable, verify

pytestmark = pytest.mark.skipif(
    not (OSH_CHECKOUT / "helm-toolkit" / "Chart.yaml").is_file(),
    reason=f"no openstack-helm checkout at {OSH_CHECKOUT} (set HELMDECK_OSH_CHECKOUT)",
)

COMPUTES = ("cmp-0", "cmp-1")
CONTROLLERS = frozenset({"ctl-0", "ctl-1", "ctl-2"})


@pytest.fixture(scope="module")
def ovn_pvc() -> dict[str, Any]:
    """OVN, pvc storage with class ``fast``, computes tainted species=hypervisor:NoSchedule."""
    site = site_of(OSH_CHECKOUT, hosts(tainted=True), network={"backend": "ovn"},
                   storage={"backend": "pvc", "class_name": "fast"})
    releases = render(site)
    rendered = as_rendered(releases)
    return {"site": site, "rendered": rendered, "nodes": nodes(site),
            "findings": verify(rendered, nodes(site), options_from_site(site)),
            "desired": desired(site)}


@pytest.fixture(scope="module")
def plain() -> dict[str, Any]:
    """Open vSwitch, local storage, no taints: the default site."""
    site = site_of(OSH_CHECKOUT, hosts())
    rendered = as_rendered(render(site))
    return {"site": site, "rendered": rendered, "nodes": nodes(site),
            "findings": verify(rendered, nodes(site), options_from_site(site))}


def keyed(found: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.object, ",".join(f.hosts)) for f in found}


OVN_CONTROLLER = "DaemonSet/openstack/ovn-controller-default"
CINDER_BACKEND = ("VFY203", "Deployment/openstack/cinder-api", "")
CINDER_BOOTSTRAP = ("VFY104", "Job/openstack/cinder-bootstrap", "")


def test_ovn_controller_misses_the_tainted_computes(ovn_pvc: dict[str, Any]) -> None:
    cmp = ",".join(COMPUTES)
    rwo = "ctl-0,ctl-1,ctl-2"
    assert keyed(ovn_pvc["findings"]) == {
        ("VFY002", OVN_CONTROLLER, cmp),
        ("VFY105", "DaemonSet/openstack/nova-compute-default", cmp),
        ("VFY105", "DaemonSet/openstack/libvirt-libvirt-default", cmp),
        ("VFY105", "DaemonSet/openstack/neutron-ovn-metadata-agent-default", cmp),
        ("VFY201", "Deployment/openstack/glance-api", rwo),
        ("VFY202", "PersistentVolumeClaim/openstack/glance-tmp", ""),
        # waiting on nova-compute, itself stuck in Init on every compute
        ("VFY109", "Job/openstack/nova-cell-setup", "ctl-0,ctl-1,ctl-2"),
        ("VFY109", "CronJob/openstack/nova-cell-setup", "ctl-0,ctl-1,ctl-2"),
        ("VFY109", "Job/openstack/nova-bootstrap", "ctl-0,ctl-1,ctl-2"),
        CINDER_BACKEND,
        CINDER_BOOTSTRAP,
    }
    assert all(f.severity == "error" for f in ovn_pvc["findings"])
    [missed] = [f for f in ovn_pvc["findings"] if f.rule == "VFY002"]
    assert missed.source == "ovn/templates/daemonset-controller.yaml"
    assert "species=hypervisor:NoSchedule is not tolerated" in missed.reason
    where = placements(ovn_pvc["rendered"], ovn_pvc["nodes"])
    assert where[OVN_CONTROLLER] == CONTROLLERS
    assert where["DaemonSet/openstack/nova-compute-default"] == frozenset(COMPUTES)
    assert where["DaemonSet/openstack/openvswitch"] == CONTROLLERS | set(COMPUTES)
    assert unschedulable(ovn_pvc["rendered"], ovn_pvc["nodes"]) == {}


def test_the_ovn_chart_ignores_its_toleration_values(ovn_pvc: dict[str, Any]) -> None:
    """helmdeck sets pod.tolerations.ovn_controller; the controller DaemonSet's template
    never reads it (only the bgp agent's does), so the render has no tolerations at all."""
    values = values_of(ovn_pvc["desired"], "ovn")
    tolerations = values["pod"]["tolerations"]["ovn_controller"]
    assert tolerations["enabled"] is True
    assert {"key": "species", "operator": "Equal", "value": "hypervisor",
            "effect": "NoSchedule"} in tolerations["tolerations"]
    [ds] = [d for r in ovn_pvc["rendered"] if r.chart == "ovn" for d in r.documents
            if d.get("kind") == "DaemonSet" and d["metadata"]["name"] == "ovn-controller-default"]
    assert "tolerations" not in ds["spec"]["template"]["spec"]


def test_glance_claims_on_pvc_storage(ovn_pvc: dict[str, Any]) -> None:
    by_rule = {(f.rule, f.object): f for f in ovn_pvc["findings"]}
    rwo = [f for f in ovn_pvc["findings"] if f.rule == "VFY201"]
    assert {f.reason.split(" claim ")[1].split(" ")[0] for f in rwo} == {"glance-images",
                                                                         "glance-tmp"}
    assert all("3 pods" in f.reason for f in rwo)
    tmp = by_rule[("VFY202", "PersistentVolumeClaim/openstack/glance-tmp")]
    assert "storage class general, not the site's fast" in tmp.reason
    cinder = by_rule[CINDER_BACKEND[:2]]
    assert cinder.reason.startswith("cinder has no volume backend")


def test_default_site_has_only_the_cinder_backend_problem(plain: dict[str, Any]) -> None:
    assert keyed(plain["findings"]) == {CINDER_BACKEND, CINDER_BOOTSTRAP}
    where = placements(plain["rendered"], plain["nodes"])
    assert where["DaemonSet/openstack/openvswitch"] == CONTROLLERS | set(COMPUTES)
    assert where["Deployment/openstack/keystone-api"] == CONTROLLERS
    assert unschedulable(plain["rendered"], plain["nodes"]) == {}
