"""helmdeck as it was before the remedies of issue 11, to show what verify reports without them.

- ``upstream_app()``: the packaged application without its chart patches (the ovn
  controller's tolerations) and with cinder deployed whatever the storage (no volume backend
  without ceph).
- ``upstream_plugins()``: the installed plugins with glance's as it was: the site's class on
  ``volume`` only (``volume_staging`` kept the chart's ``general``) and one API replica per
  controller on ReadWriteOnce claims.
"""

from __future__ import annotations

from dataclasses import replace

from helmdeck.application import Application, When, load_application
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
from helmdeck.plugins.registry import Plugins, load_plugins


def upstream_app() -> Application:
    app = load_application()
    charts = tuple(replace(c, patches=(), when=When() if c.name == "cinder" else c.when)
                   for c in app.charts)
    return Application(app.name, charts)


def _glance_extra(out: Out, *, site: Site, **_: object) -> None:
    storage = site.spec.storage
    fact = storage_fact(site)
    if storage.backend == "ceph":
        out.set(("storage",), "rbd", fact)
        pool = storage.ceph.pools.images
        out.set(("conf", "glance", "glance_store", "rbd_store_pool"), pool, "pool")
        out.set(("conf", "glance", "rbd", "rbd_store_pool"), pool, "pool")
        monitors(out, site)
        return
    out.set(("storage",), storage.backend, fact)
    if storage.backend == "pvc":
        out.set(("volume", "class_name"), storage.class_name, "class")


UPSTREAM_GLANCE = ChartPlugin(ChartSpec(
    chart="glance", labels=control("api", "job", "test"), api_replicas=("api",),
    db_endpoints=("oslo_db",), rabbit_user=True, keystone_users=("glance", "test"),
    memcache_key=True, shared_secrets=OPENSTACK_SHARED,
    provides=(Provides("image", public="glance", registers=True),), extra=_glance_extra,
))


def upstream_plugins() -> Plugins:
    return Plugins({**load_plugins(), "glance": UPSTREAM_GLANCE})
