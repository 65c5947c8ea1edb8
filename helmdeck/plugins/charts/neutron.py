"""neutron: l3/dhcp/metadata agents on dedicated network hosts, OVS agent on every OVS host.

Per host (one rule per profile group, ``conf.overrides.neutron_<agent>``): the OVS agent's
bridge mappings, the NICs its init script plugs into them (``auto_bridge_add``) and the DPDK
ports; the SR-IOV agent's physical device mappings; every agent's free-form ``conf.neutron``.
Site-wide: ML2's flat networks, VLAN ranges and MTUs, and what neutron's scripts read from its
shared scripts ConfigMap (the tunnel interface or the tunnel network, the SR-IOV VFs).
"""

from collections.abc import Callable

from helmdeck import plugin as sdk

P = sdk.Placement
# The metadata proxy secret is read by whichever agent serves metadata for the backend.
METADATA_CONF = ("metadata_agent", "ovn_metadata_agent", "ovn_agent")
OVS_AGENT = ("conf", "plugins", "openvswitch_agent", "ovs")
SRIOV_NIC = ("plugins", "sriov_agent", "sriov_nic", "physical_device_mappings")
VHOSTUSER = "/var/run/openvswitch/vhostuser"


def _on(backend: str, placement: sdk.Placement) -> Callable[[sdk.SiteFacts], tuple[sdk.Host, ...]]:
    """The placement's hosts when the site runs ``backend``, else none."""

    def hosts(facts: sdk.SiteFacts) -> tuple[sdk.Host, ...]:
        if facts.site.spec.network.backend != backend:
            return ()
        return facts.hosts_for(placement)[0]

    return hosts


