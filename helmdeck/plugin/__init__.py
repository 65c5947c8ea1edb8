"""The chart plugin SDK: everything a chart plugin needs, in one module.

A plugin is a ``ChartPlugin(ChartSpec(...))`` registered in the ``helmdeck.plugins``
entry-point group under its chart's name. The spec says what differs about the chart: which
``labels.<component>`` run where, which replica counts follow the controllers, which
credentials it needs, the secrets it sets (``Secret``: name, paths, generator) and the
endpoint types it provides to the catalog (``Provides``). Behaviour of its own goes in an
``extra`` hook called as ``extra(out, *, site, values, facts, snapshot, ref)``; declare only
the arguments you use, and end with ``**_``::

    def extra(out: Out, *, site: Site, **_: object) -> None:
        out.set(("conf", "x", "region"), site.spec.region, f"spec.region: {site.spec.region}")

Every value at a path that looks like a secret (``*password*``, ``*secret_key*``, ...) must
be declared with ``Secret``; an undeclared one fails the plugin when it runs. Declared
paths are redacted in every output, refused as user overrides and hidden in diffs.
"""

from helmdeck.plugin._facts import Placement, SiteFacts, hosts_fact
from helmdeck.plugin._out import Out
from helmdeck.plugin._policies import (
    CEPH_UUID,
    DB_ADMIN,
    KEYSTONE_ADMIN,
    MEMCACHE_KEY,
    METADATA_SECRET,
    RABBIT_ADMIN,
    ceph_client,
    ceph_identity,
    cluster_size,
    mirror_image,
    monitors,
    network_backend,
    storage_fact,
)
from helmdeck.plugin._spec import (
    EXTRA_ARGUMENTS,
    OPENSTACK_SHARED,
    ChartPlugin,
    ChartSpec,
    Plugin,
    check_extra,
    control,
)
from helmdeck.plugin._types import (
    Catalog,
    ChartRef,
    Provides,
    Secret,
    SiteSnapshot,
    SystemOverrides,
)
from helmdeck.site.model import Host, Role, Site
from helmdeck.store.secrets import Generator
from helmdeck.values.tree import get

__all__ = [
    "CEPH_UUID",
    "DB_ADMIN",
    "EXTRA_ARGUMENTS",
    "KEYSTONE_ADMIN",
    "MEMCACHE_KEY",
    "METADATA_SECRET",
    "OPENSTACK_SHARED",
    "RABBIT_ADMIN",
    "Catalog",
    "ChartPlugin",
    "ChartRef",
    "ChartSpec",
    "Generator",
    "Host",
    "Out",
    "Placement",
    "Plugin",
    "Provides",
    "Role",
    "Secret",
    "Site",
    "SiteFacts",
    "SiteSnapshot",
    "SystemOverrides",
    "ceph_client",
    "ceph_identity",
    "check_extra",
    "cluster_size",
    "control",
    "get",
    "hosts_fact",
    "mirror_image",
    "monitors",
    "network_backend",
    "storage_fact",
]
