"""mariadb: the Galera cluster; the DB admin every client's db-init logs in as."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec, control

INTERNAL_USERS = ("sst", "audit", "exporter")


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    for user in INTERNAL_USERS:
        b.secret(
            out,
            snap,
            ("endpoints", "oslo_db", "auth", user, "password"),
            f"mariadb_{user}_password",
        )
    cls = snap.site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = ChartPlugin(
    ChartSpec(
        chart="mariadb",
        labels=control(
            "server", "controller", "db_controller", "prometheus_mysql_exporter", "job", "test"
        ),
        cluster_replicas=("server",),
        keystone_users=("mariadb",),
        shared_secrets=(b.KEYSTONE_ADMIN, b.DB_ADMIN),
        extra_secrets=tuple(f"mariadb_{u}_password" for u in INTERNAL_USERS),
        extra=_extra,
    )
)