def _agent(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    """What every agent's copy carries: the host's free-form ``conf.neutron``."""
    hv = sdk.HostValues()
    hv.merge(s.conf.get("neutron"))
    return hv


def _ovs_agent(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    hv = sdk.HostValues()
    mappings = sdk.bridge_mappings(s, site)
    if mappings is not None:
        hv.set(("plugins", "openvswitch_agent", "ovs", "bridge_mappings"), *mappings)
    bridges = sdk.host_bridges(s)
    if bridges is not None:
        hv.set(("auto_bridge_add",), *bridges)
    ports = sdk.dpdk_ports(s)
    if ports is not None:
        nics, dpdk_bridges, fact = ports
        hv.set(("ovs_dpdk", "nics"), nics, fact)
        hv.set(("ovs_dpdk", "bridges"), dpdk_bridges, fact)
    hv.merge(s.conf.get("neutron"))
    return hv


def _sriov_agent(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    hv = sdk.HostValues()
    mappings = sdk.sriov_mappings(s)
    if mappings is not None:
        hv.set(SRIOV_NIC, *mappings)
    hv.merge(s.conf.get("neutron"))
    return hv


PER_HOST = (
    sdk.PerHost("neutron_ovs-agent", sdk.Form.CONF, _on("openvswitch", P.OVS), _ovs_agent,
                "daemonset_ovs_agent", ("ovs",)),
    sdk.PerHost("neutron_sriov-agent", sdk.Form.CONF, sdk.sriov_hosts, _sriov_agent,
                "daemonset_sriov_agent", ("sriov",)),
    sdk.PerHost("neutron_dhcp-agent", sdk.Form.CONF, _on("openvswitch", P.NETWORK), _agent,
                "daemonset_dhcp_agent", ("agent", "dhcp")),
    sdk.PerHost("neutron_l3-agent", sdk.Form.CONF, _on("openvswitch", P.L3), _agent,
                "daemonset_l3_agent", ("agent", "l3")),
    sdk.PerHost("neutron_metadata-agent", sdk.Form.CONF, _on("openvswitch", P.NETWORK), _agent,
                "daemonset_metadata_agent", ("agent", "metadata")),
    sdk.PerHost("neutron_netns-cleanup-cron", sdk.Form.CONF, _on("openvswitch", P.NETWORK), _agent,
                "daemonset_netns_cleanup_cron", ("netns_cleanup_cron",)),
    sdk.PerHost("neutron_ovn-metadata-agent", sdk.Form.CONF, _on("ovn", P.OVS), _agent,
                "daemonset_ovn_metadata_agent", ("ovs",)),
)


def _sriov(out: sdk.Out, site: sdk.Site, facts: sdk.SiteFacts) -> None:
    """SR-IOV hosts: the agent's backend, node label and VFs (one list for all of them)."""
    hosts = sdk.sriov_hosts(facts)
    if not hosts:
        return
    fact = sdk.group_fact(hosts, "SR-IOV devices")
    backend = site.spec.network.backend
    out.set(("network", "backend"), [backend, "sriov"], f"spec.network.backend: {backend}; {fact}")
    out.set(("labels", "sriov", "node_selector_key"), "sriov", fact)
    out.set(("labels", "sriov", "node_selector_value"), "enabled", fact)
    first = next(g for g in facts.groups if sdk.has_sriov(g.settings))
    devices = []
    for d in first.settings.value("interfaces.sriov"):
        device = {"device": d.device, "num_vfs": d.vfs, "promisc": False}
        if d.mtu is not None:
            device["mtu"] = d.mtu
        devices.append(device)
    out.set(("network", "interface", "sriov"), devices,
            f"{fact} (the same devices on every SR-IOV host)")
    out.set(("conf", *SRIOV_NIC), "", "spec.hosts: the SR-IOV hosts get theirs per profile")


def _openvswitch(out: sdk.Out, site: sdk.Site, facts: sdk.SiteFacts,
                 values: dict[str, object]) -> None:
    """The OVS agent's site-wide keys: tunnel, the bridges of hosts with none, DPDK mode."""
    net = site.spec.network
    hosts = facts.hosts_for(P.OVS)[0]
    tunnel = sdk.uniform_tunnel(facts, hosts)
    if tunnel is not None:
        out.set(("network", "interface", "tunnel"), *tunnel)
    if net.tunnel_cidr is not None:
        out.set(("network", "interface", "tunnel_network_cidr"), net.tunnel_cidr,
                f"spec.network.tunnel_cidr: {net.tunnel_cidr}")
    if net.provider_networks or any(g.settings.value("interfaces.bridges") for g in facts.groups):
        why = "spec.hosts: hosts outside the profile groups carry no provider bridge"
        conf = values.get("conf")
        defaults = conf.get("auto_bridge_add") if isinstance(conf, dict) else None
        for bridge in sorted(defaults or {}):
            out.set(("conf", "auto_bridge_add", bridge), None, why)
        out.set((*OVS_AGENT, "bridge_mappings"), "", why)
    dpdk = sdk.dpdk_hosts(facts)
    if dpdk:
        fact = sdk.group_fact(dpdk, "DPDK NICs")
        out.set(("conf", "ovs_dpdk", "enabled"), True, fact)
        out.set(("conf", "ovs_dpdk", "nics"), [], f"{fact} (given per profile)")
        out.set(("conf", "ovs_dpdk", "bridges"), [], f"{fact} (given per profile)")
        out.set((*OVS_AGENT, "datapath_type"), "netdev", fact)
        out.set((*OVS_AGENT, "vhostuser_socket_dir"), VHOSTUSER, fact)


def _extra(out: sdk.Out, *, site: sdk.Site, facts: sdk.SiteFacts, values: dict[str, object],
           **_: object) -> None:
    sdk.network_backend(out, site)
    sdk.ml2_networks(out, site)
    _sriov(out, site, facts)
    if site.spec.network.backend == "openvswitch":
        _openvswitch(out, site, facts, values)


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="neutron",
        labels={
            **sdk.control(
                "server", "rpc_server", "ironic_agent", "agent.l2gw", "agent.ovn_vpn", "job", "test"
            ),
            ("agent", "dhcp"): P.NETWORK,
            ("agent", "metadata"): P.NETWORK,
            ("agent", "l3"): P.L3,
            ("netns_cleanup_cron",): P.NETWORK,
            ("ovs",): P.OVS,
            ("bagpipe_bgp",): P.COMPUTE,
            ("bgp_dragent",): P.COMPUTE,
        },
        api_replicas=("server", "rpc_server"),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("neutron", "nova", "placement", "designate", "ironic", "test"),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        secrets=(sdk.Secret(sdk.METADATA_SECRET, tuple(
            f"conf.{agent}.DEFAULT.metadata_proxy_shared_secret" for agent in METADATA_CONF)),),
        provides=(sdk.Provides("network", public="neutron", registers=True),),
        per_host=PER_HOST,
        extra=_extra,
    )
)
