"""horizon: label key `dashboard` (not `server`), its own Django secret key, no RabbitMQ."""

from helmdeck import plugin as sdk

plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="horizon",
        labels=sdk.control("dashboard", "job", "test"),
        api_replicas=("server",),
        db_endpoints=("oslo_db",),
        shared_secrets=(sdk.KEYSTONE_ADMIN, sdk.DB_ADMIN),
        secrets=(sdk.Secret("horizon_secret_key",
                            ("conf.horizon.local_settings.config.horizon_secret_key",)),),
        provides=(sdk.Provides("dashboard", public="horizon", port="web"),),
    )
)
