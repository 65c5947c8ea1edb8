"""Per-host configuration as the hosts end up with it, and the profile groups it forms.

A host's effective settings are its profile's keys with its own keys on top: a host key
(``interfaces.tunnel``, ``compute.cpu_dedicated_set``, ...) replaces the profile's whole, and
``conf`` trees merge map by map. Every value keeps the ``site.yaml`` key it came from, so a
generated override can name the fact behind it.

Hosts whose effective settings are identical form one group, and each group is one value of
the node label ``helmdeck-profile``: the charts' per-host DaemonSets select on it, so N hosts in
K groups give K+1 DaemonSets instead of helm-toolkit's one per host. The group of a profile's
hosts is named after the profile; a host whose own keys change something is grouped with the
hosts that change the same things (``<profile>.<digest>``, or ``host.<digest>`` without a
profile), so an odd host never forces a profile of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from helmdeck.site.model import Host, Profile, Site

T = TypeVar("T")
Leaf = tuple[str, ...]
Location = tuple[str | int, ...]

# The node label helmdeck owns: no slash or dot, because helm-toolkit builds DaemonSet names
# from the label key ("<chart>-<daemonset>-<key>-<hash>") and those must be DNS names.
PROFILE_LABEL = "helmdeck-profile"
# Label values are at most 63 characters: "<profile>.<digest>".
_DIGEST = 10
_PREFIX = 63 - _DIGEST - 1

INTERFACE_KEYS = ("tunnel", "bridges", "sriov", "dpdk")
COMPUTE_KEYS = ("cpu_dedicated_set", "cpu_shared_set", "reserved_host_memory_mb", "hugepages")
KEYS = tuple(f"interfaces.{k}" for k in INTERFACE_KEYS) + tuple(
    f"compute.{k}" for k in COMPUTE_KEYS
)


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value and the ``site.yaml`` key that gave it: ``where`` names it for people
    (``spec.hosts[cmp-7].interfaces.tunnel``), ``loc`` for error messages (with the index)."""

    value: T
    where: str
    loc: Location = ()


@dataclass(frozen=True)
class ChartConf:
    """A chart's free-form per-host ``conf``: the merged tree and, per leaf, where it came from."""

    tree: Mapping[str, Any]
    where: Mapping[Leaf, str]


@dataclass(frozen=True)
class Settings:
    """Effective per-host settings: ``values`` by key (``interfaces.tunnel``), ``conf`` by chart."""

    values: Mapping[str, Sourced[Any]] = field(default_factory=dict)
    conf: Mapping[str, ChartConf] = field(default_factory=dict)

    def get(self, key: str) -> Sourced[Any] | None:
        return self.values.get(key)

    def value(self, key: str) -> Any:
        found = self.values.get(key)
        return None if found is None else found.value

    @property
    def empty(self) -> bool:
        return not self.values and not any(c.tree for c in self.conf.values())

    def identity(self) -> str:
        """The settings' values as canonical JSON: equal for equal settings, whatever the source."""
        return _canonical({
            "values": {k: _plain(s.value) for k, s in sorted(self.values.items())},
            "conf": {c: conf.tree for c, conf in sorted(self.conf.items()) if conf.tree},
        })


@dataclass(frozen=True)
class HostGroup:
    """Hosts with identical settings: one value of the ``helmdeck-profile`` node label.

    ``settings`` name the profile's keys for a profile's own group and the first member's keys
    for the rest; ``hosts`` are in site order.
    """

    label: str
    profile: str | None
    settings: Settings
    hosts: tuple[Host, ...]

    @property
    def derived(self) -> bool:
        """A group of hosts whose own keys differ from their profile (or who have none)."""
        return self.label != self.profile


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _canonical(data: Any) -> str:
    return json.dumps(_plain(data), sort_keys=True, separators=(",", ":"))


def _own(section: Any, keys: Iterable[str], prefix: str, where: str, loc: Location
         ) -> dict[str, Sourced[Any]]:
    return {f"{prefix}.{k}": Sourced(getattr(section, k), f"{where}.{prefix}.{k}",
                                     (*loc, prefix, k))
            for k in keys if getattr(section, k) is not None}


def _keys(item: Profile | Host, where: str, loc: Location) -> dict[str, Sourced[Any]]:
    return {**_own(item.interfaces, INTERFACE_KEYS, "interfaces", where, loc),
            **_own(item.compute, COMPUTE_KEYS, "compute", where, loc)}


def _leaves(tree: Mapping[str, Any], prefix: Leaf = ()) -> Iterable[tuple[Leaf, Any]]:
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _merge(below, value)
        else:
            out[key] = value
    return out


ConfLayer = tuple[Mapping[Any, Mapping[str, Any]], str]


