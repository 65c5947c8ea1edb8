"""``helmdeck nodes apply`` against a live API server, on a cluster of the test's own (the
shared one's labels are what the other cluster tests schedule by)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_env import CHARTS, Deck
from lightkube import Client, KubeConfig
from lightkube.resources.core_v1 import Node
from support.cluster import Cluster, dedicated_cluster

from helmdeck.kube.nodes import MANAGED_LABELS, MANAGED_TAINTS

KUBELET = {"kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
           "beta.kubernetes.io/os", "beta.kubernetes.io/arch"}


def site(hosts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "helmdeck/v1", "kind": "Site", "metadata": {"name": "nodes"},
            "spec": {"public_domain": "cloud.example.com", "hosts": hosts,
                     "charts": {"source": {"path": str(CHARTS)}}}}


HOSTS = [
    {"name": "ctl-0", "roles": ["controller"], "zone": "az1"},
    {"name": "cmp-0", "roles": ["compute"], "zone": "az2", "labels": {"hardware": "gpu"},
     "taints": [{"key": "species", "value": "gpu", "effect": "NoSchedule"}]},
    {"name": "net-0", "roles": ["network"]},
]


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("nodes")
    site_file = directory / "site.yaml"
    site_file.write_text(yaml.safe_dump(site(HOSTS)))
    with dedicated_cluster(directory / "cluster", site_file) as cluster:
        yield cluster


@pytest.fixture
def nodes_deck(own_cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> Deck:
    monkeypatch.setenv("HOME", str(tmp_path))
    d = Deck(tmp_path / "home", "default", own_cluster, capsys, monkeypatch)
    d.use()
    return d


def state(client: Client) -> dict[str, tuple[dict[str, str], set[str], str]]:
    """node -> (labels beyond the kubelet's, taints as text, resourceVersion)."""
    out = {}
    for n in client.list(Node):
        labels = {k: v for k, v in (n.metadata.labels or {}).items() if k not in KUBELET}
        taints = {f"{t.key}={t.value or ''}:{t.effect}" for t in (n.spec.taints or [])}
        out[n.metadata.name] = (labels, taints, n.metadata.resourceVersion)
    return out


def test_nodes_apply_sets_exactly_the_inventory_and_removes_only_its_own(
    nodes_deck: Deck, own_cluster: Cluster
) -> None:
    deck, client = nodes_deck, own_cluster.client()
    deck.site(site(HOSTS))
    # Another tool's label and taint, set before helmdeck ever ran; one of its labels has the
    # very value the inventory asks for.
    other = Client(config=KubeConfig.from_file(own_cluster.kubeconfig), field_manager="kubeadm")
    other.patch(Node, "ctl-0", {"metadata": {"labels": {"installer": "kubeadm",
                                                        "openvswitch": "enabled"}}})
    other.patch(Node, "net-0", {"spec": {"taints": [
        {"key": "maintenance", "value": "soon", "effect": "PreferNoSchedule"}]}})

    _, out, _ = deck.run("nodes", "apply")
    assert out.splitlines() == [
        "ctl-0: set 2 labels",
        "cmp-0: set 4 labels, set 1 taint (species=gpu:NoSchedule)",
        "net-0: set 3 labels",
    ]
    now = state(client)
    assert now["ctl-0"][0] == {"installer": "kubeadm", "openstack-control-plane": "enabled",
                               "openvswitch": "enabled", "topology.kubernetes.io/zone": "az1"}
    assert now["cmp-0"][0] == {"hardware": "gpu", "openstack-compute-node": "enabled",
                               "openvswitch": "enabled", "topology.kubernetes.io/zone": "az2"}
    assert now["cmp-0"][1] == {"species=gpu:NoSchedule"}
    assert now["net-0"][0] == {"openstack-network-node": "enabled", "l3-agent": "enabled",
                               "openvswitch": "enabled"}
    assert now["net-0"][1] == {"maintenance=soon:PreferNoSchedule"}
    ctl = client.get(Node, "ctl-0")
    # openvswitch was there already with the wanted value: not recorded as helmdeck's.
    assert json.loads(ctl.metadata.annotations[MANAGED_LABELS]) == [
        "openstack-control-plane", "topology.kubernetes.io/zone"]

    # Idempotent: nothing is patched the second time (no resourceVersion moves).
    _, out, _ = deck.run("nodes", "apply")
    assert out.splitlines() == ["every node already has its labels and taints"]
    assert state(client) == now

    # The inventory changes: cmp-0 loses its gpu label and taint, ctl-0 its zone and gains
    # the network role; a fresh database must remove the same (the record is on the node).
    changed = [
        {"name": "ctl-0", "roles": ["controller", "network"]},
        {"name": "cmp-0", "roles": ["compute"], "zone": "az2"},
        {"name": "net-0", "roles": ["network"]},
    ]
    deck.home = deck.home.parent / "other-home"
    deck.site(site(changed))
    _, out, _ = deck.run("nodes", "apply")
    assert out.splitlines() == [
        "ctl-0: set 2 labels, removed 1 label (topology.kubernetes.io/zone)",
        "cmp-0: removed 1 label (hardware), removed 1 taint (species=gpu:NoSchedule)",
    ]
    after = state(client)
    # Not helmdeck's: the installer label, and openvswitch (it was there before helmdeck).
    assert after["ctl-0"][0] == {"installer": "kubeadm", "openstack-control-plane": "enabled",
                                 "openstack-network-node": "enabled", "l3-agent": "enabled",
                                 "openvswitch": "enabled"}
    assert after["cmp-0"][0] == {"openstack-compute-node": "enabled", "openvswitch": "enabled",
                                 "topology.kubernetes.io/zone": "az2"}
    assert after["cmp-0"][1] == set()
    assert after["net-0"] == now["net-0"]  # the maintenance taint is never touched
    cmp = client.get(Node, "cmp-0")
    assert MANAGED_TAINTS not in (cmp.metadata.annotations or {})

    # A host with no node: refused, naming it, before anything changes.
    before = state(client)
    deck.site(site([*changed, {"name": "cmp-9", "roles": ["compute"],
                               "labels": {"x": "y"}}]))
    code, out, err = deck.run("nodes", "apply", ok=False)
    assert code == 2 and err.count("\n") == 1
    assert "spec.hosts: node cmp-9 is not in the cluster" in err and "nothing was changed" in err
    assert state(client) == before
