"""Where a chart's components run: host groups by role, and how to name them in a fact."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from helmdeck.site.model import Host, Role, Site
from helmdeck.site.profiles import HostGroup, host_groups


def _names(hosts: tuple[Host, ...], limit: int = 3) -> str:
    shown = ", ".join(h.name for h in hosts[:limit])
    more = len(hosts) - limit
    return f"{shown}, … {more} more" if more > 0 else shown


def hosts_fact(hosts: tuple[Host, ...], what: str) -> str:
    """``spec.hosts: 3 controllers (ctl-0, ctl-1, ctl-2)``: the inventory input, named."""
    return (
        f"spec.hosts: {len(hosts)} {what} ({_names(hosts)})" if hosts else f"spec.hosts: no {what}"
    )


class Placement(Enum):
    """Where a component runs: the node label it is pinned to follows from this."""

    CONTROL = "control"
    COMPUTE = "compute"
    OVS = "ovs"
    NETWORK = "network"  # neutron dhcp/metadata agents: network hosts when there are any
    L3 = "l3"  # neutron l3 agent: network hosts when there are any


@dataclass(frozen=True)
class SiteFacts:
    """Host groups computed once per plugin call (one pass over the hosts).

    ``groups`` are the profile groups (``helmdeck.site.profiles``): hosts with identical
    per-host settings, one ``helmdeck-profile`` label value each.
    """

    site: Site
    controllers: tuple[Host, ...]
    computes: tuple[Host, ...]
    network: tuple[Host, ...]
    all_hosts: tuple[Host, ...]

    @cached_property
    def groups(self) -> tuple[HostGroup, ...]:
        """Computed on first use: only the charts with per-host DaemonSets need them."""
        return host_groups(self.site)

    @classmethod
    def of(cls, site: Site) -> SiteFacts:
        ctl: list[Host] = []
        cmp: list[Host] = []
        net: list[Host] = []
        for h in site.spec.hosts:
            if Role.CONTROLLER in h.roles:
                ctl.append(h)
            if Role.COMPUTE in h.roles:
                cmp.append(h)
            if Role.NETWORK in h.roles:
                net.append(h)
        return cls(site, tuple(ctl), tuple(cmp), tuple(net), site.spec.hosts)

    @property
    def development(self) -> bool:
        return self.site.spec.mode == "development"

    def hosts_for(self, placement: Placement) -> tuple[tuple[Host, ...], str]:
        """The hosts a component with this placement runs on, and how to name them."""
        if placement is Placement.CONTROL:
            return self.controllers, "controllers"
        if placement is Placement.COMPUTE:
            return self.computes, "computes"
        if placement in (Placement.NETWORK, Placement.L3):
            if self.network:
                return self.network, "network hosts"
            return self.controllers, "controllers (no network hosts)"
        ovs = tuple(h for h in self.all_hosts if h.roles != (Role.STORAGE,))
        return ovs, "controllers, computes and network hosts"

    def selector(self, placement: Placement) -> tuple[str, str]:
        """The node label (key, fact) a component with this placement is pinned to."""
        if placement is Placement.CONTROL:
            return "openstack-control-plane", hosts_fact(self.controllers, "controllers")
        if placement is Placement.COMPUTE:
            return "openstack-compute-node", hosts_fact(self.computes, "computes")
        if placement is Placement.OVS:
            hosts, what = self.hosts_for(placement)
            return "openvswitch", hosts_fact(hosts, what)
        if not self.network:
            return "openstack-control-plane", hosts_fact(
                self.controllers, "controllers and no network hosts"
            )
        key = "l3-agent" if placement is Placement.L3 else "openstack-network-node"
        return key, hosts_fact(self.network, "dedicated network hosts")
