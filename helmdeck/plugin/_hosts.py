"""Per-host DaemonSet overrides: one label rule per group of identical hosts.

A chart plugin declares each DaemonSet of its chart that takes per-host configuration
(``PerHost``: helm-toolkit's key, the form, where it runs, and what one host's copy carries as
a function of the host's settings). ``per_host_overrides`` groups the hosts by their
``helmdeck-profile`` label (hosts in one group have identical settings by construction),
computes each group's values once, and writes one rule per distinct configuration:

* conf form (nova compute, neutron agents): ``conf.overrides.<key>.labels`` rules on the
  profile label, groups with equal values sharing one rule (``values: [a, b]``), so K distinct
  configurations give K+1 DaemonSets whatever the number of hosts;
* root form (libvirt, ovn-controller): ``overrides.<key>.labels."helmdeck-profile::<group>"``.

Groups whose copy would carry nothing run the default DaemonSet. Rules are ordered so the
volatile ones come first: helm-toolkit names a conf-form rule after the rules *below* it, so a
host's own deviation appearing or disappearing renames only the rules above it.

``by_host=True`` writes helm-toolkit's per-host form instead (``hosts: [{name, conf}]``, one
DaemonSet per host): what StarlingX generates, kept for comparison (the bench).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.plugin._daemonsets import HOSTNAME, Form
from helmdeck.plugin._facts import Placement, SiteFacts
from helmdeck.plugin._out import Out
from helmdeck.site.model import Host, Site
from helmdeck.site.profiles import PROFILE_LABEL, ChartConf, HostGroup, Settings
from helmdeck.values.tree import get

Path = tuple[str | int, ...]
MEMBERS_SHOWN = 3


@dataclass
class HostValues:
    """What one host's copy of a DaemonSet carries, with the fact behind each leaf.

    Paths are under ``conf`` for the conf form and under the chart's root for the root form.
    """

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[Path, str] = field(default_factory=dict)

    def set(self, path: Path, value: Any, fact: str) -> None:
        """Set one leaf (a map value is one leaf here) and record why."""
        node = self.values
        for part in path[:-1]:
            child = node.get(str(part))
            if not isinstance(child, dict):
                child = {}
                node[str(part)] = child
            node = child
        node[str(path[-1])] = value
        self.facts[path] = fact

    def merge(self, conf: ChartConf | None, prefix: Path = ()) -> None:
        """Add a free-form per-host ``conf`` tree (``site.profiles`` ChartConf) leaf by leaf."""
        if conf is None:
            return
        for leaf, where in sorted(conf.where.items()):
            value = get(conf.tree, leaf)
            self.set((*prefix, *leaf), value, f"{where}: {_show(value)}")

    def __bool__(self) -> bool:
        return bool(self.values)


HostValuesFn = Callable[[Settings, Site], HostValues]
HostsFn = Callable[[SiteFacts], tuple[Host, ...]]


@dataclass(frozen=True)
class PerHost:
    """A DaemonSet of the chart that takes per-host configuration.

    ``key`` is helm-toolkit's ``<Chart.Name>_<daemonset>`` (``nova_compute``); ``hosts`` where it
    runs (a placement, or a function of the site facts); ``values`` what one host's copy
    carries; ``manifest`` the ``manifests.<flag>`` without which the chart renders no such
    DaemonSet (then nothing is written); ``selector`` the ``labels.<path>`` of its node
    selector (what ``plan`` checks a node's labels against).
    """

    key: str
    form: Form
    hosts: Placement | HostsFn
    values: HostValuesFn
    manifest: str | None = None
    selector: tuple[str, ...] = ()

    def hosts_of(self, facts: SiteFacts) -> tuple[Host, ...]:
        """The hosts the DaemonSet runs on (one of its copies on each)."""
        if isinstance(self.hosts, Placement):
            return facts.hosts_for(self.hosts)[0]
        return self.hosts(facts)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _members(group: HostGroup, hosts: list[Host]) -> str:
    if not hosts:
        return f"{PROFILE_LABEL}={group.label}: no host yet"
    names = ", ".join(h.name for h in hosts[:MEMBERS_SHOWN])
    more = len(hosts) - MEMBERS_SHOWN
    shown = f"{names}, … {more} more" if more > 0 else names
    return f"{PROFILE_LABEL}={group.label}: {_count(len(hosts))} ({shown})"


def _count(n: int) -> str:
    return f"{n} host" if n == 1 else f"{n} hosts"


def _canonical(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class _Rule:
    """Groups sharing one configuration of a DaemonSet."""

    values: dict[str, Any]
    groups: list[tuple[HostGroup, list[Host], HostValues]]

    @property
    def labels(self) -> list[str]:
        return [g.label for g, _, _ in self.groups]

    def order(self) -> tuple[bool, str]:
        """Derived groups (hosts differing from their profile) first, then by label."""
        return (not any(g.derived for g, _, _ in self.groups), self.labels[0])

    def fact(self, path: Path) -> str:
        facts = dict.fromkeys(hv.facts[path] for _, _, hv in self.groups if path in hv.facts)
        members = "; ".join(_members(g, hosts) for g, hosts, _ in self.groups)
        return f"{'; '.join(facts)} ({members})"

    def hosts(self) -> int:
        return sum(len(hosts) for _, hosts, _ in self.groups)


def _rules(ds: PerHost, facts: SiteFacts, merge: bool) -> list[_Rule]:
    running = {h.name for h in ds.hosts_of(facts)}
    rules: dict[str, _Rule] = {}
    for group in facts.groups:
        members = [h for h in group.hosts if h.name in running]
        if not members and group.derived:
            continue  # a profile's rule stays without hosts: moving hosts changes no release
        hv = ds.values(group.settings, facts.site)
        if not hv:
            continue
        key = _canonical(hv.values) if merge else group.label
        rule = rules.setdefault(key, _Rule(hv.values, []))
        rule.groups.append((group, members, hv))
    return sorted(rules.values(), key=_Rule.order)


def _leaves(facts: Mapping[Path, str]) -> list[Path]:
    return sorted(facts, key=lambda p: tuple(str(x) for x in p))


def _summary(key: str, rules: list[_Rule], what: str) -> str:
    shown = ", ".join(f"{'+'.join(r.labels)} ({_count(r.hosts())})" for r in rules[:5])
    more = f", … {len(rules) - 5} more" if len(rules) > 5 else ""
    what = what if len(rules) == 1 else f"{what}s"
    return (f"spec.profiles/spec.hosts: {len(rules)} {what} for {key} on {PROFILE_LABEL}: "
            f"{shown}{more}; every other host runs the default DaemonSet")


def _conf_form(out: Out, ds: PerHost, rules: list[_Rule]) -> None:
    base: Path = ("conf", "overrides", ds.key, "labels")
    body = [{"label": {"key": PROFILE_LABEL, "values": r.labels}, "conf": r.values}
            for r in rules]
    out.set(base, body, _summary(ds.key, rules, "label rule"))
    for i, rule in enumerate(rules):
        out.note((*base, i, "label", "values"),
                 f"spec.profiles/spec.hosts: hosts grouped by identical settings "
                 f"({'; '.join(_members(g, h) for g, h, _ in rule.groups)})")
        for path in _leaves(rule.groups[0][2].facts):
            out.note((*base, i, "conf", *path), rule.fact(path))


def _root_form(out: Out, ds: PerHost, rules: list[_Rule]) -> None:
    for rule in rules:
        group, _, hv = rule.groups[0]
        base: Path = ("overrides", ds.key, "labels", f"{PROFILE_LABEL}::{group.label}", "values")
        for path in _leaves(hv.facts):
            out.set((*base, *path), get(hv.values, path), rule.fact(path))


def _by_host(out: Out, ds: PerHost, facts: SiteFacts) -> None:
    """helm-toolkit's per-host form: one rule, so one DaemonSet, per host."""
    running = {h.name for h in ds.hosts_of(facts)}
    entries: list[tuple[Host, HostValues]] = []
    for group in facts.groups:
        hv = ds.values(group.settings, facts.site)
        if hv:
            entries += [(h, hv) for h in group.hosts if h.name in running]
    if not entries:
        return
    entries.sort(key=lambda e: e[0].name)
    fact = f"spec.hosts: one DaemonSet per host for {ds.key} ({len(entries)} hosts)"
    if ds.form is Form.CONF:
        out.set(("conf", "overrides", ds.key, "hosts"),
                [{"name": h.name, "conf": hv.values} for h, hv in entries], fact)
        return
    for h, hv in entries:
        base: Path = ("overrides", ds.key, "labels", f"{HOSTNAME}::{h.name}", "values")
        for path in _leaves(hv.facts):
            out.set((*base, *path), get(hv.values, path), f"{hv.facts[path]} (host {h.name})")


def per_host_overrides(out: Out, facts: SiteFacts, chart_values: Mapping[str, Any],
                       daemonsets: Iterable[PerHost], *, by_host: bool = False) -> None:
    """Write the per-host rules of every DaemonSet the chart renders (see the module doc)."""
    for ds in daemonsets:
        if ds.manifest is not None and not get(chart_values, ("manifests", ds.manifest), None):
            continue
        if by_host:
            _by_host(out, ds, facts)
            continue
        rules = _rules(ds, facts, merge=ds.form is Form.CONF)
        if not rules:
            continue
        if ds.form is Form.CONF:
            _conf_form(out, ds, rules)
        else:
            _root_form(out, ds, rules)


def group_hosts(facts: SiteFacts, predicate: Callable[[Settings], bool]) -> tuple[Host, ...]:
    """The hosts whose group settings satisfy ``predicate`` (e.g. those with SR-IOV NICs)."""
    wanted = {h.name for g in facts.groups if predicate(g.settings) for h in g.hosts}
    return tuple(h for h in facts.site.spec.hosts if h.name in wanted)
