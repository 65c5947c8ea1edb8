"""glance: top-level `storage` picks the image backend (rbd with ceph, else pvc/local).

With pvc storage the images and the staging area (``glance-images``, ``glance-tmp``) are
claims of the site's storage class, both of them (the chart's ``volume_staging`` has a class
of its own). The chart makes them ReadWriteOnce, and the inventory cannot say whether the
class offers ReadWriteMany: a ReadWriteMany claim on a class without it never binds and
glance never starts, while a ReadWriteOnce claim attaches to one node, so more than one
glance-api could not run. So glance-api runs one replica there, which always starts; a site
whose class is shared storage can set ``volume.accessModes``/``volume_staging.accessModes``
to ``[ReadWriteMany]`` and ``pod.replicas.api`` as user overrides (verify accepts that).
"""

from helmdeck import plugin as sdk


def _extra(out: sdk.Out, *, site: sdk.Site, **_: object) -> None:
    storage = site.spec.storage
    fact = sdk.storage_fact(site)
    if storage.backend == "ceph":
        out.set(("storage",), "rbd", fact)
        pool = storage.ceph.pools.images
        pool_fact = f"spec.storage.ceph.pools.images: {pool}"
        out.set(("conf", "glance", "glance_store", "rbd_store_pool"), pool, pool_fact)
        out.set(("conf", "glance", "rbd", "rbd_store_pool"), pool, pool_fact)
        sdk.monitors(out, site)
        return
    out.set(("storage",), storage.backend, fact)
    if storage.backend == "pvc":
        class_fact = f"spec.storage.class_name: {storage.class_name}"
        for volume in ("volume", "volume_staging"):
            out.set((volume, "class_name"), storage.class_name, class_fact)
            out.set((volume, "accessModes"), ["ReadWriteOnce"],
                    f"{fact} (a claim of class {storage.class_name} attaches to one node)")
        out.set(("pod", "replicas", "api"), 1,
                f"{fact}: one glance-api, its ReadWriteOnce image claims attach to one node")


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="glance",
        labels=sdk.control("api", "job", "test"),
        api_replicas=("api",),
        db_endpoints=("oslo_db",),
        rabbit_user=True,
        keystone_users=("glance", "test"),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        provides=(sdk.Provides("image", public="glance", registers=True),),
        extra=_extra,
    )
)
