"""glance: top-level `storage` picks the image backend (rbd with ceph, else pvc/local)."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, control


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    storage = snap.site.spec.storage
    fact = b.storage_fact(snap.site)
    if storage.backend == "ceph":
        out.set(("storage",), "rbd", fact)
        pool = storage.ceph.pools.images
        pool_fact = f"spec.storage.ceph.pools.images: {pool}"
        out.set(("conf", "glance", "glance_store", "rbd_store_pool"), pool, pool_fact)
        out.set(("conf", "glance", "rbd", "rbd_store_pool"), pool, pool_fact)
        b.monitors(out, snap.site)
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
        extra=_extra,
    )
)
