"""Dependency, storage and reference rules on small synthetic renders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from verify_support import (
    NS,
    cronjob,
    daemonset,
    deployment,
    entrypoint,
    job,
    node,
    pod,
    pvc,
    release,
    service,
    simple,
    statefulset,
)

from helmdeck.errors import UserError
from helmdeck.verify import External, Finding, Options, Rendered, Taint, verify

NODES = [node("ctl-0", {"role": "ctl"}), node("ctl-1", {"role": "ctl"}),
         node("cmp-0", {"role": "cmp"}, Taint("species", "hv", "NoSchedule"))]
ALL = [{"operator": "Exists"}]


def run(*rels: Rendered, nodes: list[Any] | None = None, **opts: Any) -> list[Finding]:
    return verify(list(rels), NODES if nodes is None else nodes, Options(**opts))


def ids(found: list[Finding]) -> list[str]:
    return [f.rule for f in found]


def waiting(**env: str) -> dict[str, Any]:
    return deployment("waiter", 1, nodeSelector={"role": "ctl"}, initContainers=[
        entrypoint(**env)])


# --- dependencies -------------------------------------------------------------------------

def test_service_dependency() -> None:
    backend = deployment("db", 1, {"app": "db"}, nodeSelector={"role": "ctl"})
    svc = service("mariadb", {"app": "db"})
    dep = waiting(SERVICE=f"{NS}:mariadb,{NS}:keystone-api")
    [f] = run(release("a", dep, backend, svc))
    assert (f.rule, f.object) == ("VFY101", "Deployment/openstack/waiter")
    assert "Service openstack/keystone-api" in f.reason
    assert run(release("a", dep, backend, svc),
               external=External(services=frozenset({"openstack/keystone-api"}))) == []
    # the Service exists, but the pods behind it cannot run anywhere
    stuck = deployment("db", 1, {"app": "db"}, nodeSelector={"role": "none"})
    found = run(release("a", waiting(SERVICE=f"{NS}:mariadb"), stuck, svc))
    assert ids(found) == ["VFY001", "VFY101"] and "cannot run" in found[1].reason


def test_job_dependencies_plain_json_and_labels() -> None:
    done = job("db-sync", labels={"application": "x", "component": "db-sync"},
               hook="post-install")
    assert ids(run(release("a", waiting(JOBS="db-sync"), done))) == []
    assert ids(run(release("a", waiting(JOBS="db-sync,bootstrap"), done))) == ["VFY102"]
    by_labels = json.dumps([{"labels": {"component": "db-sync"}}])
    assert ids(run(release("a", waiting(JOBS_JSON=by_labels), done))) == []
    missing = json.dumps([{"labels": {"component": "nope"}}])
    assert ids(run(release("a", waiting(JOBS_JSON=missing), done))) == ["VFY102"]
    cron = cronjob("purge", labels={"component": "purge"})
    purge = json.dumps([{"labels": {"component": "purge"}}])
    assert ids(run(release("a", waiting(JOBS_JSON=purge), cron))) == []
    # a delete hook is never there when the pod starts
    gone = job("db-sync", hook="pre-delete")
    assert ids(run(release("a", waiting(JOBS="db-sync"), gone))) == ["VFY102"]


def test_daemonset_and_container_dependencies() -> None:
    ds = daemonset("openvswitch", tolerations=ALL)
    assert ids(run(release("a", waiting(DAEMONSET="openvswitch"), ds))) == []
    assert ids(run(release("a", waiting(DAEMONSET="other:openvswitch"), ds))) == ["VFY103"]
    [f] = run(release("a", waiting(CONTAINER="sidecar")))
    assert f.rule == "VFY106" and "it has main" in f.reason


def pods_json(labels: dict[str, str], same_node: bool) -> str:
    return json.dumps([{"labels": labels, "requireSameNode": same_node}])


def test_same_node_pod_dependency_on_daemonset_hosts() -> None:
    controller = daemonset("ovn-controller", {"application": "ovn", "component": "ovn-controller"})
    compute = daemonset("nova-compute", nodeSelector={"role": "cmp"}, tolerations=ALL,
                        initContainers=[entrypoint(POD_JSON=pods_json(
                            {"application": "ovn", "component": "ovn-controller"}, True))])
    found = run(release("ovn", controller), release("nova", compute))
    assert ids(found) == ["VFY105", "VFY002"]  # by release: nova, then ovn
    same = found[0]
    assert (same.object, same.severity, same.hosts) == (
        "DaemonSet/openstack/nova-compute", "error", ("cmp-0",))
    fixed = daemonset("ovn-controller", {"application": "ovn", "component": "ovn-controller"},
                      tolerations=ALL)
    assert run(release("ovn", fixed), release("nova", compute)) == []


def test_same_node_for_a_deployment_that_may_land_elsewhere_is_a_warning() -> None:
    agent = daemonset("agent", {"app": "agent"}, nodeSelector={"role": "ctl"},
                      affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                {"nodeSelectorTerms": [{"matchFields": [
                                    {"key": "metadata.name", "operator": "In",
                                     "values": ["ctl-0"]}]}]}}})
    user = deployment("user", 1, nodeSelector={"role": "ctl"}, initContainers=[
        entrypoint(POD_JSON=pods_json({"app": "agent"}, True))])
    [f] = run(release("a", agent, user))
    assert (f.rule, f.severity, f.hosts) == ("VFY105", "warning", ("ctl-1",))


def test_pod_dependency_without_a_provider() -> None:
    user = job("bootstrap", initContainers=[entrypoint(
        POD_JSON=pods_json({"application": "cinder", "component": "volume"}, False))])
    [f] = run(release("cinder", user))
    assert f.rule == "VFY104" and "application=cinder,component=volume" in f.reason
    ext = External(pods=frozenset({"application=cinder,component=volume"}))
    assert run(release("cinder", user), external=ext) == []


def test_custom_resource_and_malformed_dependencies() -> None:
    cr = json.dumps([{"apiVersion": "x/v1", "kind": "Workflow", "name": "wf",
                      "namespace": NS, "fields": []}])
    [f] = run(release("a", waiting(CUSTOM_RESOURCE=cr)))
    assert (f.rule, f.severity) == ("VFY107", "warning")
    wf = {"apiVersion": "x/v1", "kind": "Workflow", "metadata": {"name": "wf"}}
    assert run(release("a", waiting(CUSTOM_RESOURCE=cr), wf)) == []
    bad = run(release("a", waiting(POD_JSON="[not json", SERVICE=":x")))
    assert ids(bad) == ["VFY108", "VFY108"]


# --- storage ------------------------------------------------------------------------------

def mounting(name: str, claim: str, replicas: int = 1, **spec: Any) -> dict[str, Any]:
    spec.setdefault("nodeSelector", {"role": "ctl"})
    return deployment(name, replicas, volumes=[
        {"name": "data", "persistentVolumeClaim": {"claimName": claim}}], **spec)


def test_rwo_claim_shared_by_replicas_on_several_hosts() -> None:
    claim = pvc("images", ["ReadWriteOnce"])
    [f] = run(release("glance", mounting("glance-api", "images", 3), claim))
    assert (f.rule, f.object, f.hosts) == ("VFY201", "Deployment/openstack/glance-api",
                                           ("ctl-0", "ctl-1"))
    assert "3 pods" in f.reason
    assert run(release("g", mounting("api", "images", 1), claim)) == []
    one_host = mounting("api", "images", 3, nodeSelector={"kubernetes.io/hostname": "ctl-0"})
    assert run(release("g", one_host, claim)) == []
    shared = pvc("images", ["ReadWriteMany"])
    assert run(release("g", mounting("api", "images", 3), shared)) == []
    two = run(release("g", mounting("a", "images"), mounting("b", "images"), claim))
    assert ids(two) == ["VFY201", "VFY201"]
    once_pod = pvc("images", ["ReadWriteOncePod"])
    pinned = mounting("api", "images", 2, nodeSelector={"kubernetes.io/hostname": "ctl-0"})
    assert ids(run(release("g", pinned, once_pod))) == ["VFY201"]


def test_storage_class_of_claims_and_claim_templates() -> None:
    claims = [pvc("ok", ["ReadWriteOnce"], "fast"), pvc("tmp", ["ReadWriteOnce"], "general"),
              pvc("none", ["ReadWriteOnce"], None),
              pvc("old", ["ReadWriteOnce"], "fast",
                  {"volume.beta.kubernetes.io/storage-class": "slow"})]
    vct = [{"metadata": {"name": "data"}, "spec": {"storageClassName": "general"}}]
    sts = statefulset("db", 1, claims=vct)
    found = run(release("a", *claims, sts), storage_class="fast")
    got = {(f.object, f.severity) for f in found}
    assert got == {("PersistentVolumeClaim/openstack/tmp", "error"),
                   ("PersistentVolumeClaim/openstack/old", "error"),
                   ("PersistentVolumeClaim/openstack/none", "warning"),
                   ("StatefulSet/openstack/db", "error")}
    assert all(f.rule == "VFY202" for f in found)
    assert run(release("a", *claims, sts)) == []  # no site class: not checked


def test_cinder_without_a_volume_backend() -> None:
    cinder_api = deployment("cinder-api", 1, {"application": "cinder", "component": "api"})
    [f] = run(release("cinder", cinder_api))
    assert (f.rule, f.object) == ("VFY203", "Deployment/openstack/cinder-api")
    assert f.reason.startswith("cinder has no volume backend")
    volume = deployment("cinder-volume", 1, {"application": "cinder", "component": "volume"})
    assert run(release("cinder", cinder_api, volume)) == []


# --- references ---------------------------------------------------------------------------

def user(**spec: Any) -> dict[str, Any]:
    return deployment("user", 1, **spec)


def test_every_kind_of_reference() -> None:
    spec = dict(
        serviceAccountName="api",
        imagePullSecrets=[{"name": "pull"}],
        volumes=[
            {"name": "a", "secret": {"secretName": "s-vol"}},
            {"name": "b", "configMap": {"name": "c-vol"}},
            {"name": "c", "projected": {"sources": [{"secret": {"name": "s-proj"}},
                                                    {"configMap": {"name": "c-proj"}}]}},
            {"name": "d", "persistentVolumeClaim": {"claimName": "claim"}},
            {"name": "e", "rbd": {"secretRef": {"name": "s-rbd"}}},
            {"name": "f", "secret": {"secretName": "s-opt", "optional": True}},
        ],
        containers=[{"name": "main", "image": "i", "env": [
            {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s-env", "key": "k"}}},
            {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c-env", "key": "k"}}},
            {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s-o", "key": "k",
                                                         "optional": True}}},
        ], "envFrom": [{"secretRef": {"name": "s-from"}}, {"configMapRef": {"name": "c-from"}}]}],
    )
    found = run(release("a", user(**spec)))
    names = sorted(f.reason.split(" uses ")[1].split(",")[0] for f in found)
    assert names == sorted([
        "ServiceAccount openstack/api", "Secret openstack/pull", "Secret openstack/s-vol",
        "ConfigMap openstack/c-vol", "Secret openstack/s-proj", "ConfigMap openstack/c-proj",
        "PersistentVolumeClaim openstack/claim", "Secret openstack/s-rbd",
        "Secret openstack/s-env", "ConfigMap openstack/c-env", "Secret openstack/s-from",
        "ConfigMap openstack/c-from"]), names
    assert set(ids(found)) == {"VFY301", "VFY302", "VFY303", "VFY304"}


def test_where_a_referenced_object_may_come_from() -> None:
    uses = user(volumes=[{"name": "a", "secret": {"secretName": "keys"}}])
    assert run(release("a", uses, simple("Secret", "keys"))) == []
    assert run(release("a", uses), release("b", simple("Secret", "keys"))) == []
    # a hook counts for its own release only
    assert run(release("a", uses, simple("Secret", "keys", hook="pre-install"))) == []
    [f] = run(release("a", uses), release("b", simple("Secret", "keys", hook="pre-install")))
    assert "only as a hook of release b" in f.reason
    # another namespace does not count
    assert ids(run(release("a", uses), release("b", simple("Secret", "keys"), namespace="x"))) \
        == ["VFY301"]
    assert run(release("a", uses), external=External(secrets=frozenset({"keys"}))) == []
    # made at run time by a storage-init job
    init = job("storage-init", containers=[{"name": "main", "image": "i", "env": [
        {"name": "RBD_POOL_SECRET", "value": "keys"}]}])
    assert run(release("a", uses, init)) == []
    # what Kubernetes makes in every namespace
    assert run(release("a", user(serviceAccountName="default", volumes=[
        {"name": "ca", "configMap": {"name": "kube-root-ca.crt"}}]))) == []


def test_service_selectors() -> None:
    backend = deployment("api", 1, {"app": "api", "tier": "web"})
    assert run(release("a", backend, service("api", {"app": "api"}))) == []
    [f] = run(release("a", backend, service("api", {"app": "other"})))
    assert (f.rule, f.object) == ("VFY305", "Service/openstack/api")
    assert run(release("a", service("ext", None))) == []


@pytest.mark.parametrize(("doc", "expected"), [
    (service("nova_api", {"app": "x"}), "VFY306"),
    (service("1api", {"app": "x"}), "VFY306"),
    (simple("ConfigMap", "Bad_Name"), "VFY306"),
    (simple("ConfigMap", "a" * 254), "VFY306"),
    (simple("ConfigMap", "ok.dotted-name"), None),
    (simple("Role", "system:openstack:role"), None),
    (simple("Role", "a/b"), "VFY306"),
    (cronjob("c" * 53), "VFY306"),
    (cronjob("c" * 52), None),
    (deployment("x", containers=[{"name": "Main", "image": "i"}]), "VFY306"),
    (deployment("x", containers=[{"name": "m", "image": "i"}, {"name": "m", "image": "i"}]),
     "VFY306"),
])
def test_names(doc: dict[str, Any], expected: str | None) -> None:
    got = {f.rule for f in run(release("a", doc)) if f.rule in ("VFY306",)}
    assert got == ({expected} if expected else set())


@pytest.mark.parametrize(("name", "ok"), [
    ("http", True), ("novnc-proxy", True), ("a1", True), ("x" * 15, True),
    ("novnc_proxy", False), ("x" * 16, False), ("123", False), ("-http", False),
    ("http-", False), ("ht--tp", False), ("HTTP", False),
])
def test_port_names(name: str, ok: bool) -> None:
    svc = service("api", None, [{"name": name, "port": 80}])
    ctr = deployment("api", containers=[{"name": "m", "image": "i",
                                         "ports": [{"name": name, "containerPort": 80}]}])
    found = [f for f in run(release("a", svc, ctr)) if f.rule == "VFY307"]
    assert len(found) == (0 if ok else 2)


def test_multi_port_services_need_unique_names() -> None:
    unnamed = service("api", None, [{"port": 80}, {"name": "b", "port": 81}])
    twice = service("api", None, [{"name": "b", "port": 80}, {"name": "b", "port": 81}])
    single = service("api", None, [{"port": 80}])
    assert ids(run(release("a", unnamed))) == ["VFY307"]
    assert ids(run(release("a", twice))) == ["VFY307"]
    assert run(release("a", single)) == []


def test_images_on_the_mirror() -> None:
    mirror = "registry.example.com:5000"
    good = deployment("a", containers=[{"name": "m", "image": f"{mirror}/x/y:1"}])
    bad = deployment("b", initContainers=[{"name": "init", "image": "quay.io/x:1"}],
                     containers=[{"name": "m", "image": f"{mirror}.evil/x:1"}])
    found = run(release("a", good, bad), registry=mirror)
    assert [(f.rule, f.object) for f in found] == [("VFY308", "Deployment/openstack/b")] * 2
    assert run(release("a", bad)) == []


def test_labels() -> None:
    bad = deployment("a", {"app": "bad value"})
    key = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "labels": {"-bad": "x"}}}
    assert set(ids(run(release("a", bad, key)))) == {"VFY309"}


def test_duplicates() -> None:
    found = run(release("a", simple("ConfigMap", "c")), release("b", simple("ConfigMap", "c")))
    assert [(f.rule, f.release) for f in found] == [("VFY310", "a"), ("VFY310", "b")]
    [f] = run(release("a", simple("ConfigMap", "c"), simple("ConfigMap", "c")))
    assert "2 times" in f.reason


# --- the engine's options ---------------------------------------------------------------

def test_rule_and_chart_selection() -> None:
    rels = [release("a", service("x_y", {"app": "none"})), release("b", pod("p", nodeSelector={
        "role": "none"}))]
    assert ids(verify(rels, NODES)) == ["VFY305", "VFY306", "VFY001"]
    assert ids(verify(rels, NODES, rules=["placement-no-host"])) == ["VFY001"]
    assert ids(verify(rels, NODES, rules=["VFY305"])) == ["VFY305"]
    assert {f.chart for f in verify(rels, NODES, charts=["a"])} == {"a"}
    with pytest.raises(UserError, match="unknown rule"):
        verify(rels, NODES, rules=["VFY999"])


def test_findings_are_sorted_errors_first() -> None:
    soft = Taint("m", "", "PreferNoSchedule")
    rels = [release("z", daemonset("agent")), release("a", pod("p", nodeSelector={"x": "y"}))]
    found = verify(rels, [node("n", {}, soft)])
    assert [(f.severity, f.release) for f in found] == [("error", "a"), ("warning", "z")]


def test_external_from_mapping() -> None:
    ext = External.from_mapping({"services": ["openstack/ceph-mon"], "secrets": ["k"]})
    assert ext.has("services", "openstack", "ceph-mon") and ext.has("secrets", "any", "k")
    assert not ext.has("services", "other", "ceph-mon")
    assert External.from_mapping(None) == External()
    with pytest.raises(UserError, match=r"external\.service: unknown kind"):
        External.from_mapping({"service": ["x"]})
    with pytest.raises(UserError, match="expected a list"):
        External.from_mapping({"secrets": "x"})


# --- readiness: dependencies of dependencies ------------------------------------------

CTL_ONLY = {"nodeSelector": {"role": "ctl"}}


def test_waiting_on_something_that_never_becomes_ready() -> None:
    missing = deployment("db", 1, {"app": "db"}, initContainers=[entrypoint(JOBS="nope")],
                         **CTL_ONLY)
    svc = service("db", {"app": "db"})
    api = deployment("api", 1, {"app": "api"}, initContainers=[
        entrypoint(SERVICE=f"{NS}:db")], **CTL_ONLY)
    sync = job("sync", initContainers=[entrypoint(POD_JSON=pods_json({"app": "api"}, False))],
               **CTL_ONLY)
    found = run(release("a", missing, svc, api, sync))
    assert [(f.rule, f.object) for f in found] == [
        ("VFY109", "Deployment/openstack/api"), ("VFY102", "Deployment/openstack/db"),
        ("VFY109", "Job/openstack/sync")]
    assert "Service openstack/db (Deployment/openstack/db never becomes Ready)" in found[0].reason
    assert found[2].reason.startswith("never completes")


def test_a_dependency_cycle_never_becomes_ready() -> None:
    a = deployment("a", 1, {"app": "a"}, initContainers=[
        entrypoint(POD_JSON=pods_json({"app": "b"}, False))], **CTL_ONLY)
    b = deployment("b", 1, {"app": "b"}, initContainers=[
        entrypoint(POD_JSON=pods_json({"app": "a"}, False))], **CTL_ONLY)
    assert ids(run(release("x", a, b))) == ["VFY109", "VFY109"]


def test_daemonset_dependency_is_per_node() -> None:
    """kubernetes-entrypoint: met on a node without the DaemonSet's pod, or with a Ready one."""
    ovs = daemonset("ovs", {"app": "ovs"}, nodeSelector={"role": "ctl"}, initContainers=[
        entrypoint(POD_JSON=pods_json({"app": "agent"}, True))])
    agent = daemonset("agent", {"app": "agent"},
                      affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                {"nodeSelectorTerms": [{"matchFields": [
                                    {"key": "metadata.name", "operator": "In",
                                     "values": ["ctl-0"]}]}]}}})
    user = daemonset("user", tolerations=ALL, initContainers=[entrypoint(DAEMONSET="ovs")])
    found = run(release("x", ovs, agent, user))
    # ovs lacks its agent on ctl-1: ovs is stuck there, so user is stuck there too; on
    # cmp-0 (no ovs pod) and ctl-0 (a Ready one) user is fine
    got = [(f.rule, f.object, f.hosts) for f in found]
    assert got == [("VFY105", "DaemonSet/openstack/ovs", ("ctl-1",)),
                   ("VFY109", "DaemonSet/openstack/user", ("ctl-1",))]
