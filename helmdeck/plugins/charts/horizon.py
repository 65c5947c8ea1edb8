"""horizon: label key `dashboard` (not `server`), its own Django secret key, no RabbitMQ."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec, control

SECRET_KEY = "horizon_secret_key"


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    b.secret(
        out, snap, ("conf", "horizon", "local_settings", "config", "horizon_secret_key"), SECRET_KEY
    )


plugin = ChartPlugin(
    ChartSpec(
        chart="horizon",
        labels=control("dashboard", "job", "test"),
        api_replicas=("server",),
        db_endpoints=("oslo_db",),
        shared_secrets=(b.KEYSTONE_ADMIN, b.DB_ADMIN),
        extra_secrets=(SECRET_KEY,),
        extra=_extra,
    )
)
