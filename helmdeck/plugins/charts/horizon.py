"""horizon: label key `dashboard` (not `server`), its own Django secret key, no RabbitMQ."""

from helmdeck.plugin import (
    DB_ADMIN,
    KEYSTONE_ADMIN,
    ChartPlugin,
    ChartSpec,
    Provides,
    Secret,
    control,
)

plugin = ChartPlugin(
    ChartSpec(
        chart="horizon",
        labels=control("dashboard", "job", "test"),
        api_replicas=("server",),
        db_endpoints=("oslo_db",),
        shared_secrets=(KEYSTONE_ADMIN, DB_ADMIN),
        secrets=(Secret("horizon_secret_key",
                        ("conf.horizon.local_settings.config.horizon_secret_key",)),),
        provides=(Provides("dashboard", public="horizon", port="web"),),
    )
)
