"""memcached: one `server` StatefulSet; clients reach it through the headless Service."""

from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec, control

plugin = ChartPlugin(
    ChartSpec(
        chart="memcached",
        labels=control("server"),
        api_replicas=("server",),
    )
)