def _conf(layers: Iterable[ConfLayer]) -> dict[str, ChartConf]:
    """Per chart: each layer's tree merged over the previous ones, every leaf with its origin."""
    trees: dict[str, dict[str, Any]] = {}
    wheres: dict[str, dict[Leaf, str]] = {}
    for conf, where in layers:
        for chart, tree in conf.items():
            trees[chart] = _merge(trees.get(chart, {}), tree)
            origin = wheres.setdefault(chart, {})
            for leaf, _ in _leaves(tree):
                for known in [k for k in origin if k[: len(leaf)] == leaf or leaf[: len(k)] == k]:
                    del origin[known]
                origin[leaf] = f"{where}.conf.{chart}." + ".".join(leaf)
    return {c: ChartConf(trees[c], wheres[c]) for c in sorted(trees)}


def profile_settings(site: Site, name: str) -> Settings:
    """What every host of profile ``name`` gets unless it says otherwise."""
    profile = site.spec.profiles[name]
    where = f"spec.profiles.{name}"
    return Settings(_keys(profile, where, ("spec", "profiles", name)),
                    _conf([(profile.conf, where)]))


def _host_where(host: Host) -> str:
    return f"spec.hosts[{host.name}]"


def has_own_settings(host: Host) -> bool:
    """Whether the host writes any per-host key of its own (beside its profile's)."""
    return bool(host.conf) or any(getattr(host.interfaces, k) is not None
                                  for k in INTERFACE_KEYS) or any(
        getattr(host.compute, k) is not None for k in COMPUTE_KEYS)


def host_settings(site: Site, host: Host, index: int | None = None) -> Settings:
    """The host's effective settings: its profile's keys, then its own on top.

    ``index`` is the host's position in ``spec.hosts``, for the error locations.
    """
    layers: list[ConfLayer] = []
    values: dict[str, Sourced[Any]] = {}
    if host.profile is not None and host.profile in site.spec.profiles:
        profile = site.spec.profiles[host.profile]
        where = f"spec.profiles.{host.profile}"
        values.update(_keys(profile, where, ("spec", "profiles", host.profile)))
        layers.append((profile.conf, where))
    loc: Location = ("spec", "hosts", index if index is not None else host.name)
    values.update(_keys(host, _host_where(host), loc))
    layers.append((host.conf, _host_where(host)))
    return Settings(values, _conf(layers))


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:_DIGEST]


def _deviation(own: Settings, base: Settings) -> str:
    """The host's keys that differ from its profile's, as canonical JSON (empty: none)."""
    values = {k: _plain(s.value) for k, s in sorted(own.values.items())
              if base.value(k) != s.value}
    conf = {}
    for chart, tree in sorted(own.conf.items()):
        if base.conf.get(chart) is None or base.conf[chart].tree != tree.tree:
            conf[chart] = tree.tree
    return _canonical({"values": values, "conf": conf}) if values or conf else ""


def host_groups(site: Site) -> tuple[HostGroup, ...]:
    """Every group of hosts with per-host settings, ordered by label; hosts with none (and no
    profile) belong to no group: they run the charts' default DaemonSets.

    Every declared profile has its group, hosts or not: its per-host rules then exist whoever
    uses it, so moving a host between profiles changes its node label and no release.
    """
    profiles = {name: profile_settings(site, name) for name in site.spec.profiles}
    members: dict[str, list[Host]] = {}
    settings: dict[str, Settings] = {}
    owner: dict[str, str | None] = {}
    for index, host in enumerate(site.spec.hosts):
        label, group_settings = _label(site, host, index, profiles)
        if label is None:
            continue
        members.setdefault(label, []).append(host)
        settings.setdefault(label, group_settings)
        owner.setdefault(label, host.profile)
    for name, base in profiles.items():
        if name not in members:
            members[name], settings[name], owner[name] = [], base, name
    return tuple(HostGroup(label, owner[label], settings[label], tuple(members[label]))
                 for label in sorted(members))


def _label(site: Site, host: Host, index: int, profiles: Mapping[str, Settings]
           ) -> tuple[str | None, Settings]:
    base = profiles.get(host.profile) if host.profile is not None else None
    if not has_own_settings(host):
        return (host.profile, base) if base is not None else (None, Settings())
    own = host_settings(site, host, index)
    if base is None:
        return (None, own) if own.empty else (f"host.{_digest(own.identity())}", own)
    assert host.profile is not None
    deviation = _deviation(own, base)
    if not deviation:
        return host.profile, base
    return f"{host.profile[:_PREFIX]}.{_digest(deviation)}", own


def profile_labels(site: Site) -> dict[str, str]:
    """Host name -> its ``helmdeck-profile`` label value (hosts in no group are absent)."""
    return {h.name: g.label for g in host_groups(site) for h in g.hosts}
