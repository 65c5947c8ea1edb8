"""placement: API only, no RabbitMQ, no `labels.test`."""

from helmdeck.plugins.chartplugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, control

plugin = ChartPlugin(
    ChartSpec(
        chart="placement",
        labels=control("api", "job"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        keystone_users=("placement",),
        memcache_key=True,
        shared_secrets=OPENSTACK_SHARED,
    )
)
