"""verify on the real openstack-helm charts, rendered by helmdeck, before and after the remedies.

Each module-scoped fixture renders the whole application once (a few seconds). "before" is
helmdeck without the remedies of issue 11 (``upstream``: no ovn patch, glance's old plugin,
cinder on every site); the expected sets are exact. "after" is helmdeck as shipped, and
verify finds nothing. Needs an openstack-helm checkout with helm-toolkit
(HELMDECK_OSH_CHECKOUT, default /work/osh); skipped without one.
"""

from __future__ import annotations

from typing import Any

import pytest
from real_render import as_rendered, desired, hosts, nodes, render, site_of, values_of
from support import OSH_CHECKOUT
from upstream import upstream_app, upstream_plugins

from helmdeck.site.model import Site
from helmdeck.verify import Finding, options_from_site, placements, unschedulable, verify

pytestmark = pytest.mark.skipif(
    not (OSH_CHECKOUT / "helm-toolkit" / "Chart.yaml").is_file(),
    reason=f"no openstack-helm checkout at {OSH_CHECKOUT} (set HELMDECK_OSH_CHECKOUT)",
)

COMPUTES = ("cmp-0", "cmp-1")
CONTROLLERS = frozenset({"ctl-0", "ctl-1", "ctl-2"})
CEPH = {"backend": "ceph", "ceph": {"monitors": ["10.0.0.1:6789"]}}


def _run(site: Site, before: bool) -> dict[str, Any]:
    app, plugins = (upstream_app(), upstream_plugins()) if before else (None, None)
    rendered = as_rendered(render(site, app, plugins))
    return {"site": site, "rendered": rendered, "nodes": nodes(site),
            "findings": verify(rendered, nodes(site), options_from_site(site)),
            "desired": desired(site, app, plugins)}


def _ovn_pvc() -> Site:
    """OVN, pvc storage with class ``fast``, computes tainted species=hypervisor:NoSchedule."""
    return site_of(OSH_CHECKOUT, hosts(tainted=True), network={"backend": "ovn"},
                   storage={"backend": "pvc", "class_name": "fast"})


@pytest.fixture(scope="module")
def ovn_pvc_before() -> dict[str, Any]:
    return _run(_ovn_pvc(), before=True)


@pytest.fixture(scope="module")
def ovn_pvc() -> dict[str, Any]:
    return _run(_ovn_pvc(), before=False)


@pytest.fixture(scope="module")
def plain_before() -> dict[str, Any]:
    """Open vSwitch, local storage, no taints: the default site."""
    return _run(site_of(OSH_CHECKOUT, hosts()), before=True)


def keyed(found: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.rule, f.object, ",".join(f.hosts)) for f in found}


OVN_CONTROLLER = "DaemonSet/openstack/ovn-controller-default"
CINDER_BACKEND = ("VFY203", "Deployment/openstack/cinder-api", "")
CINDER_BOOTSTRAP = ("VFY104", "Job/openstack/cinder-bootstrap", "")


