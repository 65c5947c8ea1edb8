"""placement: API only, no RabbitMQ, no `labels.test`."""

from helmdeck.plugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, Provides, control

plugin = ChartPlugin(
    ChartSpec(
        chart="placement",
        labels=control("api", "job"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        keystone_users=("placement",),
        memcache_key=True,
        shared_secrets=OPENSTACK_SHARED,
        provides=(Provides("placement", public="placement", registers=True),),
    )
)
