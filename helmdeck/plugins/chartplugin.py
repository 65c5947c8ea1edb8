"""A chart plugin as data: which keys each shared policy applies to, plus a chart's extras.

Most of what distinguishes the openstack-helm charts is key names (osh-conventions §1), so a
plugin is a ``ChartSpec`` and, where a chart has behaviour of its own (storage, the rabbitmq
admin living at ``auth.user``), one small ``extra`` function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot, SystemOverrides

Extra = Callable[["b.Out", "b.SiteFacts", SiteSnapshot, ChartRef, Mapping[str, Any]], None]

# What every OpenStack API chart logs in with (their db-init, rabbit-init and ks-* jobs).
OPENSTACK_SHARED = (b.KEYSTONE_ADMIN, b.DB_ADMIN, b.RABBIT_ADMIN)


@dataclass(frozen=True)
class ChartSpec:
    """The chart's keys for each policy; empty means the policy does not apply."""

    chart: str
    labels: Mapping[tuple[str, ...], b.Placement]
    api_replicas: tuple[str, ...] = ()
    cluster_replicas: tuple[str, ...] = ()
    db_endpoints: tuple[str, ...] = ()  # endpoint types holding the service's DB user
    rabbit_user: bool = False
    keystone_users: tuple[str, ...] = ()
    memcache_key: bool = False  # chart reads endpoints.oslo_cache.auth.memcache_secret_key
    shared_secrets: tuple[str, ...] = ()
    extra_secrets: tuple[str, ...] = ()
    # pod.tolerations.<component> instead of pod.tolerations.<chart> (ovn): each component
    # tolerates the taints of its own hosts; components the chart has no entry for are skipped.
    component_tolerations: bool = False
    extra: Extra | None = field(default=None, compare=False)


class ChartPlugin:
    """Runs the shared builders over a ``ChartSpec``: the built-in plugin of each chart."""

    def __init__(self, spec: ChartSpec) -> None:
        self.spec = spec
        self.chart = spec.chart

    def __repr__(self) -> str:
        return f"ChartPlugin({self.chart})"

    def db_secret(self) -> str:
        return f"{self.chart}_db_password"

    def rabbit_secret(self) -> str:
        return f"{self.chart}_rabbitmq_password"

    def secrets(self) -> tuple[str, ...]:
        s = self.spec
        names = [*s.shared_secrets, *s.extra_secrets]
        if s.memcache_key:
            names.append(b.MEMCACHE_KEY)
        if s.db_endpoints:
            names.append(self.db_secret())
        if s.rabbit_user:
            names.append(self.rabbit_secret())
        names += [b.keystone_user_secret(self.chart, u) for u in s.keystone_users]
        return tuple(sorted(set(names)))

    def overrides(
        self, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
    ) -> SystemOverrides:
        s = self.spec
        facts = b.SiteFacts.of(snapshot.site)
        out = b.Out()
        b.api_replicas(out, facts, s.api_replicas)
        b.cluster_replicas(out, facts, s.cluster_replicas)
        b.node_selectors(out, facts, s.labels)
        if s.component_tolerations:
            declared = b.get(chart_values, ("pod", "tolerations")) or {}
            for path, placement in s.labels.items():
                if len(path) == 1 and path[0] in declared:
                    b.tolerations(out, facts, path[0], [placement])
        else:
            b.tolerations(out, facts, self.chart, s.labels.values())
        b.image_mirror(out, snapshot.site, chart_values)
        b.endpoints(out, facts, snapshot, ref, chart_values)
        b.admin_credentials(out, snapshot, chart_values)
        if s.memcache_key:
            b.memcache_secret_key(out, snapshot)
        for etype in s.db_endpoints:
            b.secret(
                out,
                snapshot,
                ("endpoints", etype, "auth", self.chart, "password"),
                self.db_secret(),
            )
        if s.rabbit_user:
            b.secret(
                out,
                snapshot,
                ("endpoints", "oslo_messaging", "auth", self.chart, "password"),
                self.rabbit_secret(),
            )
        for user in s.keystone_users:
            b.secret(
                out,
                snapshot,
                ("endpoints", "identity", "auth", user, "password"),
                b.keystone_user_secret(self.chart, user),
            )
        if s.extra is not None:
            s.extra(out, facts, snapshot, ref, chart_values)
        return out.result()


def control(*names: str) -> dict[tuple[str, ...], b.Placement]:
    """Label components that run on controllers (the common case)."""
    return {tuple(n.split(".")): b.Placement.CONTROL for n in names}
