"""Predictions a cluster can check: hosts per workload, Pending pods, and the placement rules."""

from __future__ import annotations

from typing import Any

from verify_support import (
    NS,
    anti,
    cronjob,
    daemonset,
    deployment,
    job,
    node,
    pod,
    pvc,
    release,
    simple,
    statefulset,
)

from helmdeck.verify import (
    External,
    Finding,
    Options,
    Taint,
    placements,
    predict_all,
    unschedulable,
)
from helmdeck.verify import verify as run_verify

CTL = {"openstack-control-plane": "enabled"}
HYPERVISOR = Taint("species", "hypervisor", "NoSchedule")


def ctl_nodes(n: int, zones: list[str | None] | None = None) -> list[Any]:
    zones = zones or [None] * n
    return [node(f"ctl-{i}", {**CTL, **({"topology.kubernetes.io/zone": z} if z else {})})
            for i, z in enumerate(zones)]


def findings(docs: list[dict[str, Any]], nodes: list[Any], **opts: Any) -> list[Finding]:
    return run_verify([release("app", *docs)], nodes, Options(**opts))


def rules(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in found]


API = {"app": "api"}


def api(replicas: int, key: str = "kubernetes.io/hostname", required: bool = True,
        **term: Any) -> dict[str, Any]:
    """The API Deployment on controllers, its replicas repelling each other over ``key``."""
    return deployment("api", replicas, API, nodeSelector=CTL,
                      affinity=anti(key, API, required, **term))


def test_required_hostname_anti_affinity_caps_replicas() -> None:
    docs, nodes = [api(3)], ctl_nodes(2)
    rel = [release("app", *docs)]
    assert placements(rel, nodes) == {"Deployment/openstack/api": frozenset({"ctl-0", "ctl-1"})}
    assert unschedulable(rel, nodes) == {"Deployment/openstack/api": 1}
    found = findings(docs, nodes)
    assert rules(found) == [("VFY003", "error")]
    assert "at most 2" in found[0].reason
    assert unschedulable([release("app", api(2))], nodes) == {}


def test_zone_anti_affinity_counts_domains_and_zoneless_nodes_are_free() -> None:
    zone = "topology.kubernetes.io/zone"
    rel = [release("app", api(3, zone))]
    assert unschedulable(rel, ctl_nodes(3, ["az1", "az1", "az2"])) == {
        "Deployment/openstack/api": 1}
    # a node without the topology label is in no domain: nothing repels pods there
    assert unschedulable(rel, ctl_nodes(3, ["az1", "az1", None])) == {}
    assert unschedulable(rel, ctl_nodes(3, ["az1", "az2", "az3"])) == {}


