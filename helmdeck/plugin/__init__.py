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

Per-host configuration: ``ChartSpec(per_host=(PerHost(key, form, hosts, values), ...))``
declares the chart's DaemonSets that take it; ``values(settings, site)`` returns the
``HostValues`` one host's copy carries, from the host group's ``Settings`` (each value with the
``site.yaml`` key it came from, for the facts). The framework writes one helm-toolkit label
rule per distinct configuration on the ``helmdeck-profile`` node label (``PROFILE_LABEL``);
``daemonsets(form, key, values)`` names the DaemonSets helm-toolkit will make from them.

Every value at a path that looks like a secret (``*password*``, ``*secret_key*``, ...) must
be declared with ``Secret``; an undeclared one fails the plugin when it runs. Declared
paths are redacted in every output, refused as user overrides and hidden in diffs.
"""

from helmdeck.plugin._daemonsets import (
    HOSTNAME,
    Form,
    RuleDaemonSet,
    daemonsets,
    runs_on,
    term_matches,
)
from helmdeck.plugin._facts import Placement, SiteFacts, hosts_fact
from helmdeck.plugin._hosts import HostValues, PerHost, group_hosts, per_host_overrides
from helmdeck.plugin._network import (
    bridge_mappings,
    dpdk_hosts,
    dpdk_ports,
    group_fact,
    has_dpdk,
    has_sriov,
    host_bridges,
    ml2_networks,
    sriov_hosts,
    sriov_mappings,
    uniform_tunnel,
)
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
from helmdeck.site.profiles import PROFILE_LABEL, HostGroup, Settings, Sourced
from helmdeck.store.secrets import Generator
from helmdeck.values.tree import get

__all__ = [
    "CEPH_UUID",
    "DB_ADMIN",
    "EXTRA_ARGUMENTS",
    "HOSTNAME",
    "KEYSTONE_ADMIN",
    "MEMCACHE_KEY",
    "METADATA_SECRET",
    "OPENSTACK_SHARED",
    "PROFILE_LABEL",
    "RABBIT_ADMIN",
    "Catalog",
    "ChartPlugin",
    "ChartRef",
    "ChartSpec",
    "Form",
    "Generator",
    "Host",
    "HostGroup",
    "HostValues",
    "Out",
    "PerHost",
    "Placement",
    "Plugin",
    "Provides",
    "Role",
    "RuleDaemonSet",
    "Secret",
    "Settings",
    "Site",
    "SiteFacts",
    "SiteSnapshot",
    "Sourced",
    "SystemOverrides",
    "bridge_mappings",
    "ceph_client",
    "ceph_identity",
    "check_extra",
    "cluster_size",
    "control",
    "daemonsets",
    "dpdk_hosts",
    "dpdk_ports",
    "get",
    "group_fact",
    "group_hosts",
    "has_dpdk",
    "has_sriov",
    "host_bridges",
    "hosts_fact",
    "mirror_image",
    "ml2_networks",
    "monitors",
    "network_backend",
    "per_host_overrides",
    "runs_on",
    "sriov_hosts",
    "sriov_mappings",
    "storage_fact",
    "term_matches",
    "uniform_tunnel",
]
