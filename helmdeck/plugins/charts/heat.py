"""heat: api, cfn and engine; the trustee and stack-domain users besides its own."""

from helmdeck.plugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, Provides, control

plugin = ChartPlugin(
    ChartSpec(
        chart="heat",
        labels=control("api", "cfn", "engine", "job", "test"),
        api_replicas=("api", "cfn", "engine"),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("heat", "heat_trustee", "heat_stack_user", "test"),
        memcache_key=True,
        shared_secrets=OPENSTACK_SHARED,
        provides=(
            Provides("orchestration", public="heat", registers=True),
            Provides("cloudformation", public="cloudformation", registers=True),
        ),
    )
)
