"""glance: top-level `storage` picks the image backend (rbd with ceph, else pvc/local)."""

from helmdeck.plugin import (
    OPENSTACK_SHARED,
    ChartPlugin,
    ChartSpec,
    Out,
    Provides,
    Site,
    control,
    monitors,
    storage_fact,
)


def _extra(out: Out, *, site: Site, **_: object) -> None:
    storage = site.spec.storage
    fact = storage_fact(site)
    if storage.backend == "ceph":
        out.set(("storage",), "rbd", fact)
        pool = storage.ceph.pools.images
        pool_fact = f"spec.storage.ceph.pools.images: {pool}"
        out.set(("conf", "glance", "glance_store", "rbd_store_pool"), pool, pool_fact)
        out.set(("conf", "glance", "rbd", "rbd_store_pool"), pool, pool_fact)
        monitors(out, site)
        return
    out.set(("storage",), storage.backend, fact)
    if storage.backend == "pvc":
        out.set(
            ("volume", "class_name"),
            storage.class_name,
            f"spec.storage.class_name: {storage.class_name}",
        )


plugin = ChartPlugin(
    ChartSpec(
        chart="glance",
        labels=control("api", "job", "test"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("glance", "test"),
        memcache_key=True,
        shared_secrets=OPENSTACK_SHARED,
        provides=(Provides("image", public="glance", registers=True),),
        extra=_extra,
    )
)
