"""heat: api, cfn and engine; the trustee and stack-domain users besides its own."""

from helmdeck import plugin as sdk

plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="heat",
        labels=sdk.control("api", "cfn", "engine", "job", "test"),
        api_replicas=("api", "cfn", "engine"),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("heat", "heat_trustee", "heat_stack_user", "test"),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        provides=(
            sdk.Provides("orchestration", public="heat", registers=True),
            sdk.Provides("cloudformation", public="cloudformation", registers=True),
        ),
    )
)
