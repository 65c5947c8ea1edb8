"""keystone: the identity provider; its admin is every other chart's admin."""

from helmdeck import plugin as sdk

plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="keystone",
        labels=sdk.control("api", "job", "test"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("test",),
        shared_secrets=sdk.OPENSTACK_SHARED,
        provides=(sdk.Provides("identity", public="keystone", registers=True),),
    )
)