def test_before_the_remedies_ovn_controller_misses_the_tainted_computes(
        ovn_pvc_before: dict[str, Any]) -> None:
    run = ovn_pvc_before
    cmp = ",".join(COMPUTES)
    rwo = "ctl-0,ctl-1,ctl-2"
    assert keyed(run["findings"]) == {
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
    assert all(f.severity == "error" for f in run["findings"])
    [missed] = [f for f in run["findings"] if f.rule == "VFY002"]
    assert missed.source == "ovn/templates/daemonset-controller.yaml"
    assert "species=hypervisor:NoSchedule is not tolerated" in missed.reason
    where = placements(run["rendered"], run["nodes"])
    assert where[OVN_CONTROLLER] == CONTROLLERS
    assert where["DaemonSet/openstack/nova-compute-default"] == frozenset(COMPUTES)
    assert where["DaemonSet/openstack/openvswitch"] == CONTROLLERS | set(COMPUTES)
    assert unschedulable(run["rendered"], run["nodes"]) == {}


def test_the_upstream_ovn_chart_ignores_its_toleration_values(
        ovn_pvc_before: dict[str, Any]) -> None:
    """helmdeck sets pod.tolerations.ovn_controller; the controller DaemonSet's template
    never reads it (only the bgp agent's does), so the render has no tolerations at all."""
    values = values_of(ovn_pvc_before["desired"], "ovn")
    tolerations = values["pod"]["tolerations"]["ovn_controller"]
    assert tolerations["enabled"] is True
    assert {"key": "species", "operator": "Equal", "value": "hypervisor",
            "effect": "NoSchedule"} in tolerations["tolerations"]
    [ds] = [d for r in ovn_pvc_before["rendered"] if r.chart == "ovn" for d in r.documents
            if d.get("kind") == "DaemonSet" and d["metadata"]["name"] == "ovn-controller-default"]
    assert "tolerations" not in ds["spec"]["template"]["spec"]


def test_before_the_remedies_glance_claims_on_pvc_storage(
        ovn_pvc_before: dict[str, Any]) -> None:
    found = ovn_pvc_before["findings"]
    by_rule = {(f.rule, f.object): f for f in found}
    rwo = [f for f in found if f.rule == "VFY201"]
    assert {f.reason.split(" claim ")[1].split(" ")[0] for f in rwo} == {"glance-images",
                                                                         "glance-tmp"}
    assert all("3 pods" in f.reason for f in rwo)
    tmp = by_rule[("VFY202", "PersistentVolumeClaim/openstack/glance-tmp")]
    assert "storage class general, not the site's fast" in tmp.reason
    cinder = by_rule[CINDER_BACKEND[:2]]
    assert cinder.reason.startswith("cinder has no volume backend")


def test_before_the_remedies_the_default_site_has_the_cinder_backend_problem(
        plain_before: dict[str, Any]) -> None:
    assert keyed(plain_before["findings"]) == {CINDER_BACKEND, CINDER_BOOTSTRAP}


def test_after_the_remedies_nothing(ovn_pvc: dict[str, Any]) -> None:
    assert ovn_pvc["findings"] == []
    where = placements(ovn_pvc["rendered"], ovn_pvc["nodes"])
    assert where[OVN_CONTROLLER] == CONTROLLERS | set(COMPUTES)
    assert where["DaemonSet/openstack/nova-compute-default"] == frozenset(COMPUTES)
    assert unschedulable(ovn_pvc["rendered"], ovn_pvc["nodes"]) == {}
    assert "cinder" not in {r.chart for r in ovn_pvc["rendered"]}


def test_the_patched_ovn_chart_reads_the_tolerations(ovn_pvc: dict[str, Any]) -> None:
    [ds] = [d for r in ovn_pvc["rendered"] if r.chart == "ovn" for d in r.documents
            if d.get("kind") == "DaemonSet" and d["metadata"]["name"] == "ovn-controller-default"]
    assert {"key": "species", "operator": "Equal", "value": "hypervisor",
            "effect": "NoSchedule"} in ds["spec"]["template"]["spec"]["tolerations"]
    [ovn] = [d for d in ovn_pvc["desired"] if d.chart == "ovn"]
    upstream = next(d for d in ovn_pvc_desired_upstream() if d.chart == "ovn")
    assert ovn.chart_version.startswith(f"{upstream.chart_version}+patched.")
    assert ovn.patches and ovn.patches[0].startswith("ovn-controller-tolerations.diff (")
    assert ovn.chart_dir.name == "ovn" and ovn.chart_dir.parts[-3:-1] == (
        "patched", ovn.chart_dir.parent.name) and upstream.chart_dir == OSH_CHECKOUT / "ovn"


def ovn_pvc_desired_upstream() -> list[Any]:
    return desired(_ovn_pvc(), upstream_app(), upstream_plugins())


def test_after_the_remedies_glance_runs_one_replica_on_the_sites_class(
        ovn_pvc: dict[str, Any]) -> None:
    values = values_of(ovn_pvc["desired"], "glance")
    assert values["pod"]["replicas"]["api"] == 1
    for volume in ("volume", "volume_staging"):
        assert values[volume]["class_name"] == "fast"
        assert values[volume]["accessModes"] == ["ReadWriteOnce"]


@pytest.mark.parametrize("spec", [
    pytest.param({}, id="default"),
    pytest.param({"storage": CEPH, "registry": "registry.example.com/mirror"},
                 id="ceph-registry-tainted"),
    pytest.param({"network": {"backend": "ovn"}, "mode": "development"}, id="ovn-development"),
])
def test_after_the_remedies_other_sites_verify_clean(spec: dict[str, Any]) -> None:
    tainted = "storage" in spec
    site = site_of(OSH_CHECKOUT, hosts(network=2 if tainted else 0, tainted=tainted), **spec)
    run = _run(site, before=False)
    assert run["findings"] == []
