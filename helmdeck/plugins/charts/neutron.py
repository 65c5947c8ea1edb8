"""neutron: l3/dhcp/metadata agents on dedicated network hosts, OVS agent on every OVS host."""

from helmdeck.plugin import (
    METADATA_SECRET,
    OPENSTACK_SHARED,
    ChartPlugin,
    ChartSpec,
    Out,
    Placement,
    Provides,
    Secret,
    Site,
    control,
    network_backend,
)

P = Placement
# The metadata proxy secret is read by whichever agent serves metadata for the backend.
METADATA_CONF = ("metadata_agent", "ovn_metadata_agent", "ovn_agent")


def _extra(out: Out, *, site: Site, **_: object) -> None:
    network_backend(out, site)


plugin = ChartPlugin(
    ChartSpec(
        chart="neutron",
        labels={
            **control(
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
        shared_secrets=OPENSTACK_SHARED,
        secrets=(Secret(METADATA_SECRET, tuple(
            f"conf.{agent}.DEFAULT.metadata_proxy_shared_secret" for agent in METADATA_CONF)),),
        provides=(Provides("network", public="neutron", registers=True),),
        extra=_extra,
    )
)
