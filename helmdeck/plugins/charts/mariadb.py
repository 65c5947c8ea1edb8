"""mariadb: the Galera cluster; the DB admin every client's db-init logs in as."""

from helmdeck import plugin as sdk

INTERNAL_USERS = ("sst", "audit", "exporter")


def _extra(out: sdk.Out, *, site: sdk.Site, **_: object) -> None:
    cls = site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="mariadb",
        labels=sdk.control(
            "server", "controller", "db_controller", "prometheus_mysql_exporter", "job", "test"
        ),
        cluster_replicas=("server",),
        keystone_users=("mariadb",),
        shared_secrets=(sdk.KEYSTONE_ADMIN, sdk.DB_ADMIN),
        secrets=tuple(sdk.Secret(f"mariadb_{u}_password", (f"endpoints.oslo_db.auth.{u}.password",))
                      for u in INTERNAL_USERS),
        provides=tuple(sdk.Provides(e) for e in ("oslo_db", "oslo_db_cell0", "oslo_db_cell1")),
        extra=_extra,
    )
)
