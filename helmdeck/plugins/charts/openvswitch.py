"""openvswitch: a DaemonSet on every host labelled `openvswitch`.

The chart has no per-host overrides: DPDK is on for every Open vSwitch host or for none (site
validation insists), with the mandatory DPDK settings of the chart.
"""

from helmdeck import plugin as sdk

DPDK = {"enabled": True, "hugepages_mountpath": "/dev/hugepages",
        "vhostuser_socket_dir": "vhostuser", "socket_memory": 1024}


def _extra(out: sdk.Out, *, facts: sdk.SiteFacts, **_: object) -> None:
    hosts = sdk.dpdk_hosts(facts)
    if hosts:
        fact = sdk.group_fact(hosts, "DPDK NICs")
        for key, value in DPDK.items():
            out.set(("conf", "ovs_dpdk", key), value, fact)


plugin = sdk.ChartPlugin(sdk.ChartSpec(chart="openvswitch", labels={("ovs",): sdk.Placement.OVS},
                                       extra=_extra))