def test_hostname_and_zone_together() -> None:
    zone = "topology.kubernetes.io/zone"
    labels = API
    terms = [{"labelSelector": {"matchLabels": labels}, "topologyKey": k}
             for k in ("kubernetes.io/hostname", zone)]
    d = deployment("api", 6, labels, nodeSelector=CTL, affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": terms}})
    nodes = ctl_nodes(5, ["az1", "az1", "az2", None, None])  # 2 zones + 2 zoneless nodes
    p = predict_all([release("app", d)], nodes)["Deployment/openstack/api"]
    assert (p.cap, p.pending) == (4, 2)


def test_preferred_anti_affinity_is_a_warning_only() -> None:
    docs, nodes = [api(3, required=False)], ctl_nodes(2)
    assert unschedulable([release("app", *docs)], nodes) == {}
    assert rules(findings(docs, nodes)) == [("VFY004", "warning")]
    assert findings([api(2, required=False)], nodes) == []


def test_anti_affinity_against_other_pods_or_namespaces_does_not_cap() -> None:
    other = deployment("api", 3, API, nodeSelector=CTL,
                       affinity=anti("kubernetes.io/hostname", {"app": "db"}))
    elsewhere = api(3, namespaces=["other"])
    everywhere = api(3, namespaceSelector={})
    named = api(3, namespaceSelector={"matchLabels": {"kubernetes.io/metadata.name": NS}})
    mismatch = api(3, mismatchLabelKeys=["app"])
    nodes = ctl_nodes(1)
    for d, pending in ((other, 0), (elsewhere, 0), (everywhere, 2), (named, 2), (mismatch, 0)):
        got = unschedulable([release("app", d)], nodes)
        assert got == ({"Deployment/openstack/api": pending} if pending else {}), d


def test_no_host_all_pending_and_reason() -> None:
    nodes = [node("cmp-0", {"openstack-compute-node": "enabled"}, HYPERVISOR)]
    d = deployment("api", 2, API, nodeSelector={"openstack-compute-node": "enabled"})
    rel = [release("app", d)]
    assert unschedulable(rel, nodes) == {"Deployment/openstack/api": 2}
    [f] = findings([d], nodes)
    assert (f.rule, f.hosts) == ("VFY001", ("cmp-0",))
    assert "species=hypervisor:NoSchedule" in f.reason and "2 pods" in f.reason
    [f] = findings([deployment("api", 1, API, nodeSelector={"missing": "x"})], nodes)
    assert f.rule == "VFY001" and "no node matches missing=x" in f.reason


def test_statefulset_ordered_ready_stops_at_the_first_pending_pod() -> None:
    labels = {"app": "db"}
    aff = anti("kubernetes.io/hostname", labels)
    ordered = statefulset("db", 3, labels, nodeSelector=CTL, affinity=aff)
    parallel = statefulset("db", 3, labels, policy="Parallel", nodeSelector=CTL, affinity=aff)
    nodes = ctl_nodes(1)
    p = predict_all([release("app", ordered)], nodes)["StatefulSet/openstack/db"]
    assert (p.pods, p.pending, p.not_created) == (3, 1, 1)
    p = predict_all([release("app", parallel)], nodes)["StatefulSet/openstack/db"]
    assert (p.pending, p.not_created) == (2, 0)
    nowhere = statefulset("db", 3, labels, nodeSelector={"x": "y"})
    p = predict_all([release("app", nowhere)], nodes)["StatefulSet/openstack/db"]
    assert (p.pending, p.not_created) == (1, 2)


def test_daemonset_gets_exactly_the_hosts_it_tolerates() -> None:
    ovs = {"openvswitch": "enabled"}
    nodes = [node("ctl-0", ovs), node("cmp-0", ovs, HYPERVISOR), node("cmp-1", ovs, HYPERVISOR),
             node("other", {})]
    plain = daemonset("ovn-controller", nodeSelector=ovs)
    tolerant = daemonset("openvswitch", nodeSelector=ovs, tolerations=[
        {"key": "species", "operator": "Equal", "value": "hypervisor", "effect": "NoSchedule"}])
    rel = [release("ovn", plain), release("openvswitch", tolerant)]
    assert placements(rel, nodes) == {
        "DaemonSet/openstack/ovn-controller": frozenset({"ctl-0"}),
        "DaemonSet/openstack/openvswitch": frozenset({"ctl-0", "cmp-0", "cmp-1"}),
    }
    assert unschedulable(rel, nodes) == {}
    [f] = run_verify(rel, nodes, Options(roles={"compute": frozenset({"cmp-0", "cmp-1"})}))
    assert (f.rule, f.object, f.hosts) == (
        "VFY002", "DaemonSet/openstack/ovn-controller", ("cmp-0", "cmp-1"))
    assert "cmp-0 (compute), cmp-1 (compute)" in f.reason


def test_daemonset_that_matches_no_node_is_a_warning() -> None:
    [f] = findings([daemonset("agent", nodeSelector={"l3-agent": "enabled"})], ctl_nodes(1))
    assert (f.rule, f.severity) == ("VFY001", "warning")


def test_default_daemonset_set_aside_by_per_host_rules_is_no_finding() -> None:
    """helm-toolkit's per-host overrides give the default DaemonSet NotIn terms for every
    host and label rule; when the rules take every node it runs nowhere, as meant. Without
    the exclusions it would match nothing either: then it is the warning again."""
    def default(key: str) -> dict[str, Any]:
        terms = [{"matchExpressions": [
            {"key": key, "operator": "In", "values": ["enabled"]},
            {"key": "helmdeck-profile", "operator": "NotIn", "values": ["a"]},
            {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["ctl-0"]}]}]
        affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": terms}}}
        return daemonset(f"agent-{key}-default", affinity=affinity)

    nodes = [node("ctl-0", {"openvswitch": "enabled"}),
             node("cmp-0", {"openvswitch": "enabled", "helmdeck-profile": "a"})]
    assert findings([default("openvswitch")], nodes) == []
    [f] = findings([default("sriov")], nodes)
    assert (f.rule, f.severity) == ("VFY001", "warning")


def test_jobs_cronjobs_and_pods() -> None:
    nowhere = {"nodeSelector": {"x": "y"}}
    docs = [
        job("one", **nowhere),
        job("four", job_spec={"parallelism": 4, "completions": 3}, **nowhere),
        job("held", job_spec={"suspend": True}, **nowhere),
        cronjob("cron", **nowhere),
        pod("bare", **nowhere),
        pod("test", hook="test", **nowhere),
        deployment("zero", 0, **nowhere),
    ]
    rel, nodes = [release("app", *docs)], ctl_nodes(1)
    assert unschedulable(rel, nodes) == {
        "Job/openstack/one": 1, "Job/openstack/four": 3, "Pod/openstack/bare": 1}
    assert unschedulable(rel, nodes, include_cronjobs=True)["CronJob/openstack/cron"] == 1
    assert "Pod/openstack/test" not in placements(rel, nodes)  # helm test pods: not installed
    assert {f.object for f in findings(docs, nodes)} == {
        "Job/openstack/one", "Job/openstack/four", "CronJob/openstack/cron", "Pod/openstack/bare"}


def test_host_ports_allow_one_pod_per_node() -> None:
    port = [{"name": "main", "image": "i", "ports": [{"containerPort": 6080}]}]
    d = deployment("novnc", 3, nodeSelector=CTL, hostNetwork=True, containers=port)
    p = predict_all([release("app", d)], ctl_nodes(2))["Deployment/openstack/novnc"]
    assert (p.cap, p.pending) == (2, 1)
    [f] = findings([d], ctl_nodes(2))
    assert f.rule == "VFY003" and "host port" in f.reason
    no_host_net = deployment("novnc", 3, nodeSelector=CTL, containers=port)
    assert unschedulable([release("app", no_host_net)], ctl_nodes(1)) == {}


def test_daemonsets_sharing_a_host_port() -> None:
    port = [{"name": "main", "image": "i", "ports": [{"containerPort": 9090,
                                                      "hostPort": 9090}]}]
    udp = [{"name": "main", "image": "i", "ports": [{"containerPort": 9090, "hostPort": 9090,
                                                     "protocol": "UDP"}]}]
    a, b = daemonset("a", containers=port), daemonset("b", containers=port)
    c = daemonset("c", containers=udp)
    found = findings([a, b, c], ctl_nodes(2))
    assert rules(found) == [("VFY006", "error")]
    assert found[0].hosts == ("ctl-0", "ctl-1")
    d = deployment("d", 1, containers=port)
    assert rules(findings([a, d], ctl_nodes(1))) == [("VFY006", "warning")]


def test_prefer_no_schedule_warns_where_pods_must_land() -> None:
    soft = Taint("maint", "", "PreferNoSchedule")
    nodes = [node("ctl-0", CTL, soft), node("ctl-1", CTL)]
    ds = daemonset("agent")
    assert placements([release("app", ds)], nodes)["DaemonSet/openstack/agent"] == frozenset(
        {"ctl-0", "ctl-1"})
    [f] = findings([ds], nodes)
    assert (f.rule, f.hosts) == ("VFY005", ("ctl-0",))
    assert findings([deployment("api", 1, nodeSelector=CTL)], nodes) == []
    [f] = findings([deployment("api", 1, nodeSelector=CTL)], nodes[:1])
    assert f.rule == "VFY005"


def test_hostname_selectors_are_matched_per_node() -> None:
    nodes = ctl_nodes(3)
    d = deployment("pinned", 1, nodeSelector={"kubernetes.io/hostname": "ctl-1"})
    f = deployment("fields", 1, affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "NotIn",
                              "values": ["ctl-0"]}]}]}}})
    got = placements([release("app", d, f)], nodes)
    assert got == {"Deployment/openstack/pinned": frozenset({"ctl-1"}),
                   "Deployment/openstack/fields": frozenset({"ctl-1", "ctl-2"})}


