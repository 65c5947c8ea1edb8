"""memcached: one `server` StatefulSet; clients reach it through the headless Service."""

from helmdeck import plugin as sdk

plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="memcached",
        labels=sdk.control("server"),
        api_replicas=("server",),
        provides=(sdk.Provides("oslo_cache"),),
    )
)
