"""Blast radius: which per-host DaemonSets, and so which nodes, a plan rolls, and which it leaves.

A change to one host or profile reaches the cluster two ways: through the releases (a profile's
rule changes, so its DaemonSet's Secret and pod template change; a rule appears or goes, so
helm-toolkit renames DaemonSets named after it) and through the node labels (a host moved to
another profile group leaves one DaemonSet for another when ``nodes apply`` relabels it, with
no release changing at all). Both are computed here from what ``plan`` already has: each
release's desired values (the per-host rules, named as helm-toolkit names them, see
``helmdeck.plugin.daemonsets``), the objects the plan found changed, the site's node labels and,
when a cluster answers, the labels the nodes carry now.

A node rolls when the DaemonSet that will run on it is added or changed, or when its labels
move it to another DaemonSet; every other node of the chart keeps its pod untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lightkube.resources.core_v1 import Node

from helmdeck.deploy.plan import Plan, PlanItem
from helmdeck.errors import ClusterError
from helmdeck.kube.client import CONNECTION_ERRORS, kube_client
from helmdeck.plugin import (
    ChartPlugin,
    PerHost,
    RuleDaemonSet,
    SiteFacts,
    daemonsets,
    get,
    runs_on,
)
from helmdeck.plugins.registry import Plugins
from helmdeck.site.model import Site
from helmdeck.site.nodes import desired_nodes

Labels = Mapping[str, Mapping[str, str]]
SHOWN = 6
_NO_CLUSTER: tuple[type[BaseException], ...] = (ClusterError, *CONNECTION_ERRORS)


@dataclass(frozen=True)
class DaemonSetImpact:
    """One DaemonSet helm-toolkit makes: how the plan changes it, where it runs afterwards, and
    on which of those nodes its pod is (re)created."""

    name: str
    change: str  # added | changed | unchanged | removed
    nodes: tuple[str, ...]
    rolling: tuple[str, ...]


@dataclass(frozen=True)
class FamilyImpact:
    """A per-host DaemonSet of a chart (``nova_compute``) and its DaemonSets after the plan.

    ``moved``: node -> (DaemonSet it runs now, DaemonSet it will run) for nodes whose labels
    move them (only known when the cluster's labels were read).
    """

    chart: str
    key: str
    daemonsets: tuple[DaemonSetImpact, ...]
    moved: Mapping[str, tuple[str | None, str]]

    @property
    def rolling(self) -> tuple[str, ...]:
        return tuple(sorted({n for d in self.daemonsets for n in d.rolling}))

    @property
    def untouched(self) -> tuple[str, ...]:
        rolling = set(self.rolling)
        return tuple(sorted({n for d in self.daemonsets for n in d.nodes} - rolling))


def current_node_labels() -> dict[str, dict[str, str]] | None:
    """The labels every node of the configured cluster carries, or None without a cluster."""
    try:
        client = kube_client()
        return {n.metadata.name: dict(n.metadata.labels or {})
                for n in client.list(Node) if n.metadata is not None and n.metadata.name}
    except _NO_CLUSTER:
        return None


def _changes(item: PlanItem) -> dict[str, str]:
    """DaemonSet name -> added | changed | removed, from the plan's changed objects."""
    out: dict[str, str] = {}
    for entry in item.changed_objects:
        key, _, how = entry.partition(" (")
        kind, _, name = key.partition("/")
        if kind == "DaemonSet" and "/" not in name:
            out[name] = how.rstrip(")")
    return out


def _known(item: PlanItem) -> set[str]:
    """Names of the DaemonSets the release renders or rendered at its last apply."""
    keys = set(item.digests) | set(item.applied.manifest_digests if item.applied else {})
    return {k.split("/", 1)[1] for k in keys if k.startswith("DaemonSet/")}


def _on(made: list[RuleDaemonSet], base: tuple[str, str] | None, node: str,
        labels: Mapping[str, str]) -> str | None:
    """The DaemonSet whose pod runs on the node with these labels, if any."""
    if base is not None and labels.get(base[0]) != base[1]:
        return None
    for ds in made:
        if runs_on(ds, node, labels):
            return ds.name
    return None


def _selector(values: Mapping[str, Any], ds: PerHost) -> tuple[str, str] | None:
    """The family's own node selector (``labels.<path>``), when the values spell it."""
    key = get(values, ("labels", *ds.selector, "node_selector_key"), None)
    value = get(values, ("labels", *ds.selector, "node_selector_value"), None)
    return (str(key), str(value)) if ds.selector and key is not None and value is not None \
        else None


def _family(item: PlanItem, ds: PerHost, facts: SiteFacts, desired: Labels,
            current: Labels | None) -> FamilyImpact | None:
    assert item.desired is not None
    made = daemonsets(ds.form, ds.key, item.desired.values)
    base = _selector(item.desired.values, ds)
    names = {d.name for d in made}
    changes = _changes(item)
    if not (names & (_known(item) | set(changes))):
        return None  # the chart renders no such DaemonSet
    hosts = [h.name for h in ds.hosts_of(facts)]
    runs: dict[str, list[str]] = {d.name: [] for d in made}
    moved: dict[str, tuple[str | None, str]] = {}
    for host in hosts:
        new = _on(made, base, host, desired.get(host, {}))
        if new is None:
            continue
        runs[new].append(host)
        if current is not None and host in current:
            old = _on(made, base, host, current[host])
            if old != new:
                moved[host] = (old, new)
    impacts = []
    for d in made:
        change = changes.get(d.name, "unchanged")
        rolling = runs[d.name] if change in ("added", "changed") else [
            h for h in runs[d.name] if h in moved]
        impacts.append(DaemonSetImpact(d.name, change, tuple(runs[d.name]), tuple(rolling)))
    impacts += [DaemonSetImpact(name, "removed", (), ()) for name, how in sorted(changes.items())
                if how == "removed" and name not in names and _prefix(name, ds.key)]
    return FamilyImpact(item.chart, ds.key, tuple(impacts), moved)


def _prefix(name: str, key: str) -> bool:
    return name.startswith(key.lower().replace("_", "-") + "-")


def blast_radius(plan: Plan, site: Site, plugins: Plugins,
                 current: Labels | None = None) -> list[FamilyImpact]:
    """Every per-host DaemonSet of the plan's releases, with the nodes that roll and stay.

    ``current``: the nodes' labels in the cluster now (None: assume they already carry the
    site's, so only release changes roll anything).
    """
    desired = {n.name: n.labels for n in desired_nodes(site)}
    facts = SiteFacts.of(site)
    out: list[FamilyImpact] = []
    for item in plan.items:
        plugin = plugins.get(item.chart)
        if item.desired is None or not isinstance(plugin, ChartPlugin):
            continue
        for ds in plugin.spec.per_host:
            impact = _family(item, ds, facts, desired, current)
            if impact is not None:
                out.append(impact)
    return out


def _names(nodes: Iterable[str]) -> str:
    nodes = list(nodes)
    shown = ", ".join(nodes[:SHOWN])
    return f"{shown}, … {len(nodes) - SHOWN} more" if len(nodes) > SHOWN else shown


_MARK = {"added": "+", "changed": "~", "removed": "-", "unchanged": "="}


def describe(impacts: list[FamilyImpact], *, labels_compared: bool) -> list[str]:
    """The plan's per-host section, one line per DaemonSet family and per DaemonSet."""
    if not impacts:
        return []
    rolls = [f for f in impacts if f.rolling]
    nodes = {n for f in impacts for d in f.daemonsets for n in d.nodes}
    rolling = {n for f in rolls for n in f.rolling}
    lines = [f"\nper-host DaemonSets: {len(rolls)} of {len(impacts)} roll, on {len(rolling)} of "
             f"{len(nodes)} nodes" + ("" if labels_compared else
                                      " (node labels not compared: no cluster)")]
    for f in impacts:
        if not f.rolling:
            lines.append(f"  = {f.chart} {f.key}: untouched ({len(f.untouched)} nodes)")
            continue
        lines.append(f"  ~ {f.chart} {f.key}: rolls on {_names(f.rolling)}; untouched on "
                     f"{_names(f.untouched) or 'none'}")
        for d in f.daemonsets:
            state = "rolls" if d.rolling else "untouched"
            where = f": {_names(d.nodes)}" if d.nodes else ": no node"
            change = "" if d.change == "unchanged" else f" ({d.change})"
            lines.append(f"      {_MARK[d.change]} DaemonSet/{d.name}{change}{where} [{state}]")
        for node, (old, new) in sorted(f.moved.items()):
            lines.append(f"      > {node} moves from DaemonSet/{old or '(none)'} to "
                         f"DaemonSet/{new} when nodes apply relabels it")
    return lines
