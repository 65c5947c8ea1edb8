"""placement: API only, no RabbitMQ, no `labels.test`."""

from helmdeck import plugin as sdk

plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="placement",
        labels=sdk.control("api", "job"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        keystone_users=("placement",),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        provides=(sdk.Provides("placement", public="placement", registers=True),),
    )
)
