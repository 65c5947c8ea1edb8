"""Profile groups and the per-host rules built from them (properties over random sites).

N computes with K distinct configurations give K+1 DaemonSets, whatever N; every compute's
DaemonSet (judged by its node selector terms against the labels ``nodes apply`` sets) carries
exactly that compute's configuration, its own keys winning over its profile's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from plugin_sites import snapshot
from support import as_site, site_doc

from helmdeck.chart import chart_defaults
from helmdeck.plugin import PROFILE_LABEL, Form, daemonsets, runs_on
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.nodes import desired_nodes
from helmdeck.site.profiles import host_groups
from helmdeck.values.merge import coalesce

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "charts"
NOVA_VALUES = coalesce(chart_defaults(EXAMPLES / "nova"), {})
CPUS = ("4-15", "8-31", "16-63", "2-3")
MEMORY = (2048, 4096, 0)

compute_keys = st.fixed_dictionaries({}, optional={
    "cpu_dedicated_set": st.sampled_from(CPUS),
    "reserved_host_memory_mb": st.sampled_from(MEMORY),
})
profiles = st.dictionaries(st.sampled_from(["p0", "p1", "p2", "p3"]),
                           st.builds(lambda c: {"compute": c}, compute_keys), max_size=4)


@st.composite
def sites(draw: st.DrawFn) -> dict[str, Any]:
    named = draw(profiles)
    n = draw(st.integers(min_value=1, max_value=14))
    hosts: list[dict[str, Any]] = [{"name": "ctl-0", "roles": ["controller"]}]
    for i in range(n):
        host: dict[str, Any] = {"name": f"cmp-{i}", "roles": ["compute"]}
        profile = draw(st.sampled_from([None, *sorted(named)]))
        if profile is not None:
            host["profile"] = profile
        own = draw(st.one_of(st.just({}), compute_keys))
        if own:
            host["compute"] = own
        hosts.append(host)
    return site_doc(hosts, profiles=named)


def _expected(doc: dict[str, Any], host: dict[str, Any]) -> dict[str, Any]:
    """The host's nova conf, written independently of helmdeck: its own keys over its profile's."""
    keys: dict[str, Any] = {}
    profile = host.get("profile")
    if profile is not None:
        keys.update(doc["spec"]["profiles"][profile].get("compute", {}))
    keys.update(host.get("compute", {}))
    conf: dict[str, Any] = {}
    if "cpu_dedicated_set" in keys:
        conf.setdefault("nova", {}).setdefault("compute", {})["cpu_dedicated_set"] = keys[
            "cpu_dedicated_set"]
    if "reserved_host_memory_mb" in keys:
        conf.setdefault("nova", {}).setdefault("DEFAULT", {})["reserved_host_memory_mb"] = keys[
            "reserved_host_memory_mb"]
    return conf


def _nova(site_doc_: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    site = as_site(site_doc_)
    snap = snapshot(site)
    plugin = load_plugins()["nova"]
    return site, plugin.overrides(snap, snap.releases["nova"], NOVA_VALUES).values


@settings(max_examples=150, deadline=None)
@given(doc=sites())
def test_k_configurations_give_k_plus_one_daemonsets(doc: dict[str, Any]) -> None:
    site, values = _nova(doc)
    computes = [h for h in doc["spec"]["hosts"] if "compute" in h["roles"]]
    distinct = {json.dumps(_expected(doc, h), sort_keys=True) for h in computes}
    # A declared profile keeps its rule without hosts (moving hosts changes no release).
    distinct |= {json.dumps(_expected(doc, {"profile": p}), sort_keys=True)
                 for p in doc["spec"]["profiles"]}
    distinct.discard("{}")
    made = daemonsets(Form.CONF, "nova_compute", values)
    assert len(made) == len(distinct) + 1

    labels = {n.name: n.labels for n in desired_nodes(site)}
    for host in computes:
        on = [d for d in made if runs_on(d, host["name"], labels[host["name"]])]
        assert len(on) == 1, host
        assert (on[0].overrides.get("conf") or {}) == _expected(doc, host), host


@settings(max_examples=100, deadline=None)
@given(doc=sites())
def test_groups_are_identical_hosts_and_named_after_profiles(doc: dict[str, Any]) -> None:
    site = as_site(doc)
    groups = host_groups(site)
    by_host = {h["name"]: h for h in doc["spec"]["hosts"]}
    seen: set[str] = set()
    for group in groups:
        if not group.hosts:  # a declared profile no host uses keeps its (empty) group
            assert group.label == group.profile in doc["spec"]["profiles"]
            continue
        configs = {json.dumps(_expected(doc, by_host[h.name]), sort_keys=True)
                   for h in group.hosts}
        assert len(configs) == 1, group.label  # identical within a group
        seen.update(h.name for h in group.hosts)
        profiles_ = {by_host[h.name].get("profile") for h in group.hosts}
        assert len(profiles_) == 1 and group.profile in profiles_
        if not group.derived:
            assert group.label == group.profile
        else:
            assert group.label.startswith(f"{group.profile or 'host'}.")
    for name, host in by_host.items():
        grouped = host.get("profile") is not None or bool(host.get("compute"))
        assert (name in seen) == grouped
    assert {g.label for g in groups if not g.derived} == set(doc["spec"]["profiles"])
    labels = {n.name: n.labels.get(PROFILE_LABEL) for n in desired_nodes(site)}
    assert {n for n, v in labels.items() if v is not None} == seen


def test_a_host_that_repeats_its_profile_stays_in_it() -> None:
    doc = site_doc([{"name": "ctl-0", "roles": ["controller"]},
                    {"name": "cmp-0", "roles": ["compute"], "profile": "a"},
                    {"name": "cmp-1", "roles": ["compute"], "profile": "a",
                     "compute": {"cpu_dedicated_set": "4-15"}},
                    {"name": "cmp-2", "roles": ["compute"], "profile": "a",
                     "compute": {"cpu_dedicated_set": "8-15"}}],
                   profiles={"a": {"compute": {"cpu_dedicated_set": "4-15"}}})
    groups = {g.label: [h.name for h in g.hosts] for g in host_groups(as_site(doc))}
    derived = next(label for label in groups if label != "a")
    assert groups == {"a": ["cmp-0", "cmp-1"], derived: ["cmp-2"]}
    assert derived.startswith("a.") and len(derived) <= 63


def test_profile_edit_keeps_a_deviating_hosts_label() -> None:
    """A deviation is named after what differs, so editing the profile keeps the label."""
    def label(profile_cpus: str) -> str:
        doc = site_doc([{"name": "ctl-0", "roles": ["controller"]},
                        {"name": "cmp-0", "roles": ["compute"], "profile": "a",
                         "compute": {"reserved_host_memory_mb": 1024}}],
                       profiles={"a": {"compute": {"cpu_dedicated_set": profile_cpus}}})
        return host_groups(as_site(doc))[0].label

    assert label("4-15") == label("8-15")
