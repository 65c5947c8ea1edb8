"""Checks that span fields of a site, beyond what the pydantic model's types express.

Each check returns ``(location, message)`` pairs, the location in pydantic's tuple form, so
the loader can point every problem at its line in ``site.yaml``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from helmdeck.site.model import DpdkNic, Host, Role, Site, SriovDevice
from helmdeck.site.profiles import (
    PROFILE_LABEL,
    Settings,
    Sourced,
    has_own_settings,
    host_settings,
    profile_settings,
)
from helmdeck.values.located import Location, Problem

MAX_CPU = 65535


def raw_problems(data: Any) -> list[Problem]:
    """Mistakes best explained before type validation, whose generic message would mislead."""
    spec = data.get("spec") if isinstance(data, Mapping) else None
    if not isinstance(spec, Mapping):
        return []
    problems: list[Problem] = []
    if "secrets" in spec:
        problems.append(
            (
                ("spec", "secrets"),
                "secrets do not belong in site.yaml: they live in the encrypted secret store; "
                "remove spec.secrets and use: helmdeck secret set NAME",
            )
        )
    release = spec.get("release")
    if isinstance(release, int | float) and not isinstance(release, bool):
        problems.append(
            (
                ("spec", "release"),
                f'written as a number ({release!r}); quote it, e.g. release: "2025.1" '
                '(unquoted, YAML reads 2024.10 as the number 2024.1)',
            )
        )
    return problems


# Node labels helmdeck derives from roles and zones; a host's extra labels must not
# set them, or a compute host could attract the control plane.
ROLE_LABELS = (
    "openstack-control-plane",
    "openstack-compute-node",
    "openstack-network-node",
    "l3-agent",
    "openvswitch",
    "topology.kubernetes.io/zone",
)


def site_problems(site: Site, charts: Collection[str] | None = None) -> list[Problem]:
    """Every cross-field problem of a well-typed site, in document order.

    ``charts`` are the names of the application in use; without them, disabled chart names
    are not checked (the site alone cannot know which application it is deployed with).
    """
    spec = site.spec
    problems: list[Problem] = []
    for i, host in enumerate(spec.hosts):
        seen_roles: set[str] = set()
        for role in host.roles:
            if role in seen_roles:
                problems.append(
                    (("spec", "hosts", i, "roles"), f"role {role.value} listed twice; list it once")
                )
            seen_roles.add(role)
        for key in host.labels:
            if key == PROFILE_LABEL:
                problems.append(
                    (
                        ("spec", "hosts", i, "labels", key),
                        "helmdeck sets this label from the host's profile and per-host "
                        "settings; remove it from labels and give the host a profile instead",
                    )
                )
            if key in ROLE_LABELS:
                problems.append(
                    (
                        ("spec", "hosts", i, "labels", key),
                        "helmdeck sets this label from the host's roles (and zone); remove it "
                        "from labels and give the host the role (or zone) instead",
                    )
                )
    seen_features: set[str] = set()
    for j, feature in enumerate(spec.features):
        if feature in seen_features:
            problems.append(
                (("spec", "features", j), f"feature {feature} listed twice; list it once")
            )
        seen_features.add(feature)
    first_at: dict[str, int] = {}
    for i, host in enumerate(spec.hosts):
        if host.name in first_at:
            problems.append(
                (
                    ("spec", "hosts", i, "name"),
                    f"duplicate host name {host.name} (first at spec.hosts[{first_at[host.name]}]);"
                    " host names must be unique",
                )
            )
        else:
            first_at[host.name] = i
    if not spec.hosts_with(Role.CONTROLLER):
        problems.append(
            (("spec", "hosts"), "no host has role controller; give at least one host that role")
        )
    if "nova" not in spec.charts.disabled and not spec.hosts_with(Role.COMPUTE):
        problems.append(
            (
                ("spec", "hosts"),
                "no host has role compute while nova is enabled; give a host the compute role "
                "or add nova to spec.charts.disabled",
            )
        )
    known = list(charts) if charts is not None else []
    for i, chart in enumerate(spec.charts.disabled):
        if charts is not None and chart not in known:
            problems.append(
                (
                    ("spec", "charts", "disabled", i),
                    f"unknown chart {chart}; known charts: {', '.join(known)}",
                )
            )
    if spec.storage.backend == "ceph" and not spec.storage.ceph.monitors:
        problems.append(
            (
                ("spec", "storage", "ceph", "monitors"),
                "storage backend ceph needs at least one monitor address here",
            )
        )
    problems.extend(network_problems(site))
    return problems


# --- networks, interfaces and compute tuning ----------------------------------------------


def cpu_set(text: str) -> frozenset[int]:
    """nova's CPU set syntax (``4-15,^8``) as the CPUs it names; ValueError when it names none
    or a range runs backwards."""
    include: set[int] = set()
    exclude: set[int] = set()
    for part in text.split(","):
        target = exclude if part.startswith("^") else include
        low, _, high = part.lstrip("^").partition("-")
        lo, hi = int(low), int(high or low)
        if hi < lo:
            raise ValueError(f"range {part} runs backwards; write it low-high")
        if hi > MAX_CPU:
            raise ValueError(f"CPU {hi} is above {MAX_CPU}")
        target.update(range(lo, hi + 1))
    cpus = frozenset(include - exclude)
    if not cpus:
        raise ValueError("names no CPU once the ^ exclusions are taken out")
    return cpus


def cpu_text(cpus: Iterable[int]) -> str:
    """``{4, 5, 6, 9}`` -> ``4-6,9``."""
    out: list[str] = []
    run: list[int] = []
    for cpu in sorted(cpus):
        if run and cpu == run[-1] + 1:
            run.append(cpu)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [cpu]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def network_problems(site: Site) -> list[Problem]:
    """Provider networks, every profile's and host's interfaces and compute tuning, and what
    the charts need across hosts (one DPDK mode, one SR-IOV device list, one tunnel rule)."""
    spec = site.spec
    problems: list[Problem] = _provider_problems(site)
    for i, host in enumerate(spec.hosts):
        if host.profile is not None and host.profile not in spec.profiles:
            known = ", ".join(sorted(spec.profiles)) or "none (spec.profiles is empty)"
            problems.append((("spec", "hosts", i, "profile"),
                             f"unknown profile {host.profile}; profiles: {known}"))
    checked: list[Settings] = [profile_settings(site, name) for name in sorted(spec.profiles)]
    effective: dict[str, Settings] = {}
    profiles = dict(zip(sorted(spec.profiles), checked, strict=True))
    for i, host in enumerate(spec.hosts):
        if has_own_settings(host):
            effective[host.name] = host_settings(site, host, i)
            checked.append(effective[host.name])
        elif host.profile in profiles:
            effective[host.name] = profiles[host.profile]
    seen: set[Problem] = set()
    for settings in checked:
        for problem in _settings_problems(site, settings):
            if problem not in seen:
                seen.add(problem)
                problems.append(problem)
    problems.extend(_carried_problems(site, effective))
    problems.extend(_across_hosts_problems(site, effective))
    return problems


def _provider_problems(site: Site) -> list[Problem]:
    net = site.spec.network
    base: Location = ("spec", "network", "provider_networks")
    problems: list[Problem] = []
    physnets: dict[str, int] = {}
    bridges: dict[str, int] = {}
    for j, p in enumerate(net.provider_networks):
        if p.physnet in physnets:
            problems.append(((*base, j, "physnet"), f"physnet {p.physnet} declared twice (first "
                             f"at spec.network.provider_networks[{physnets[p.physnet]}])"))
        physnets.setdefault(p.physnet, j)
        if p.bridge is not None:
            if p.bridge in bridges:
                problems.append(((*base, j, "bridge"), f"bridge {p.bridge} already carries "
                                 f"physnet {net.provider_networks[bridges[p.bridge]].physnet}; "
                                 "Open vSwitch maps one physnet per bridge"))
            bridges.setdefault(p.bridge, j)
        if p.vlan_ranges and p.type != "vlan":
            problems.append(((*base, j, "vlan_ranges"),
                             "VLAN ranges on a flat network; set type: vlan or remove them"))
        for k, text in enumerate(p.vlan_ranges):
            low, high = (int(x) for x in text.split(":"))
            if not 1 <= low <= high <= 4094:
                problems.append(((*base, j, "vlan_ranges", k),
                                 f"VLAN range {text}: VLAN IDs go from 1 to 4094, low first"))
    if net.external is not None and net.provider(net.external.physnet) is None:
        problems.append((("spec", "network", "external", "physnet"),
                         _undeclared(net.external.physnet, site)))
    return problems


def _undeclared(physnet: str, site: Site) -> str:
    known = ", ".join(p.physnet for p in site.spec.network.provider_networks) or "none"
    return (f"physnet {physnet} is not a provider network; declare it in "
            f"spec.network.provider_networks (declared: {known})")


def _settings_problems(site: Site, s: Settings) -> list[Problem]:
    """One profile's or host's settings, each problem at the key that causes it."""
    return [*_binding_problems(site, s), *_sriov_problems(site, s), *_cpu_problems(s)]


def _binding_problems(site: Site, s: Settings) -> list[Problem]:
    """A NIC in two bridges, a bridge that carries no physnet, a tunnel on a bridged NIC."""
    problems: list[Problem] = []
    net = site.spec.network
    known_bridges = {p.bridge for p in net.provider_networks if p.bridge is not None}
    bound: dict[str, str] = {}
    bridges: Sourced[Mapping[str, str | None]] | None = s.get("interfaces.bridges")
    dpdk: Sourced[tuple[DpdkNic, ...]] | None = s.get("interfaces.dpdk")
    tunnel: Sourced[str] | None = s.get("interfaces.tunnel")
    dpdk_bridges = {n.bridge for n in dpdk.value} if dpdk is not None else set()
    if bridges is not None:
        for bridge, nic in bridges.value.items():
            loc = (*bridges.loc, bridge)
            if nic is not None and nic in bound:
                problems.append((loc, f"interface {nic} is already plugged into bridge "
                                 f"{bound[nic]}; a NIC can be in one bridge only"))
            if nic is not None:
                bound.setdefault(nic, bridge)
            if (bridge not in known_bridges and bridge not in dpdk_bridges
                    and (tunnel is None or tunnel.value != bridge)):
                problems.append((loc, f"bridge {bridge} carries no provider network; add "
                                 "{physnet, bridge} to spec.network.provider_networks or "
                                 "remove it"))
    if dpdk is not None:
        for k, port in enumerate(dpdk.value):
            if port.device is not None and port.device in bound:
                problems.append(((*dpdk.loc, k, "device"), f"interface {port.device} is already "
                                 f"plugged into bridge {bound[port.device]}; a NIC can be in "
                                 "one bridge only"))
            if port.device is not None:
                bound.setdefault(port.device, port.bridge)
    if tunnel is not None and tunnel.value in bound:
        problems.append((tunnel.loc, f"interface {tunnel.value} is plugged into bridge "
                         f"{bound[tunnel.value]}, which takes over its address: name the "
                         f"bridge ({bound[tunnel.value]}) as the tunnel interface"))
    return problems


def _sriov_problems(site: Site, s: Settings) -> list[Problem]:
    sriov: Sourced[tuple[SriovDevice, ...]] | None = s.get("interfaces.sriov")
    if sriov is None:
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for k, dev in enumerate(sriov.value):
        if dev.device in seen:
            problems.append(((*sriov.loc, k, "device"), f"SR-IOV device {dev.device} listed "
                             "twice; list it once"))
        seen.add(dev.device)
        if site.spec.network.provider(dev.physnet) is None:
            problems.append(((*sriov.loc, k, "physnet"), _undeclared(dev.physnet, site)))
    return problems


def _cpu_problems(s: Settings) -> list[Problem]:
    sets: dict[str, tuple[Sourced[str], frozenset[int]]] = {}
    problems: list[Problem] = []
    for key in ("compute.cpu_dedicated_set", "compute.cpu_shared_set"):
        found: Sourced[str] | None = s.get(key)
        if found is None:
            continue
        try:
            sets[key] = (found, cpu_set(found.value))
        except ValueError as exc:
            problems.append((found.loc, f"CPU set {found.value}: {exc}"))
    if len(sets) == 2:
        (dedicated, a), (shared, b) = sets["compute.cpu_dedicated_set"], sets[
            "compute.cpu_shared_set"]
        common = a & b
        if common:
            later = shared if len(shared.loc) >= len(dedicated.loc) else dedicated
            problems.append((later.loc, f"cpu_dedicated_set {dedicated.value} and "
                             f"cpu_shared_set {shared.value} overlap on CPUs {cpu_text(common)}; "
                             "nova-compute refuses to start: give each CPU to one set"))
    return problems


def _runs_ovs(host: Host) -> bool:
    return host.roles != (Role.STORAGE,)


def _l3_hosts(site: Site) -> tuple[tuple[Host, ...], str]:
    network = site.spec.hosts_with(Role.NETWORK)
    if network:
        return network, "network hosts"
    return site.spec.hosts_with(Role.CONTROLLER), "controllers (no network hosts)"


def _carried_problems(site: Site, effective: Mapping[str, Settings]) -> list[Problem]:
    """Provider networks no host can carry; an external network the l3 hosts do not carry."""
    net = site.spec.network
    carried: dict[str, list[str]] = {}
    sriov: set[str] = set()
    for name, s in effective.items():
        for bridge in (s.value("interfaces.bridges") or {}):
            carried.setdefault(bridge, []).append(name)
        for nic in s.value("interfaces.dpdk") or ():
            carried.setdefault(nic.bridge, []).append(name)
        sriov.update(d.physnet for d in s.value("interfaces.sriov") or ())
    problems: list[Problem] = []
    base: Location = ("spec", "network", "provider_networks")
    for j, p in enumerate(net.provider_networks):
        if p.bridge is None and p.physnet not in sriov:
            problems.append(((*base, j), f"physnet {p.physnet} has no bridge and no SR-IOV "
                             "device serves it: give it a bridge, or name it in a host's "
                             "interfaces.sriov"))
        elif p.bridge is not None and p.bridge not in carried and p.physnet not in sriov:
            problems.append(((*base, j, "bridge"), f"no host carries bridge {p.bridge} "
                             f"(physnet {p.physnet}): map it to a NIC in a profile's or host's "
                             "interfaces.bridges"))
    if net.external is not None:
        ext = net.provider(net.external.physnet)
        if ext is not None and ext.bridge is not None:
            hosts, what = _l3_hosts(site)
            missing = [h.name for h in hosts if h.name not in carried.get(ext.bridge, [])]
            if missing:
                problems.append((("spec", "network", "external", "physnet"),
                                 f"floating IPs leave through the l3 agents on the {what}, but "
                                 f"{', '.join(missing[:5])} {'does' if len(missing) == 1 else 'do'}"
                                 f" not carry bridge {ext.bridge} "
                                 f"(physnet {ext.physnet}); add it to their interfaces.bridges"))
    return problems


def _across_hosts_problems(site: Site, effective: Mapping[str, Settings]) -> list[Problem]:
    """What a chart configures once for all hosts, because its per-host overrides cannot.

    The openvswitch chart has no per-host overrides (DPDK is on for every OVS host or none),
    and neutron's SR-IOV VFs and OVS tunnel interface live in its scripts ConfigMap
    (``network.interface.*``), which helm-toolkit's per-host DaemonSets share.
    """
    problems: list[Problem] = []
    hosts = [(i, h) for i, h in enumerate(site.spec.hosts) if _runs_ovs(h)]
    dpdk = [(i, h) for i, h in hosts if (effective.get(h.name) or Settings()).value(
        "interfaces.dpdk")]
    if dpdk and len(dpdk) != len(hosts):
        with_dpdk = {h.name for _, h in dpdk}
        without = [h.name for _, h in hosts if h.name not in with_dpdk]
        problems.append((("spec", "hosts", dpdk[0][0], "interfaces", "dpdk"),
                         f"DPDK NICs on {len(dpdk)} of {len(hosts)} Open vSwitch hosts (not on "
                         f"{', '.join(without[:5])}): the openvswitch chart runs DPDK on every "
                         "host or none; give every Open vSwitch host its DPDK NICs"))
    devices: dict[str, tuple[int, str]] = {}
    for i, h in enumerate(site.spec.hosts):
        s = effective.get(h.name)
        found: Sourced[tuple[SriovDevice, ...]] | None = s.get("interfaces.sriov") if s else None
        if not found or not found.value:
            continue
        key = repr(sorted((d.device, d.vfs, d.mtu) for d in found.value))
        devices.setdefault(key, (i, h.name))
        if len(devices) == 2:
            first = next(iter(devices.values()))[1]
            problems.append((found.loc, f"SR-IOV devices of {h.name} differ from {first}'s "
                             "(device, VF count, MTU): neutron creates the VFs of every SR-IOV "
                             "host from one list (network.interface.sriov); give every SR-IOV "
                             "host the same devices, physnets may differ"))
            break
    if site.spec.network.backend == "openvswitch" and site.spec.network.tunnel_cidr is None:
        tunnels = {(effective.get(h.name) or Settings()).value("interfaces.tunnel")
                   for _, h in hosts}
        if len(tunnels) > 1:
            named = sorted(t for t in tunnels if t is not None)
            problems.append((("spec", "network"),
                             f"tunnel interfaces differ between hosts ({', '.join(named)}"
                             f"{' and none' if None in tunnels else ''}): neutron's Open "
                             "vSwitch agent takes one interface for all hosts, so give "
                             "spec.network.tunnel_cidr, the overlay network each host finds "
                             "its tunnel interface by"))
    return problems
