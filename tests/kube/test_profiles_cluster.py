"""Profiles on the live cluster: the example application on a site with several profiles.

On a cluster of the test's own (moving a host relabels its node, which the shared cluster's
other tests schedule by): ``nodes apply`` then ``apply``; every per-host DaemonSet's pods run on
exactly the hosts of its profile (the default DaemonSet on the rest), each mounting a Secret
with its profile's configuration. Then one host moves to another profile (``site import`` of
the edited site, ``nodes apply``, ``apply``): no release changes and no DaemonSet is updated;
the host's pods leave its old profile's DaemonSet for the new one's, and every other pod stays
as it was. What is expected is written from the site document, not from helmdeck's code.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_env import Deck, example_site, wait_for
from lightkube import Client
from lightkube.resources.apps_v1 import DaemonSet
from lightkube.resources.core_v1 import Node, Pod, Secret
from support.cluster import Cluster, dedicated_cluster

from helmdeck.plugin import PROFILE_LABEL

# Few hosts: one per profile, one deviating from its profile, one compute in no profile.
HOSTS: list[dict[str, Any]] = [
    {"name": "ctl-0", "roles": ["controller"], "zone": "az1"},
    {"name": "net-0", "roles": ["network"], "zone": "az1", "profile": "network"},
    {"name": "cmp-0", "roles": ["compute"], "zone": "az1", "profile": "compute-a"},
    {"name": "cmp-1", "roles": ["compute"], "zone": "az1", "profile": "compute-a",
     "compute": {"reserved_host_memory_mb": 8192}},
    {"name": "cmp-2", "roles": ["compute"], "zone": "az2", "profile": "compute-b"},
    {"name": "cmp-4", "roles": ["compute"], "zone": "az2"},
]
COMPUTES = ("cmp-0", "cmp-1", "cmp-2", "cmp-4")
OVS_HOSTS = ("ctl-0", "net-0", *COMPUTES)
# The families of per-host DaemonSets: pod name prefix -> (Secret key, lines it must hold).
NOVA, OVS, SRIOV = "nova-compute-", "neutron-ovs-agent-", "neutron-sriov-agent-"


def site() -> dict[str, Any]:
    doc = example_site()
    doc["spec"]["hosts"] = copy.deepcopy(HOSTS)
    return doc


def nova_lines(doc: dict[str, Any], host: str) -> set[str]:
    """The nova.conf lines the host's compute tuning asks for (its keys over its profile's)."""
    entry = next(h for h in doc["spec"]["hosts"] if h["name"] == host)
    profile = doc["spec"]["profiles"].get(entry.get("profile"), {})
    tuning = {**profile.get("compute", {}), **entry.get("compute", {})}
    lines = {f"{k} = {tuning[k]}" for k in ("cpu_dedicated_set", "cpu_shared_set",
                                            "reserved_host_memory_mb") if k in tuning}
    for sriov in profile.get("interfaces", {}).get("sriov", []):
        lines.add(f'device_spec = {{"devname": "{sriov["device"]}", '
                  f'"physical_network": "{sriov["physnet"]}"}}')
    return lines


def ovs_lines(doc: dict[str, Any], host: str) -> set[str]:
    """openvswitch_agent.ini's bridge mappings and the NICs plugged into the bridges."""
    entry = next(h for h in doc["spec"]["hosts"] if h["name"] == host)
    bridges = doc["spec"]["profiles"].get(entry.get("profile"), {}).get(
        "interfaces", {}).get("bridges", {})
    physnets = {n["bridge"]: n["physnet"] for n in doc["spec"]["network"]["provider_networks"]
                if "bridge" in n}
    mappings = ",".join(sorted(f"{physnets[b]}:{b}" for b in bridges))
    return {f"bridge_mappings = {mappings}".rstrip(),
            "auto_bridge_add: " + yaml.safe_dump(dict(sorted(bridges.items())),
                                                 default_flow_style=True).strip()}