def test_claims_that_cannot_bind_leave_every_pod_pending() -> None:
    volume = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    d = deployment("api", 2, nodeSelector=CTL, volumes=volume)
    vct = [{"metadata": {"name": "mysql"}, "spec": {"storageClassName": "general"}}]
    db = statefulset("db", 3, claims=vct)
    nodes = ctl_nodes(2)
    # a claim that does not exist: Pending whatever the cluster's storage
    assert unschedulable([release("app", d)], nodes) == {"Deployment/openstack/api": 2}
    assert unschedulable([release("app", d)], nodes, Options(
        external=External(persistentvolumeclaims=frozenset({"data"})))) == {}
    rel = [release("app", d, db, pvc("data", ["ReadWriteMany"], None))]
    assert unschedulable(rel, nodes) == {}  # storage not modelled: every claim binds
    fast = Options(storage_classes=frozenset({"fast"}), default_storage_class="fast")
    assert unschedulable(rel, nodes, fast) == {"StatefulSet/openstack/db": 1}
    p = predict_all(rel, nodes, fast)["StatefulSet/openstack/db"]
    assert (p.pending, p.not_created, p.unbound_claims) == (1, 2, ("mysql-db-N",))
    no_default = Options(storage_classes=frozenset({"fast"}))
    assert unschedulable(rel, nodes, no_default) == {
        "StatefulSet/openstack/db": 1, "Deployment/openstack/api": 2}
    found = run_verify(rel, nodes, fast)
    assert [(f.rule, f.object) for f in found] == [("VFY007", "StatefulSet/openstack/db")]


