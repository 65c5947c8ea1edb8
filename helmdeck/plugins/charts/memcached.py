"""memcached: one `server` StatefulSet; clients reach it through the headless Service."""

from helmdeck.plugin import ChartPlugin, ChartSpec, Provides, control

plugin = ChartPlugin(
    ChartSpec(
        chart="memcached",
        labels=control("server"),
        api_replicas=("server",),
        provides=(Provides("oslo_cache"),),
    )
)
