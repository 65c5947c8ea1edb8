"""ovn: NB/SB databases and northd on network hosts, ovn-controller beside every OVS server.

Gateway chassis are the hosts labelled ``l3-agent`` (ovn-controller reads that node label
through ``labels.ovn_controller_gw``), so routers leave through the network hosts as
neutron's l3 agents would with Open vSwitch. Without network hosts all of it falls back to
the controllers, like neutron's agents.

Per host (one rule per profile group, ``overrides.ovn_controller``, helm-toolkit's root form,
which may vary any value): the tunnel interface, the bridge mappings and the NICs plugged into
the bridges, and the free-form ``conf.ovn``.
"""

from helmdeck import plugin as sdk

P = sdk.Placement
DATABASES = ("ovn_ovsdb_nb", "ovn_ovsdb_sb")


def raft_size(facts: sdk.SiteFacts) -> tuple[int, str]:
    """NB/SB are Raft clusters on the network hosts: 3 members when 3 hosts can carry them,
    else 1 (two members tolerate no failure and halve write speed); development: 1."""
    if facts.development:
        return 1, "spec.mode: development"
    hosts, what = facts.hosts_for(P.NETWORK)
    return (3 if len(hosts) >= 3 else 1), sdk.hosts_fact(hosts, what)


def _controller(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    hv = sdk.HostValues()
    tunnel = s.get("interfaces.tunnel")
    if tunnel is not None:
        hv.set(("network", "interface", "tunnel"), tunnel.value, f"{tunnel.where}: {tunnel.value}")
    mappings = sdk.bridge_mappings(s, site)
    if mappings is not None:
        hv.set(("conf", "ovn_bridge_mappings"), *mappings)
    bridges = sdk.host_bridges(s)
    if bridges is not None:
        hv.set(("conf", "auto_bridge_add"), *bridges)
    hv.merge(s.conf.get("ovn"), ("conf",))
    return hv


def _controller_hosts(facts: sdk.SiteFacts) -> tuple[sdk.Host, ...]:
    return facts.hosts_for(P.OVS)[0] if facts.site.spec.network.backend == "ovn" else ()


def _network(out: sdk.Out, site: sdk.Site, facts: sdk.SiteFacts) -> None:
    """ovn-controller's site-wide keys: the tunnel network and the hosts without bridges."""
    net = site.spec.network
    if net.backend != "ovn":
        return
    if net.tunnel_cidr is not None:
        out.set(("network", "interface", "tunnel_network_cidr"), net.tunnel_cidr,
                f"spec.network.tunnel_cidr: {net.tunnel_cidr}")
    if net.provider_networks:
        out.set(("conf", "ovn_bridge_mappings"), "",
                "spec.hosts: hosts outside the profile groups carry no provider bridge")
    dpdk = sdk.dpdk_hosts(facts)
    if dpdk:
        out.set(("conf", "ovn_bridge_datapath_type"), "netdev", sdk.group_fact(dpdk, "DPDK NICs"))


def _extra(out: sdk.Out, *, site: sdk.Site, facts: sdk.SiteFacts, **_: object) -> None:
    n, fact = raft_size(facts)
    for component in (*DATABASES, "ovn_northd"):
        out.set(("pod", "replicas", component), n, fact)
    cls = site.spec.storage.class_name
    for db in DATABASES:
        out.set(("volume", db, "class_name"), cls, f"spec.storage.class_name: {cls}")
    _network(out, site, facts)


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="ovn",
        labels={
            ("ovn_ovsdb_nb",): P.NETWORK,
            ("ovn_ovsdb_sb",): P.NETWORK,
            ("ovn_northd",): P.NETWORK,
            ("ovn_controller",): P.OVS,
            ("ovn_controller_gw",): P.L3,
            ("ovn_bgp_agent",): P.OVS,
        },
        component_tolerations=True,
        per_host=(sdk.PerHost("ovn_controller", sdk.Form.ROOT, _controller_hosts, _controller,
                              "daemonset_ovn_controller", ("ovn_controller",)),),
        extra=_extra,
    )
)