def test_preferred_node_affinity_nobody_matches_is_a_warning() -> None:
    def preferring(value: str) -> dict[str, Any]:
        return deployment("api", 1, nodeSelector=CTL, affinity={"nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 5, "preference": {
                "matchExpressions": [{"key": "disk", "operator": "In", "values": [value]}]}}]}})

    nodes = [node("ctl-0", {**CTL, "disk": "ssd"}), node("ctl-1", CTL)]
    assert findings([preferring("ssd")], nodes) == []
    [f] = findings([preferring("nvme")], nodes)
    assert (f.rule, f.severity) == ("VFY008", "warning")


def test_pods_of_a_missing_service_account_are_never_created() -> None:
    d = deployment("api", 2, serviceAccountName="api")
    p = predict_all([release("app", d)], ctl_nodes(1))["Deployment/openstack/api"]
    assert (p.pending, p.not_created, p.refused) == (0, 2, "ServiceAccount openstack/api does "
                                                           "not exist")
    assert placements([release("app", d)], ctl_nodes(1)) == {
        "Deployment/openstack/api": frozenset()}
    p = predict_all([release("app", d, simple("ServiceAccount", "api"))],
                    ctl_nodes(1))["Deployment/openstack/api"]
    assert (p.pending, p.not_created) == (0, 0)


def test_job_pods_over_an_anti_affinity_cap_wait_their_turn() -> None:
    """Found by the differential test: a finished pod repels nothing, so a Job's pods beyond
    one per node run as the first ones complete; none stays Pending (a warning only)."""
    labels = {"job": "sync"}
    j = job("sync", labels=labels, job_spec={"parallelism": 3}, nodeSelector=CTL,
            affinity=anti("kubernetes.io/hostname", labels))
    rel = [release("app", j)]
    p = predict_all(rel, ctl_nodes(1))["Job/openstack/sync"]
    assert (p.pods, p.cap, p.pending, p.not_created) == (3, 1, 0, 0)
    assert unschedulable(rel, ctl_nodes(1)) == {}
    [f] = findings([j], ctl_nodes(1))
    assert (f.rule, f.severity) == ("VFY003", "warning")
    assert "wait for them to complete" in f.reason
