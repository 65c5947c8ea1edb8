"""cinder: rbd backends with the shared ceph user/UUID, or no volume service without ceph."""

from collections.abc import Mapping
from typing import Any

from helmdeck import plugin as sdk

RBD_DRIVER = "cinder.volume.drivers.rbd.RBDDriver"
CEPH_BACKUP = "cinder.backup.drivers.ceph.CephBackupDriver"
# Without ceph there is no volume backend in the application; these would fail or idle.
NON_CEPH_OFF = (
    "deployment_volume",
    "deployment_backup",
    "job_storage_init",
    "job_backup_storage_init",
)


def _extra(out: sdk.Out, *, snapshot: sdk.SiteSnapshot, values: Mapping[str, Any],
           **_: object) -> None:
    site = snapshot.site
    storage = site.spec.storage
    fact = sdk.storage_fact(site)
    backends = sdk.get(values, ("conf", "backends"), None) or {}
    rbd = sorted(
        n
        for n, c in backends.items()
        if isinstance(c, Mapping) and c.get("volume_driver") == RBD_DRIVER
    )
    if storage.backend != "ceph":
        for name in rbd:
            out.set(("conf", "backends", name), None, f"{fact} (no ceph)")
        for key in ("enabled_backends", "default_volume_type"):
            out.set(("conf", "cinder", "DEFAULT", key), None, f"{fact} (no ceph)")
        for key in NON_CEPH_OFF:
            out.set(("manifests", key), False, f"{fact} (no volume backend)")
        return
    user, user_fact, uuid, uuid_fact = sdk.ceph_identity(snapshot)
    pool = storage.ceph.pools.volumes
    pool_fact = f"spec.storage.ceph.pools.volumes: {pool}"
    pools = sdk.get(values, ("conf", "ceph", "pools"), None) or {}
    for name in rbd:
        old_pool = backends[name].get("rbd_pool")
        base = ("conf", "backends", name)
        out.set((*base, "rbd_pool"), pool, pool_fact)
        out.set((*base, "rbd_user"), user, user_fact)
        out.set((*base, "rbd_secret_uuid"), uuid, uuid_fact)
        if old_pool != pool and isinstance(pools.get(old_pool), Mapping):
            out.set(("conf", "ceph", "pools", pool), dict(pools[old_pool]), pool_fact)
            out.set(("conf", "ceph", "pools", old_pool), None, pool_fact)
    out.set(("conf", "cinder", "DEFAULT", "backup_driver"), CEPH_BACKUP, fact)
    sdk.monitors(out, site)


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="cinder",
        labels=sdk.control("api", "backup", "scheduler", "volume", "job", "test"),
        api_replicas=("api", "scheduler"),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("cinder", "nova", "glance", "swift", "service", "test"),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        secrets=(sdk.Secret(sdk.CEPH_UUID, ("conf.backends.*.rbd_secret_uuid",), sdk.Generator.UUID,
                            place=False),),
        provides=(sdk.Provides("volumev3", public="cinder", registers=True),),
        extra=_extra,
    )
)
