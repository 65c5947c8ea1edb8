"""Sites with many hosts in profiles, for the real-chart profile tests and bench_profiles.py.

``scale_site`` puts N computes (the first three also controllers) in 20 profiles, each with NIC
names, a CPU split and reserved memory of its own, every 4th with the site's SR-IOV NIC; the
same hosts can be written one entry per host, every key on the host and no profile (the
per-host form StarlingX generates).
"""

from __future__ import annotations

from typing import Any

PROFILES = 20
SCALE_NETWORK: dict[str, Any] = {
    "backend": "openvswitch",
    "tunnel_cidr": "172.16.0.0/16",
    "provider_networks": [
        {"physnet": "physnet1", "bridge": "br-vlan", "type": "vlan", "vlan_ranges": ["100:199"]},
        {"physnet": "sriovnet", "type": "vlan", "vlan_ranges": ["200:299"]},
    ],
}


def scale_profile(i: int) -> dict[str, Any]:
    """Profile ``i``: NIC names, CPU split and reserved memory of its own; every 4th has the
    site's SR-IOV NIC (neutron creates the VFs of every SR-IOV host from one list)."""
    shared = 1 + i % 8
    interfaces: dict[str, Any] = {"tunnel": f"ens{i}f0", "bridges": {"br-vlan": f"ens{i}f1"}}
    if i % 4 == 0:
        interfaces["sriov"] = [{"device": "ens2f0", "vfs": 16, "physnet": "sriovnet"}]
    return {"interfaces": interfaces,
            "compute": {"cpu_shared_set": f"0-{shared - 1}", "cpu_dedicated_set": f"{shared}-63",
                        "reserved_host_memory_mb": 2048 + 256 * i}}


def scale_profiles() -> dict[str, dict[str, Any]]:
    return {f"p{i:02d}": scale_profile(i) for i in range(PROFILES)}


def scale_hosts(n: int, *, per_host: bool = False) -> list[dict[str, Any]]:
    """``n`` computes, the first three also controllers, host ``k`` in profile ``k % 20``;
    ``per_host``: each host carrying its profile's keys itself instead."""
    profiles = scale_profiles()
    hosts = []
    for k in range(n):
        host: dict[str, Any] = {"name": f"cmp-{k:04d}", "zone": f"az{k % 2 + 1}",
                                "roles": ["controller", "compute"] if k < 3 else ["compute"]}
        name = f"p{k % PROFILES:02d}"
        hosts.append({**host, **profiles[name]} if per_host else {**host, "profile": name})
    return hosts
