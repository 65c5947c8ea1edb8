"""A chart plugin as data: which keys each shared policy applies to, the secrets it sets, the
services it provides, plus, where a chart has behaviour of its own, one ``extra`` hook."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from helmdeck.errors import UserError
from helmdeck.plugin import _policies as p
from helmdeck.plugin._facts import Placement, SiteFacts
from helmdeck.plugin._out import Out
from helmdeck.plugin._types import ChartRef, Provides, Secret, SiteSnapshot, SystemOverrides
from helmdeck.store.secrets import Generator
from helmdeck.values.paths import parse_path
from helmdeck.values.tree import get

# ``extra(out, *, <any of these>, **_)``: what the hook may ask for by keyword.
EXTRA_ARGUMENTS = frozenset({"site", "values", "facts", "snapshot", "ref"})
Extra = Callable[..., None]

# The secrets shared across charts, declared once with every path they go to.
SHARED_SECRETS: dict[str, Secret] = {
    p.KEYSTONE_ADMIN: Secret(p.KEYSTONE_ADMIN, ("endpoints.identity.auth.admin.password",),
                             place=False),
    p.DB_ADMIN: Secret(p.DB_ADMIN, tuple(f"endpoints.{e}.auth.admin.password"
                                         for e in p.DB_ENDPOINTS), place=False),
    p.RABBIT_ADMIN: Secret(p.RABBIT_ADMIN, ("endpoints.oslo_messaging.auth.admin.password",),
                           place=False),
}
# What every OpenStack API chart logs in with (their db-init, rabbit-init and ks-* jobs).
OPENSTACK_SHARED = (p.KEYSTONE_ADMIN, p.DB_ADMIN, p.RABBIT_ADMIN)


class Plugin(Protocol):
    """What the entry-point group ``helmdeck.plugins`` must yield for each chart."""

    chart: str

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret the chart's overrides may carry, declared with its paths."""
        ...

    def provides(self) -> tuple[Provides, ...]:
        """The endpoint types this chart's Services answer."""
        ...

    def overrides(
        self, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
    ) -> SystemOverrides:
        """The chart's system overrides for this site.

        ``chart_values`` is the chart's values.yaml coalesced with its static overrides: what
        the plugin builds on (image tags to rewrite to the mirror, endpoint types present).
        """
        ...


@dataclass(frozen=True)
class ChartSpec:
    """The chart's keys for each policy; empty means the policy does not apply.

    ``labels`` maps each component's ``labels.<path>`` to where it runs. ``secrets`` are the
    chart's own secrets (placed at their paths unless ``place=False``); the credentials the
    policies set (``db_endpoints``, ``rabbit_user``, ``keystone_users``, ``memcache_key``,
    ``shared_secrets``) are declared from these fields. ``component_tolerations``: the chart
    has ``pod.tolerations.<component>`` (ovn) instead of one entry named after the chart.
    """

    chart: str
    labels: Mapping[tuple[str, ...], Placement]
    api_replicas: tuple[str, ...] = ()
    cluster_replicas: tuple[str, ...] = ()
    db_endpoints: tuple[str, ...] = ()
    rabbit_user: bool = False
    keystone_users: tuple[str, ...] = ()
    memcache_key: bool = False
    shared_secrets: tuple[str, ...] = ()
    secrets: tuple[Secret, ...] = ()
    provides: tuple[Provides, ...] = ()
    component_tolerations: bool = False
    extra: Extra | None = field(default=None, compare=False)


