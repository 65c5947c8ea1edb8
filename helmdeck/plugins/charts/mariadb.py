"""mariadb: the Galera cluster; the DB admin every client's db-init logs in as."""

from helmdeck.plugin import (
    DB_ADMIN,
    KEYSTONE_ADMIN,
    ChartPlugin,
    ChartSpec,
    Out,
    Provides,
    Secret,
    Site,
    control,
)

INTERNAL_USERS = ("sst", "audit", "exporter")


def _extra(out: Out, *, site: Site, **_: object) -> None:
    cls = site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = ChartPlugin(
    ChartSpec(
        chart="mariadb",
        labels=control(
            "server", "controller", "db_controller", "prometheus_mysql_exporter", "job", "test"
        ),
        cluster_replicas=("server",),
        keystone_users=("mariadb",),
        shared_secrets=(KEYSTONE_ADMIN, DB_ADMIN),
        secrets=tuple(Secret(f"mariadb_{u}_password", (f"endpoints.oslo_db.auth.{u}.password",))
                      for u in INTERNAL_USERS),
        provides=tuple(Provides(e) for e in ("oslo_db", "oslo_db_cell0", "oslo_db_cell1")),
        extra=_extra,
    )
)
