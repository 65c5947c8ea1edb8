"""Blast radius: for a change to one host or one profile, which per-host DaemonSets (and nodes)
roll and which stay untouched, on the example application applied to an in-memory cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from deploy_fakes import MemoryReleases

from helmdeck.deploy.apply import execute
from helmdeck.deploy.blast import FamilyImpact, blast_radius, describe
from helmdeck.deploy.deployer import StoreRecorder, current_plan
from helmdeck.overrides.service import OverrideService
from helmdeck.site.load import parse_site_yaml, with_absolute_source
from helmdeck.site.model import Site
from helmdeck.site.nodes import desired_nodes
from helmdeck.store import Store, open_store, sites
from helmdeck.store.secrets import SecretBox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(edit: Any = None) -> Site:
    doc = yaml.safe_load((EXAMPLES / "site.yaml").read_text())
    if edit is not None:
        edit(doc)
    site = parse_site_yaml(yaml.safe_dump(doc), "site.yaml")
    return with_absolute_source(site, EXAMPLES)


@pytest.fixture
def store(tmp_path: Path, helmdeck_home: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as st:
        with st.transaction() as s:
            sites.save_site(s, example())
        yield st


@pytest.fixture
def applied(store: Store) -> OverrideService:
    """The example site, planned and applied (recorded) once."""
    service = OverrideService(store, box=SecretBox(Fernet.generate_key()), actor="tester")
    execute(current_plan(service), MemoryReleases(), recorder=StoreRecorder(store))
    assert current_plan(service).changes() == []
    return service


def _replan(service: OverrideService, site: Site, current: Site | None = None
            ) -> list[FamilyImpact]:
    with service.store.transaction() as s:
        sites.save_site(s, site)
    labels = {n.name: n.labels for n in desired_nodes(current)} if current else None
    return blast_radius(current_plan(service), site, service.plugins, labels)


def _by_key(impacts: list[FamilyImpact]) -> dict[str, FamilyImpact]:
    return {f.key: f for f in impacts}


def _host(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in doc["spec"]["hosts"] if h["name"] == name)


def test_a_profile_edit_rolls_its_daemonset_only(applied: OverrideService) -> None:
    def more_shared_cpus(doc: dict[str, Any]) -> None:
        doc["spec"]["profiles"]["compute-b"]["compute"]["cpu_shared_set"] = "0-9"
        doc["spec"]["profiles"]["compute-b"]["compute"]["cpu_dedicated_set"] = "10-63"

    impacts = _by_key(_replan(applied, example(more_shared_cpus)))
    nova = impacts["nova_compute"]
    assert nova.rolling == ("cmp-2", "cmp-3")
    assert nova.untouched == ("cmp-0", "cmp-1")
    changed = [d for d in nova.daemonsets if d.change != "unchanged"]
    assert [(d.change, d.nodes) for d in changed] == [("changed", ("cmp-2", "cmp-3"))]
    # CPU sets are nova's alone: every other per-host DaemonSet stays as it is.
    assert [k for k, f in impacts.items() if f.rolling] == ["nova_compute"]


def test_moving_a_host_rolls_the_two_daemonsets_concerned(applied: OverrideService) -> None:
    before = example()

    def move(doc: dict[str, Any]) -> None:
        _host(doc, "cmp-0")["profile"] = "compute-b"

    after = example(move)
    impacts = _by_key(_replan(applied, after, current=before))
    # No release changes: the rules stay, only cmp-0's node label does.
    assert all(d.change == "unchanged" for f in impacts.values() for d in f.daemonsets)
    rolled = {k: f.rolling for k, f in impacts.items() if f.rolling}
    assert rolled == {"nova_compute": ("cmp-0",), "neutron_ovs-agent": ("cmp-0",),
                      "neutron_sriov-agent": ("cmp-0",)}
    nova = impacts["nova_compute"]
    (old, new) = nova.moved["cmp-0"]
    rolling = {d.name for d in nova.daemonsets if d.rolling}
    assert rolling == {new} and old is not None and old != new
    assert {d.name: d.nodes for d in nova.daemonsets}[new] == ("cmp-0", "cmp-2", "cmp-3")
    sriov = impacts["neutron_sriov-agent"]
    assert sriov.moved["cmp-0"][0] is None  # it had no SR-IOV agent before (no sriov label)
    lines = "\n".join(describe(list(impacts.values()), labels_compared=True))
    assert "> cmp-0 moves from DaemonSet/" in lines
    assert "= libvirt libvirt_libvirt: untouched (4 nodes)" in lines


def test_a_host_deviating_keeps_the_profile_rules(applied: OverrideService) -> None:
    """A host's own key forms a derived group, whose rule goes before the profiles' rules:
    helm-toolkit names a rule after the rules below it, so the profiles' DaemonSets (and their
    pods) stay; only derived rules listed above it (cmp-1's) and the default are renamed."""

    def deviate(doc: dict[str, Any]) -> None:
        _host(doc, "cmp-2")["compute"] = {"reserved_host_memory_mb": 16384}

    before = example()
    impacts = _by_key(_replan(applied, example(deviate), current=before))
    nova = impacts["nova_compute"]
    assert nova.rolling == ("cmp-1", "cmp-2")
    assert nova.untouched == ("cmp-0", "cmp-3")
    by_node = {n: d for d in nova.daemonsets for n in d.nodes}
    assert by_node["cmp-0"].change == by_node["cmp-3"].change == "unchanged"
    assert by_node["cmp-2"].change == "added" and nova.moved["cmp-2"][1] == by_node["cmp-2"].name
    removed = sorted(d.name for d in nova.daemonsets if d.change == "removed")
    assert [r.rsplit("-", 1)[0] for r in removed] == ["nova-compute-default",
                                                      "nova-compute-helmdeck-profile"]