def check_extra(chart: str, extra: Extra) -> None:
    """Refuse an ``extra`` hook the framework could not call, when the plugin is registered.

    Like pluggy's hook validation: the first parameter receives ``out``; every other one must
    be keyword-only and named after something the framework passes (or be ``**kwargs``), so
    a misspelt argument fails at load time, not half-way through a plan.
    """
    params = list(inspect.signature(extra).parameters.values())
    if not params or params[0].kind not in (inspect.Parameter.POSITIONAL_ONLY,
                                            inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise UserError(f"chart plugin {chart}: extra() must take `out` as its first argument")
    for param in params[1:]:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if param.kind is not inspect.Parameter.KEYWORD_ONLY or param.name not in EXTRA_ARGUMENTS:
            raise UserError(
                f"chart plugin {chart}: extra() argument {param.name!r} is not one the framework "
                f"passes; write def extra(out, *, {', '.join(sorted(EXTRA_ARGUMENTS))}, **_)"
            )


class ChartPlugin:
    """Runs the shared policies over a ``ChartSpec``: what every built-in plugin is."""

    def __init__(self, spec: ChartSpec) -> None:
        if spec.extra is not None:
            check_extra(spec.chart, spec.extra)
        self.spec = spec
        self.chart = spec.chart

    def __repr__(self) -> str:
        return f"ChartPlugin({self.chart})"

    def db_secret(self) -> str:
        return f"{self.chart}_db_password"

    def rabbit_secret(self) -> str:
        return f"{self.chart}_rabbitmq_password"

    def provides(self) -> tuple[Provides, ...]:
        return self.spec.provides

    def secrets(self) -> tuple[Secret, ...]:
        """The chart's own secrets and those its policy fields set, by name."""
        s = self.spec
        out: dict[str, Secret] = {n: SHARED_SECRETS[n] for n in s.shared_secrets}
        if s.memcache_key:
            out[p.MEMCACHE_KEY] = Secret(
                p.MEMCACHE_KEY, ("endpoints.oslo_cache.auth.memcache_secret_key",),
                Generator.ALNUM64, place=False)
        if s.db_endpoints:
            out[self.db_secret()] = Secret(self.db_secret(), tuple(
                f"endpoints.{e}.auth.{self.chart}.password" for e in s.db_endpoints), place=False)
        if s.rabbit_user:
            out[self.rabbit_secret()] = Secret(self.rabbit_secret(), (
                f"endpoints.oslo_messaging.auth.{self.chart}.password",), place=False)
        for user in s.keystone_users:
            name = p.keystone_user_secret(self.chart, user)
            out[name] = Secret(name, (f"endpoints.identity.auth.{user}.password",), place=False)
        for secret in s.secrets:
            known = out.get(secret.name)
            paths = (*known.paths, *secret.paths) if known else secret.paths
            out[secret.name] = Secret(secret.name, tuple(dict.fromkeys(paths)), secret.generator,
                                      secret.place)
        return tuple(out[n] for n in sorted(out))

    def overrides(
        self, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
    ) -> SystemOverrides:
        s = self.spec
        facts = SiteFacts.of(snapshot.site)
        out = Out(snapshot.secrets)
        p.api_replicas(out, facts, s.api_replicas)
        p.cluster_replicas(out, facts, s.cluster_replicas)
        p.node_selectors(out, facts, s.labels)
        if s.component_tolerations:
            declared = get(chart_values, ("pod", "tolerations"), None) or {}
            for path, placement in s.labels.items():
                if len(path) == 1 and path[0] in declared:
                    p.tolerations(out, facts, path[0], [placement])
        else:
            p.tolerations(out, facts, self.chart, s.labels.values())
        p.image_mirror(out, snapshot.site, chart_values)
        p.endpoints(out, facts, snapshot, ref, chart_values)
        p.admin_credentials(out, snapshot, chart_values)
        if s.memcache_key:
            p.memcache_secret_key(out)
        for etype in s.db_endpoints:
            out.secret(("endpoints", etype, "auth", self.chart, "password"), self.db_secret())
        if s.rabbit_user:
            out.secret(("endpoints", "oslo_messaging", "auth", self.chart, "password"),
                       self.rabbit_secret())
        for user in s.keystone_users:
            out.secret(("endpoints", "identity", "auth", user, "password"),
                       p.keystone_user_secret(self.chart, user))
        for secret in s.secrets:
            if secret.place:
                for dotted in secret.paths:
                    out.secret(parse_path(dotted), secret.name)
        if s.extra is not None:
            s.extra(out, site=snapshot.site, values=chart_values, facts=facts,
                    snapshot=snapshot, ref=ref)
        return out.result()


def control(*names: str) -> dict[tuple[str, ...], Placement]:
    """Label components that run on controllers (the common case)."""
    return {tuple(n.split(".")): Placement.CONTROL for n in names}
