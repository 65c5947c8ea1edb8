"""Provider networks and host interfaces in the charts' own spellings.

neutron (Open vSwitch and SR-IOV agents, ML2) and ovn (ovn-controller) read the same facts:
which bridge carries which physnet, which NIC is plugged into which bridge, which SR-IOV
devices serve which physnet. These functions spell them the way the charts' scripts and
config files expect, each with the fact behind it.
"""

from __future__ import annotations

from typing import Any

from helmdeck.plugin._facts import SiteFacts
from helmdeck.plugin._hosts import group_hosts
from helmdeck.plugin._out import Out
from helmdeck.site.model import DpdkNic, Host, Site, SriovDevice
from helmdeck.site.profiles import Settings, Sourced

PROVIDERS = "spec.network.provider_networks"


def _pairs(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k}={'(none)' if v is None else v}" for k, v in mapping.items())


def host_bridges(s: Settings) -> tuple[dict[str, str | None], str] | None:
    """The host's bridges and the NIC plugged into each (``auto_bridge_add``), with the fact;
    null: a bridge without a NIC (the charts' scripts then only create the bridge)."""
    bridges: Sourced[dict[str, str | None]] | None = s.get("interfaces.bridges")
    if bridges is None or not bridges.value:
        return None
    value = dict(sorted(bridges.value.items()))
    return value, f"{bridges.where}: {_pairs(value)}"


def _carried(s: Settings) -> set[str]:
    bridges = set(s.value("interfaces.bridges") or {})
    bridges.update(n.bridge for n in s.value("interfaces.dpdk") or ())
    return bridges


def bridge_mappings(s: Settings, site: Site) -> tuple[str, str] | None:
    """``physnet:bridge,...`` for the provider bridges the host carries, in declaration order."""
    carried = _carried(s)
    pairs = [f"{p.physnet}:{p.bridge}" for p in site.spec.network.provider_networks
             if p.bridge is not None and p.bridge in carried]
    if not pairs:
        return None
    found: Sourced[Any] | None = s.get("interfaces.bridges") or s.get("interfaces.dpdk")
    where = found.where if found is not None else "interfaces"
    return ",".join(pairs), f"{where} with {PROVIDERS}: {','.join(pairs)}"


def sriov_mappings(s: Settings) -> tuple[str, str] | None:
    """``physnet:device,...``: neutron's SR-IOV ``physical_device_mappings``."""
    found: Sourced[tuple[SriovDevice, ...]] | None = s.get("interfaces.sriov")
    if found is None or not found.value:
        return None
    text = ",".join(f"{d.physnet}:{d.device}" for d in found.value)
    return text, f"{found.where}: {text}"


def has_sriov(s: Settings) -> bool:
    return bool(s.value("interfaces.sriov"))


def has_dpdk(s: Settings) -> bool:
    return bool(s.value("interfaces.dpdk"))


def sriov_hosts(facts: SiteFacts) -> tuple[Host, ...]:
    return group_hosts(facts, has_sriov)


def dpdk_hosts(facts: SiteFacts) -> tuple[Host, ...]:
    return group_hosts(facts, has_dpdk)


def dpdk_ports(s: Settings) -> tuple[list[dict[str, Any]], list[dict[str, str]], str] | None:
    """neutron's ``conf.ovs_dpdk.nics`` and ``bridges`` for the host's DPDK NICs."""
    found: Sourced[tuple[DpdkNic, ...]] | None = s.get("interfaces.dpdk")
    if found is None or not found.value:
        return None
    nics: list[dict[str, Any]] = []
    for n in found.value:
        nic: dict[str, Any] = {"name": n.name, "bridge": n.bridge, "migrate_ip": True}
        nic.update({"pci_id": n.pci_id} if n.pci_id else {"iface": n.device})
        nics.append(nic)
    bridges = [{"name": b} for b in sorted({n.bridge for n in found.value})]
    text = ", ".join(f"{n.name} on {n.bridge}" for n in found.value)
    return nics, bridges, f"{found.where}: {text}"


def group_fact(hosts: tuple[Host, ...], what: str) -> str:
    names = ", ".join(h.name for h in hosts[:3])
    more = f", … {len(hosts) - 3} more" if len(hosts) > 3 else ""
    return f"spec.hosts: {what} on {len(hosts)} hosts ({names}{more})"


def ml2_networks(out: Out, site: Site) -> None:
    """ML2's flat networks, VLAN ranges and physnet MTUs from the provider networks."""
    providers = site.spec.network.provider_networks
    if not providers:
        return
    ml2 = ("conf", "plugins", "ml2_conf")
    flat = [p.physnet for p in providers if p.type == "flat"]
    out.set((*ml2, "ml2_type_flat", "flat_networks"), ",".join(flat),
            f"{PROVIDERS}: flat {', '.join(flat) or 'none'}")
    vlans = [f"{p.physnet}:{r}" for p in providers if p.type == "vlan" for r in p.vlan_ranges]
    vlans += [p.physnet for p in providers if p.type == "vlan" and not p.vlan_ranges]
    if vlans:
        out.set((*ml2, "ml2_type_vlan", "network_vlan_ranges"), ",".join(vlans),
                f"{PROVIDERS}: vlan {', '.join(vlans)}")
    mtus = [f"{p.physnet}:{p.mtu}" for p in providers if p.mtu is not None]
    if mtus:
        out.set((*ml2, "ml2", "physical_network_mtus"), ",".join(mtus),
                f"{PROVIDERS}: mtu {', '.join(mtus)}")


def uniform_tunnel(facts: SiteFacts, hosts: tuple[Host, ...]) -> tuple[str, str] | None:
    """The tunnel interface when every one of ``hosts`` names the same one, with its fact."""
    by_host = {h.name: g for g in facts.groups for h in g.hosts}
    seen: dict[str | None, str] = {}
    for h in hosts:
        group = by_host.get(h.name)
        found: Sourced[str] | None = group.settings.get("interfaces.tunnel") if group else None
        seen.setdefault(found.value if found else None, found.where if found else h.name)
    if len(seen) != 1 or None in seen:
        return None
    (name, where), = seen.items()
    assert name is not None
    return name, f"{where}: {name} (the same on all {len(hosts)} hosts)"
