"""site.yaml's networks, profiles, interfaces and compute tuning: every mistake at its YAML line."""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml
from support import as_site

from helmdeck.site.load import parse_site_yaml
from helmdeck.site.nodes import desired_nodes
from helmdeck.site.profiles import PROFILE_LABEL, host_settings
from helmdeck.site.validate import cpu_set, cpu_text
from helmdeck.values.located import DocumentError

GOOD = """\
apiVersion: helmdeck/v1
kind: Site
metadata:
  name: lab1
spec:
  public_domain: cloud.example.com
  network:
    tunnel_cidr: 172.16.0.0/24
    provider_networks:
      - {physnet: external, bridge: br-ex, mtu: 1500}
      - {physnet: physnet1, bridge: br-vlan, type: vlan, vlan_ranges: ["100:199"]}
      - {physnet: sriovnet, type: vlan}
    external: {physnet: external}
  profiles:
    compute-a:
      interfaces: {tunnel: eno1, bridges: {br-vlan: eno2}}
      compute: {cpu_dedicated_set: "4-31", cpu_shared_set: "0-3"}
    compute-b:
      interfaces:
        tunnel: ens1f0
        bridges: {br-vlan: ens1f1}
        sriov: [{device: ens2f0, vfs: 8, physnet: sriovnet}]
      compute: {cpu_dedicated_set: "8-63", hugepages: {size: 1G, reserved: [2, 2]}}
    network:
      interfaces: {tunnel: eno1, bridges: {br-ex: eno3, br-vlan: eno2}}
  hosts:
    - name: ctl-0
      roles: [controller]
    - name: net-0
      roles: [network]
      profile: network
    - name: cmp-0
      roles: [compute]
      profile: compute-a
    - name: cmp-1
      roles: [compute]
      profile: compute-b
    - name: cmp-2
      roles: [compute]
      profile: compute-b
      compute: {cpu_dedicated_set: "16-63"}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(DocumentError) as exc:
        parse_site_yaml(textwrap.dedent(text), "site.yaml")
    return exc.value.problems


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


def test_good_site_loads_with_effective_settings() -> None:
    site = parse_site_yaml(GOOD, "site.yaml")
    cmp2 = site.spec.hosts[4]
    s = host_settings(site, cmp2, 4)
    assert s.value("interfaces.tunnel") == "ens1f0"
    assert s.get("interfaces.tunnel").where == "spec.profiles.compute-b.interfaces.tunnel"
    assert s.value("compute.cpu_dedicated_set") == "16-63"
    assert s.get("compute.cpu_dedicated_set").loc == ("spec", "hosts", 4, "compute",
                                                     "cpu_dedicated_set")
    assert s.value("compute.hugepages").reserved == (2, 2)


def test_nodes_carry_the_profile_group_and_sriov_labels() -> None:
    nodes = {n.name: n for n in desired_nodes(parse_site_yaml(GOOD, "site.yaml"))}
    assert PROFILE_LABEL not in nodes["ctl-0"].labels
    assert nodes["net-0"].labels[PROFILE_LABEL] == "network"
    assert nodes["cmp-0"].labels[PROFILE_LABEL] == "compute-a"
    assert nodes["cmp-1"].labels[PROFILE_LABEL] == "compute-b"
    assert nodes["cmp-2"].labels[PROFILE_LABEL].startswith("compute-b.")
    assert nodes["cmp-1"].labels["sriov"] == "enabled" and "sriov" not in nodes["cmp-0"].labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            edit("      profile: compute-a\n", "      profile: compute-z\n"),
            r"site.yaml:34: spec.hosts\[2\].profile: unknown profile compute-z; profiles: "
            r"compute-a, compute-b, network",
            id="unknown-profile",
        ),
        pytest.param(
            edit("{br-ex: eno3, br-vlan: eno2}", "{br-ex: eno2, br-vlan: eno2}"),
            r"site.yaml:25: spec.profiles.network.interfaces.bridges.br-vlan: interface eno2 "
            r"is already plugged into bridge br-ex; a NIC can be in one bridge only",
            id="nic-in-two-bridges",
        ),
        pytest.param(
            edit("      compute: {cpu_dedicated_set: \"16-63\"}\n",
                 "      interfaces: {bridges: {br-vlan: ens1f1, br-ex: ens1f1}}\n"),
            r"site.yaml:41: spec.hosts\[4\].interfaces.bridges.br-ex: interface ens1f1 is "
            r"already plugged into bridge br-vlan",
            id="nic-in-two-bridges-on-a-host",
        ),
        pytest.param(
            edit("{tunnel: eno1, bridges: {br-vlan: eno2}}",
                 "{tunnel: eno2, bridges: {br-vlan: eno2}}"),
            r"site.yaml:16: spec.profiles.compute-a.interfaces.tunnel: interface eno2 is "
            r"plugged into bridge br-vlan, which takes over its address",
            id="tunnel-on-a-bridged-nic",
        ),
        pytest.param(
            edit("{br-ex: eno3, br-vlan: eno2}", "{br-ex: eno3, br-vlan: eno2, br-x: eno4}"),
            r"site.yaml:25: spec.profiles.network.interfaces.bridges.br-x: bridge br-x carries "
            r"no provider network",
            id="bridge-without-physnet",
        ),
        pytest.param(
            edit("      - {physnet: sriovnet, type: vlan}\n",
                 "      - {physnet: sriovnet, type: vlan}\n"
                 "      - {physnet: lost, bridge: br-lost}\n"),
            r"site.yaml:13: spec.network.provider_networks\[3\].bridge: no host carries bridge "
            r"br-lost \(physnet lost\)",
            id="provider-network-no-host-carries",
        ),
        pytest.param(
            edit("      - {physnet: sriovnet, type: vlan}\n",
                 "      - {physnet: sriovnet, type: vlan}\n      - {physnet: nowhere}\n"),
            r"site.yaml:13: spec.network.provider_networks\[3\]: physnet nowhere has no bridge "
            r"and no SR-IOV device serves it",
            id="physnet-referenced-by-no-bridge",
        ),
        pytest.param(
            edit("physnet: sriovnet}]", "physnet: sriovnot}]"),
            r"site.yaml:22: spec.profiles.compute-b.interfaces.sriov\[0\].physnet: physnet "
            r"sriovnot is not a provider network",
            id="sriov-unknown-physnet",
        ),
        pytest.param(
            edit('cpu_shared_set: "0-3"', 'cpu_shared_set: "0-5"'),
            r"site.yaml:17: spec.profiles.compute-a.compute.cpu_shared_set: cpu_dedicated_set "
            r"4-31 and cpu_shared_set 0-5 overlap on CPUs 4-5",
            id="overlapping-cpu-sets",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 '      compute: {cpu_shared_set: "60-70"}\n'),
            r"site.yaml:41: spec.hosts\[4\].compute.cpu_shared_set: cpu_dedicated_set 8-63 and "
            r"cpu_shared_set 60-70 overlap on CPUs 60-63",
            id="overlap-between-host-and-profile",
        ),
        pytest.param(
            edit('"16-63"', '"16-8"'),
            r"site.yaml:41: spec.hosts\[4\].compute.cpu_dedicated_set: CPU set 16-8: range "
            r"16-8 runs backwards",
            id="cpu-range-backwards",
        ),
        pytest.param(
            edit('"16-63"', '"16-x"'),
            r"site.yaml:41: spec.hosts\[4\].compute.cpu_dedicated_set: not a CPU set",
            id="cpu-set-syntax",
        ),
        pytest.param(
            edit('vlan_ranges: ["100:199"]', 'vlan_ranges: ["100:5000"]'),
            r"site.yaml:11: spec.network.provider_networks\[1\].vlan_ranges\[0\]: VLAN range "
            r"100:5000: VLAN IDs go from 1 to 4094",
            id="vlan-range",
        ),
        pytest.param(
            edit("mtu: 1500}", "mtu: 1500, vlan_ranges: ['1:2']}"),
            r"site.yaml:10: spec.network.provider_networks\[0\].vlan_ranges: VLAN ranges on a "
            r"flat network",
            id="vlan-ranges-on-flat",
        ),
        pytest.param(
            edit("bridge: br-vlan, type", "bridge: br-ex, type"),
            r"site.yaml:11: spec.network.provider_networks\[1\].bridge: bridge br-ex already "
            r"carries physnet external",
            id="two-physnets-one-bridge",
        ),
        pytest.param(
            edit("    external: {physnet: external}\n", "    external: {physnet: public}\n"),
            r"site.yaml:13: spec.network.external.physnet: physnet public is not a provider "
            r"network",
            id="external-undeclared",
        ),
        pytest.param(
            edit("      roles: [network]\n      profile: network\n",
                 "      roles: [network]\n      profile: compute-a\n"),
            r"site.yaml:13: spec.network.external.physnet: floating IPs leave through the l3 "
            r"agents on the network hosts, but net-0 does not carry bridge br-ex",
            id="external-not-on-l3-hosts",
        ),
        pytest.param(
            edit("    tunnel_cidr: 172.16.0.0/24\n", ""),
            r"site.yaml:7: spec.network: tunnel interfaces differ between hosts \(eno1, ens1f0 "
            r"and none\): .*spec.network.tunnel_cidr",
            id="tunnel-differs-without-cidr",
        ),
        pytest.param(
            edit("172.16.0.0/24", "172.16.0.0/33"),
            r"site.yaml:8: spec.network.tunnel_cidr: .*not a network address",
            id="bad-cidr",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 "      interfaces: {sriov: [{device: ens2f1, vfs: 8, physnet: sriovnet}]}\n"),
            r"site.yaml:41: spec.hosts\[4\].interfaces.sriov: SR-IOV devices of cmp-2 differ "
            r"from cmp-1's",
            id="sriov-devices-differ",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 "      interfaces:\n"
                 "        dpdk: [{name: dpdk0, bridge: br-vlan, pci_id: '0000:05:00.0'}]\n"),
            r"site.yaml:42: spec.hosts\[4\].interfaces.dpdk: DPDK NICs on 1 of 5 Open vSwitch "
            r"hosts",
            id="dpdk-on-some-hosts",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 "      interfaces: {dpdk: [{name: dpdk0, bridge: br-vlan}]}\n"),
            r"site.yaml:41: spec.hosts\[4\].interfaces.dpdk\[0\]: give exactly one of pci_id or "
            r"device",
            id="dpdk-address",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 "      conf: {glance: {x: 1}}\n"),
            r"site.yaml:41: spec.hosts\[4\].conf.glance: Input should be 'libvirt', 'neutron', "
            r"'nova' or 'ovn'",
            id="conf-for-a-chart-without-per-host-daemonsets",
        ),
        pytest.param(
            edit('      compute: {cpu_dedicated_set: "16-63"}\n',
                 "      labels: {helmdeck-profile: special}\n"),
            r"site.yaml:41: spec.hosts\[4\].labels.helmdeck-profile: helmdeck sets this label",
            id="profile-label-by-hand",
        ),
        pytest.param(
            edit("{tunnel: eno1, bridges", "{tunnel: 'eno1:0', bridges"),
            r"site.yaml:16: spec.profiles.compute-a.interfaces.tunnel: not a network interface",
            id="interface-name",
        ),
    ],
)
def test_bad_networks_and_profiles_name_line_and_path(text: str, expected: str) -> None:
    found = problems(text)
    assert any(re.match(expected, line) for line in found), found


def test_a_profile_mistake_is_reported_once_not_per_host() -> None:
    found = problems(edit('cpu_shared_set: "0-3"', 'cpu_shared_set: "0-5"'))
    assert len([p for p in found if "overlap" in p]) == 1


def test_cpu_sets() -> None:
    assert cpu_set("4-15,^8,20") == frozenset({*range(4, 8), *range(9, 16), 20})
    assert cpu_text(cpu_set("4-15,^8,20")) == "4-7,9-15,20"
    with pytest.raises(ValueError, match="names no CPU"):
        cpu_set("4,^4")
    with pytest.raises(ValueError, match="above 65535"):
        cpu_set("0-99999999")


def test_export_round_trip_keeps_inheritance() -> None:
    """The stored/exported form spells every unset key as null: it must still inherit."""
    site = parse_site_yaml(GOOD, "site.yaml")
    again = parse_site_yaml(yaml.safe_dump(site.model_dump(mode="json")), "again.yaml")
    assert again == site
    assert as_site(site.model_dump(mode="json")) == site
    s = host_settings(again, again.spec.hosts[4], 4)
    assert s.value("interfaces.tunnel") == "ens1f0"
