"""keystone: the identity provider; its admin is every other chart's admin."""

from helmdeck.plugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, Provides, control

plugin = ChartPlugin(
    ChartSpec(
        chart="keystone",
        labels=control("api", "job", "test"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("test",),
        shared_secrets=OPENSTACK_SHARED,
        provides=(Provides("identity", public="keystone", registers=True),),
    )
)
