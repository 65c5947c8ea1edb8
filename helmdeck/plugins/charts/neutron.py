"""neutron: l3/dhcp/metadata agents on dedicated network hosts, OVS agent on every OVS host."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, control

P = b.Placement
# The metadata proxy secret is read by whichever agent serves metadata for the backend.
METADATA_CONF = ("metadata_agent", "ovn_metadata_agent", "ovn_agent")


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    for conf in METADATA_CONF:
        b.secret(
            out, snap, ("conf", conf, "DEFAULT", "metadata_proxy_shared_secret"), b.METADATA_SECRET
        )
    b.network_backend(out, snap.site)


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
        extra_secrets=(b.METADATA_SECRET,),
        extra=_extra,
    )
)
