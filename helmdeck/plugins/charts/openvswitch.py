"""openvswitch: a DaemonSet on every host labelled `openvswitch`."""

from helmdeck.plugin import ChartPlugin, ChartSpec, Placement

plugin = ChartPlugin(ChartSpec(chart="openvswitch", labels={("ovs",): Placement.OVS}))