def sriov_lines(doc: dict[str, Any], host: str) -> set[str]:
    entry = next(h for h in doc["spec"]["hosts"] if h["name"] == host)
    devices = doc["spec"]["profiles"].get(entry.get("profile"), {}).get(
        "interfaces", {}).get("sriov", [])
    return {"physical_device_mappings = " + ",".join(
        f"{d['physnet']}:{d['device']}" for d in devices)}


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("profiles")
    site_file = directory / "site.yaml"
    site_file.write_text(yaml.safe_dump(site()))
    with dedicated_cluster(directory / "cluster", site_file) as cluster:
        yield cluster


@pytest.fixture
def profiles_deck(own_cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> Deck:
    monkeypatch.setenv("HOME", str(tmp_path))
    d = Deck(tmp_path / "home", "openstack", own_cluster, capsys, monkeypatch)
    d.use()
    return d


Pods = dict[str, dict[str, str]]  # DaemonSet -> node -> pod uid


def settled(client: Client, namespace: str) -> tuple[Pods, dict[str, int]] | None:
    """Every DaemonSet's pods by node and its generation, once the DaemonSet controller has
    acted on the current node labels (one Ready pod per scheduled node, none terminating)."""
    daemonsets = list(client.list(DaemonSet, namespace=namespace))
    pods = list(client.list(Pod, namespace=namespace))
    by_ds: Pods = {ds.metadata.name: {} for ds in daemonsets}
    for pod in pods:
        owner = next((o for o in pod.metadata.ownerReferences or [] if o.kind == "DaemonSet"),
                     None)
        if owner is None:
            continue
        if pod.metadata.deletionTimestamp or not pod.spec.nodeName:
            return None
        ready = {c.type: c.status for c in pod.status.conditions or []}.get("Ready")
        if ready != "True":
            return None
        by_ds.setdefault(owner.name, {})[pod.spec.nodeName] = pod.metadata.uid
    for ds in daemonsets:
        st = ds.status
        if (st is None or st.observedGeneration != ds.metadata.generation
                or st.desiredNumberScheduled != len(by_ds[ds.metadata.name])
                or st.numberReady != st.desiredNumberScheduled):
            return None
    return by_ds, {ds.metadata.name: ds.metadata.generation for ds in daemonsets}


def secret_lines(client: Client, namespace: str, ds_name: str) -> set[str]:
    """The lines of the per-rule Secret the DaemonSet's pods mount (every key, stripped)."""
    ds = client.get(DaemonSet, ds_name, namespace=namespace)
    names = [v.secret.secretName for v in ds.spec.template.spec.volumes or [] if v.secret]
    assert len(names) == 1, (ds_name, names)
    secret = client.get(Secret, names[0], namespace=namespace)
    lines = set()
    for key, data in (secret.data or {}).items():
        text = base64.b64decode(data or "").decode()
        if key == "auto_bridge_add":
            found = yaml.safe_load(text) or {}
            text = "auto_bridge_add: " + yaml.safe_dump(dict(sorted(found.items())),
                                                        default_flow_style=True).strip()
        lines |= {ln.strip() for ln in text.splitlines()}
    return lines


def family(pods: Pods, prefix: str) -> dict[str, str]:
    """node -> the DaemonSet of the family running on it (exactly one per node)."""
    out: dict[str, str] = {}
    for ds, nodes in pods.items():
        if ds.startswith(prefix):
            for node in nodes:
                assert node not in out, f"{node} runs {out[node]} and {ds}"
                out[node] = ds
    return out


def check_placement(client: Client, doc: dict[str, Any], pods: Pods) -> None:
    """Each family's DaemonSets: one per node of the hosts it runs on, hosts with equal settings
    (same profile label) on one DaemonSet, each Secret carrying its hosts' settings."""
    labels = {n.metadata.name: (n.metadata.labels or {}).get(PROFILE_LABEL)
              for n in client.list(Node)}
    sriov_hosts = tuple(h["name"] for h in doc["spec"]["hosts"]
                        if doc["spec"]["profiles"].get(h.get("profile"), {}).get(
                            "interfaces", {}).get("sriov"))
    for prefix, hosts, expect in ((NOVA, COMPUTES, nova_lines), (OVS, OVS_HOSTS, ovs_lines),
                                  (SRIOV, sriov_hosts, sriov_lines)):
        on = family(pods, prefix)
        assert sorted(on) == sorted(hosts), prefix
        for host in hosts:
            lines = secret_lines(client, "openstack", on[host])
            assert expect(doc, host) <= lines, (host, on[host], expect(doc, host) - lines)
            peers = {h for h in hosts if labels[h] == labels[host]}
            if labels[host] is None:
                assert "-default-" in on[host], (host, on[host])
            elif prefix == NOVA:  # nova's settings differ per label: one DaemonSet each
                assert set(pods[on[host]]) == peers, (host, on[host])
            else:  # equal agent settings share a rule (cmp-1 deviates in nova's keys only)
                assert set(pods[on[host]]) >= peers, (host, on[host])
        if prefix == NOVA:
            assert "cpu_dedicated_set" not in " ".join(secret_lines(client, "openstack",
                                                                    on["cmp-4"]))


def test_profiles_place_and_move_on_the_cluster(profiles_deck: Deck,
                                                own_cluster: Cluster) -> None:
    deck, client = profiles_deck, own_cluster.client()
    doc = site()
    deck.site(doc)
    _, out, _ = deck.run("nodes", "plan")
    assert f"{PROFILE_LABEL}=compute-a" in out and f"{PROFILE_LABEL}=compute-b" in out
    deck.run("nodes", "apply")
    _, out, _ = deck.run("apply")
    assert "failed 0, skipped 0" in out
    before, generations = wait_for(lambda: settled(client, "openstack"), "DaemonSets settled",
                                   120)
    labels = {n.metadata.name: (n.metadata.labels or {}).get(PROFILE_LABEL)
              for n in client.list(Node)}
    assert labels["cmp-0"] == "compute-a" and labels["cmp-2"] == "compute-b"
    assert labels["cmp-1"].startswith("compute-a.") and labels["cmp-4"] is None
    check_placement(client, doc, before)
    revisions = deck.revisions()

    # cmp-0 moves from compute-a to compute-b.
    old_nova, new_nova = family(before, NOVA)["cmp-0"], family(before, NOVA)["cmp-2"]
    old_ovs, new_ovs = family(before, OVS)["cmp-0"], family(before, OVS)["cmp-2"]
    new_sriov = family(before, SRIOV)["cmp-2"]
    moved = copy.deepcopy(doc)
    next(h for h in moved["spec"]["hosts"] if h["name"] == "cmp-0")["profile"] = "compute-b"
    deck.site(moved)
    deck.run("nodes", "apply")
    deck.run("apply")
    assert deck.revisions() == revisions  # no release changed: the rules were already there

    def moved_over() -> tuple[Pods, dict[str, int]] | None:
        found = settled(client, "openstack")
        if found is None:
            return None
        pods = found[0]
        there = all("cmp-0" in pods.get(ds, {}) for ds in (new_nova, new_ovs, new_sriov))
        gone = all("cmp-0" not in pods.get(ds, {}) for ds in (old_nova, old_ovs))
        return found if there and gone else None

    after, generations_after = wait_for(moved_over, "cmp-0's pods on compute-b's DaemonSets",
                                        120)
    assert generations_after == generations  # no DaemonSet was updated
    check_placement(client, moved, after)

    # Only the two DaemonSets concerned per family changed their pods: the old profile's lost
    # cmp-0, the new one's gained it (SR-IOV: cmp-0 had no agent before); every other pod,
    # cmp-0's own in families without per-profile rules included, is the same pod as before.
    changed = {ds for ds in set(before) | set(after) if before.get(ds) != after.get(ds)}
    assert changed == {old_nova, new_nova, old_ovs, new_ovs, new_sriov}
    for old, new in ((old_nova, new_nova), (old_ovs, new_ovs)):
        assert set(before[old]) - set(after[old]) == {"cmp-0"}
        assert set(after[new]) - set(before[new]) == {"cmp-0"}
    for ds in (old_nova, new_nova, old_ovs, new_ovs, new_sriov):
        for node in set(before[ds]) & set(after[ds]):
            assert before[ds][node] == after[ds][node], (ds, node)
