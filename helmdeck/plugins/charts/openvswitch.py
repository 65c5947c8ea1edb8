"""openvswitch: a DaemonSet on every host labelled `openvswitch`."""

from helmdeck.plugins.builders import Placement
from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec

plugin = ChartPlugin(ChartSpec(chart="openvswitch", labels={("ovs",): Placement.OVS}))
