"""ovn: NB/SB databases and northd on network hosts, ovn-controller beside every OVS server.

Gateway chassis are the hosts labelled ``l3-agent`` (ovn-controller reads that node label
through ``labels.ovn_controller_gw``), so routers leave through the network hosts as
neutron's l3 agents would with Open vSwitch. Without network hosts all of it falls back to
the controllers, like neutron's agents.
"""

from helmdeck.plugin import ChartPlugin, ChartSpec, Out, Placement, Site, SiteFacts, hosts_fact

P = Placement
DATABASES = ("ovn_ovsdb_nb", "ovn_ovsdb_sb")


def raft_size(facts: SiteFacts) -> tuple[int, str]:
    """NB/SB are Raft clusters on the network hosts: 3 members when 3 hosts can carry them,
    else 1 (two members tolerate no failure and halve write speed); development: 1."""
    if facts.development:
        return 1, "spec.mode: development"
    hosts, what = facts.hosts_for(P.NETWORK)
    return (3 if len(hosts) >= 3 else 1), hosts_fact(hosts, what)


def _extra(out: Out, *, site: Site, facts: SiteFacts, **_: object) -> None:
    n, fact = raft_size(facts)
    for component in (*DATABASES, "ovn_northd"):
        out.set(("pod", "replicas", component), n, fact)
    cls = site.spec.storage.class_name
    for db in DATABASES:
        out.set(("volume", db, "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = ChartPlugin(
    ChartSpec(
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
        extra=_extra,
    )
)
