"""The test cluster's contract (tests/cluster/), checked against its live API server.

One dedicated cluster proves what ``up`` and ``down`` promise (nodes named as the site's hosts,
nothing added to them, every process gone after ``down``); the workload checks share the run's
cluster (support.cluster.shared_cluster), each in a namespace of its own.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kube_env import wait_for
from lightkube import ApiError, codecs
from lightkube.resources.apps_v1 import DaemonSet, Deployment
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import Event, Namespace, Node, Pod
from support.cluster import SCRIPTS, Cluster, dedicated_cluster, shared_cluster

# The kubelet's own labels; the node lifecycle controller mirrors os/arch to the beta labels.
KUBELET_LABELS = {
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
}
IMAGE = "registry.k8s.io/pause:3.10"  # never pulled: KWOK nodes run no containers


def condition(obj: Any, kind: str) -> str | None:
    for cond in (obj.status and obj.status.conditions) or []:
        if cond.type == kind:
            return str(cond.status)
    return None


def api_get(cluster: Cluster, path: str) -> Any:
    """GET PATH as cluster admin with plain httpx (client certificate, verified server)."""
    pki = cluster.dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    resp = httpx.get(cluster.server + path, verify=ctx, timeout=10)
    resp.raise_for_status()
    return resp.json()


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from shared_cluster(tmp_path_factory)


@pytest.fixture
def namespace(kube: Cluster) -> Iterator[str]:
    client = kube.client()
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    client.create(
        codecs.from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    )
    # Pods need the namespace's default ServiceAccount: made by the serviceaccount controller.
    wait_for(lambda: _has_default_sa(kube, name), f"ServiceAccount {name}/default", 30)
    yield name
    client.delete(Namespace, name)


def _has_default_sa(kube: Cluster, ns: str) -> bool:
    try:
        api_get(kube, f"/api/v1/namespaces/{ns}/serviceaccounts/default")
    except httpx.HTTPStatusError:
        return False
    return True


def test_up_gives_the_site_hosts_as_ready_nodes_and_down_removes_everything(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site.yaml"
    # Site labels and taints are helmdeck's business: up must not apply them.
    site.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "helmdeck/v1",
                "kind": "Site",
                "metadata": {"name": "smoke"},
                "spec": {
                    "hosts": [
                        {"name": "ctl-0", "roles": ["controller"]},
                        {"name": "net-0", "roles": ["network"]},
                        {
                            "name": "cmp-0",
                            "roles": ["compute"],
                            "labels": {"hardware": "gpu"},
                            "taints": [{"key": "species", "value": "gpu", "effect": "NoSchedule"}],
                        },
                    ]
                },
            }
        )
    )
    cluster_dir = tmp_path / "cluster"
    with dedicated_cluster(cluster_dir, site) as cluster:
        assert (cluster.kubeconfig.stat().st_mode & 0o777) == 0o600
        assert api_get(cluster, "/version")["gitVersion"] == "v1.37.2"
        nodes = list(cluster.client().list(Node))
        assert sorted(n.metadata.name for n in nodes) == ["cmp-0", "ctl-0", "net-0"]
        for n in nodes:
            assert condition(n, "Ready") == "True", n.metadata.name
            assert set(n.metadata.labels) == KUBELET_LABELS, n.metadata.labels
            assert n.metadata.labels["kubernetes.io/hostname"] == n.metadata.name
            assert not n.spec.taints, n.spec.taints
            assert n.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
            assert n.status.allocatable["cpu"] == "64"
            assert n.status.allocatable["pods"] == "250"
        pids = cluster.pids()
        assert sorted(pids) == sorted(
            ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
        )
        assert all(alive(pid) for pid in pids.values())
    # dedicated_cluster ran tests/cluster/down on exit.
    assert not any(alive(pid) for pid in pids.values()), pids
    assert not cluster_dir.exists()
    subprocess.run([str(SCRIPTS / "down"), str(cluster_dir)], check=True)  # idempotent


def test_deployment_becomes_ready(kube: Cluster, namespace: str) -> None:
    client = kube.client(namespace)
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": IMAGE}]},
                    },
                },
            }
        )
    )

    def rolled_out() -> bool:
        d = client.get(Deployment, "web")
        return bool(d.status and d.status.availableReplicas == 3 and d.status.updatedReplicas == 3)

    wait_for(rolled_out, "Deployment web available")
    pods = list(client.list(Pod, labels={"app": "web"}))
    assert len(pods) == 3
    for p in pods:
        assert p.status.phase == "Running"
        assert p.status.podIP
        assert p.spec.nodeName in kube.nodes


def test_daemonset_runs_one_pod_per_node(kube: Cluster, namespace: str) -> None:
    client = kube.client(namespace)
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "agent"},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "template": {
                        "metadata": {"labels": {"app": "agent"}},
                        "spec": {
                            "hostNetwork": True,
                            "initContainers": [{"name": "init", "image": IMAGE}],
                            "containers": [{"name": "agent", "image": IMAGE}],
                        },
                    },
                },
            }
        )
    )

    def all_ready() -> bool:
        ds = client.get(DaemonSet, "agent")
        s = ds.status
        return bool(
            s and s.desiredNumberScheduled == len(kube.nodes) and s.numberReady == len(kube.nodes)
        )

    wait_for(all_ready, "DaemonSet agent ready on every node")
    pods = list(client.list(Pod, labels={"app": "agent"}))
    assert sorted(p.spec.nodeName for p in pods) == sorted(kube.nodes)
    for p in pods:
        assert condition(p, "Ready") == "True"
        assert p.status.initContainerStatuses[0].state.terminated.reason == "Completed"


def test_job_completes(kube: Cluster, namespace: str) -> None:
    client = kube.client(namespace)
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "db-sync"},
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "sync", "image": IMAGE}],
                        }
                    },
                },
            }
        )
    )
    wait_for(
        lambda: condition(client.get(Job, "db-sync"), "Complete") == "True", "Job db-sync Complete"
    )
    job = client.get(Job, "db-sync")
    assert job.status.succeeded == 1
    pods = list(client.list(Pod, labels={"job-name": "db-sync"}))
    assert [p.status.phase for p in pods] == ["Succeeded"]


def test_unschedulable_pod_stays_pending(kube: Cluster, namespace: str) -> None:
    client = kube.client(namespace)
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "nowhere"},
                "spec": {
                    "nodeSelector": {"kubernetes.io/hostname": "no-such-host"},
                    "containers": [{"name": "c", "image": IMAGE}],
                },
            }
        )
    )

    def failed_scheduling() -> bool:
        events = client.list(Event, fields={"involvedObject.name": "nowhere"})
        return any(e.reason == "FailedScheduling" for e in events)

    wait_for(failed_scheduling, "a FailedScheduling event for pod nowhere", 30)
    time.sleep(1)
    pod = client.get(Pod, "nowhere")
    assert pod.status.phase == "Pending"
    assert not pod.spec.nodeName
    assert condition(pod, "PodScheduled") == "False"
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert scheduled.reason == "Unschedulable"

    # Deletion goes through KWOK's pod-delete stage for bound pods; this one is gone at once.
    client.delete(Pod, "nowhere")

    def deleted() -> bool:
        try:
            client.get(Pod, "nowhere")
        except ApiError as err:
            return err.status.code == 404
        return False

    wait_for(deleted, "pod nowhere deleted", 30)


def test_bound_pod_deletion_completes(kube: Cluster, namespace: str) -> None:
    client = kube.client(namespace)
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "bound"},
                "spec": {"containers": [{"name": "c", "image": IMAGE}]},
            }
        )
    )
    wait_for(lambda: condition(client.get(Pod, "bound"), "Ready") == "True", "pod bound Ready")
    client.delete(Pod, "bound")

    def deleted() -> bool:
        try:
            client.get(Pod, "bound")
        except ApiError as err:
            return err.status.code == 404
        return False

    wait_for(deleted, "pod bound deleted (KWOK pod-delete stage)", 30)


def test_build_without_go_says_so(tmp_path: Path) -> None:
    # A PATH with what the script needs but no go: one clear line, exit 3 (a skip off CI).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "dirname"):
        found = next(
            (
                Path(d) / tool
                for d in os.environ["PATH"].split(os.pathsep)
                if (Path(d) / tool).exists()
            ),
            None,
        )
        assert found, tool
        (bindir / tool).symlink_to(found)
    proc = subprocess.run(
        [str(bindir / "bash"), str(SCRIPTS / "build")],
        capture_output=True,
        text=True,
        env={"PATH": str(bindir), "HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0
    assert "Go toolchain not found" in proc.stderr
