"""Agreement rules: the values several charts each keep a copy of must be equal.

Each chart keeps its own copy of values that several charts must share (the keystone admin,
the DB and RabbitMQ admins, public hostnames, the metadata proxy secret, the ceph client).
Nothing in Helm ties the copies together, so an override that changes one copy renders fine
and fails only at run time (a db-init that cannot log in, a catalog URL nobody serves). These
rules compare the copies.

They look at the combined overrides (what helmdeck passes to Helm), not the chart defaults: a
key that a chart's overrides leave unset is not compared, because the check cannot know the
default there (pass effective values instead to include the defaults).

Messages name both sides as ``chart dotted.path``. Values are quoted only when neither path
holds a secret; a secret difference is reported as "differs".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.plugin import Catalog
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values import tree
from helmdeck.values.paths import Path, format_path

Parts = Path
Values = Mapping[str, Any]
Combined = Mapping[str, Values]

_MISSING = object()


@dataclass(frozen=True)
class Inconsistency:
    """``a`` disagrees with ``b``; each is ``(chart, dotted path)``.

    ``b`` is the reference side: the provider chart, or the value most charts hold.
    """

    rule: str
    message: str
    a: tuple[str, str]
    b: tuple[str, str]


@dataclass(frozen=True)
class Context:
    """What the rules need besides the values: release names, the catalog, secret paths."""

    releases: Mapping[str, str]
    catalog: Catalog
    paths: SecretPaths


@dataclass(frozen=True)
class _Copy:
    chart: str
    path: Parts
    value: Any


def _same(x: Any, y: Any) -> bool:
    # 3 and 3.0 are one number to Helm (every YAML number is a float64 there).
    return bool(x == y) and (isinstance(x, bool) == isinstance(y, bool))


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _differs(ctx: Context, rule: str, a: _Copy, b: _Copy, what: str = "") -> Inconsistency:
    pa, pb = format_path(a.path), format_path(b.path)
    if ctx.paths.is_secret(a.path) or ctx.paths.is_secret(b.path):
        detail = f"{a.chart} {pa} differs from {b.chart} {pb}"
    else:
        detail = f"{a.chart} {pa} is {_show(a.value)} but {b.chart} {pb} is {_show(b.value)}"
    return Inconsistency(rule, f"{rule}: {detail}{what}", (a.chart, pa), (b.chart, pb))


def _pairwise(
    ctx: Context, rule: str, client: _Copy, provider: _Copy, what: str = ""
) -> list[Inconsistency]:
    """Compare two maps of credentials leaf by leaf, where both set the leaf."""
    theirs = dict(tree.leaves(provider.value))
    out = []
    for sub, value in tree.leaves(client.value):
        if sub in theirs and not _same(value, theirs[sub]):
            out.append(
                _differs(
                    ctx,
                    rule,
                    _Copy(client.chart, (*client.path, *sub), value),
                    _Copy(provider.chart, (*provider.path, *sub), theirs[sub]),
                    what,
                )
            )
    return out


def _agree(
    ctx: Context, rule: str, copies: list[_Copy], prefer: str | None = None
) -> list[Inconsistency]:
    """Every copy against a reference: ``prefer``'s copy, else the value most copies hold.

    Ties go to the earliest copy, so the order of ``copies`` says who is authoritative.
    """
    if len(copies) < 2:
        return []
    ref = next((c for c in copies if c.chart == prefer), None)
    if ref is None:
        counts = [sum(_same(c.value, d.value) for d in copies) for c in copies]
        ref = copies[counts.index(max(counts))]
    return [_differs(ctx, rule, c, ref) for c in copies if not _same(c.value, ref.value)]


def _copy(combined: Combined, chart: str, path: Parts) -> _Copy | None:
    value = tree.get(combined.get(chart), path, _MISSING)
    return None if value is _MISSING else _Copy(chart, path, value)


def _present(copies: Iterable[_Copy | None]) -> list[_Copy]:
    return [c for c in copies if c is not None]


# --- rules ------------------------------------------------------------------------------------

IDENTITY_ADMIN: Parts = ("endpoints", "identity", "auth", "admin")


def _clients_match(
    ctx: Context,
    rule: str,
    combined: Combined,
    provider: str,
    provider_path: Parts,
    client_path: Parts,
) -> list[Inconsistency]:
    """Every other chart's ``client_path`` credentials against the provider's, leaf by leaf."""
    theirs = _copy(combined, provider, provider_path)
    if theirs is None:
        return []
    out: list[Inconsistency] = []
    for chart in sorted(combined):
        client = _copy(combined, chart, client_path) if chart != provider else None
        if client is not None:
            out += _pairwise(ctx, rule, client, theirs)
    return out


def keystone_admin(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Every chart's ks-* jobs log in as the admin keystone bootstrapped."""
    return _clients_match(
        ctx, "keystone-admin", combined, "keystone", IDENTITY_ADMIN, IDENTITY_ADMIN
    )


def db_admin(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Clients' db-init logs in as mariadb's root (nova also for cell0/cell1)."""
    etypes = {
        str(t)
        for values in combined.values()
        if isinstance(endpoints := tree.get(values, ("endpoints",), None), Mapping)
        for t in endpoints
        if str(t).startswith("oslo_db")
    }
    root: Parts = ("endpoints", "oslo_db", "auth", "admin")
    return [
        found
        for etype in sorted(etypes)
        for found in _clients_match(
            ctx, "db-admin", combined, "mariadb", root, ("endpoints", etype, "auth", "admin")
        )
    ]


def rabbitmq_admin(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Clients' rabbit-init logs in as the user the rabbitmq chart calls ``auth.user``."""
    auth: Parts = ("endpoints", "oslo_messaging", "auth")
    return _clients_match(
        ctx, "rabbitmq-admin", combined, "rabbitmq", (*auth, "user"), (*auth, "admin")
    )


def rabbitmq_statefulset(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Clients list one transport host per rabbitmq pod: its real StatefulSet name and size."""
    if "rabbitmq" not in combined:
        return []
    release = ctx.releases.get("rabbitmq", "rabbitmq")
    real_name = f"{release}-rabbitmq"
    replicas = _copy(combined, "rabbitmq", ("pod", "replicas", "server"))
    ss: Parts = ("endpoints", "oslo_messaging", "statefulset")
    out: list[Inconsistency] = []
    for chart in sorted(combined):
        if chart == "rabbitmq" or not isinstance(tree.get(combined[chart], ss, None), Mapping):
            continue
        name = _copy(combined, chart, (*ss, "name"))
        if name is not None and name.value != real_name:
            path = format_path(name.path)
            out.append(
                Inconsistency(
                    "rabbitmq-statefulset",
                    f"rabbitmq-statefulset: {chart} {path} is {_show(name.value)} but the "
                    f"rabbitmq release {release!r} runs StatefulSet {real_name!r}",
                    (chart, path),
                    ("rabbitmq", "release"),
                )
            )
        count = _copy(combined, chart, (*ss, "replicas"))
        if count is not None and replicas is not None:
            out += _agree(ctx, "rabbitmq-statefulset", [replicas, count], prefer="rabbitmq")
    return out


def cluster_domain(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Every in-cluster URL ends with the cluster DNS domain; one chart off cannot resolve."""
    path: Parts = ("endpoints", "cluster_domain_suffix")
    return _agree(
        ctx, "cluster-domain", _present(_copy(combined, c, path) for c in sorted(combined))
    )


def _public_host(combined: Combined, chart: str, etype: str) -> _Copy | None:
    base: Parts = ("endpoints", etype, "host_fqdn_override", "public")
    value = tree.get(combined.get(chart), base, _MISSING)
    if isinstance(value, Mapping):
        return _copy(combined, chart, (*base, "host"))
    return None if value is _MISSING else _Copy(chart, base, value)


def public_endpoints(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """A public host, scheme or port that differs between charts gives clients two URLs."""
    by_type: dict[str, list[str]] = {}
    for chart in sorted(combined):
        endpoints = tree.get(combined[chart], ("endpoints",), None)
        if isinstance(endpoints, Mapping):
            for etype, ep in endpoints.items():
                if isinstance(ep, Mapping):
                    by_type.setdefault(str(etype), []).append(chart)
    out: list[Inconsistency] = []
    for etype in sorted(by_type):
        charts = by_type[etype]
        prefer = ctx.catalog.provider(etype) if ctx.catalog.public(etype) else None
        out += _agree(
            ctx,
            "public-endpoint",
            _present(_public_host(combined, c, etype) for c in charts),
            prefer,
        )
        scheme = ("endpoints", etype, "scheme", "public")
        out += _agree(
            ctx, "public-endpoint", _present(_copy(combined, c, scheme) for c in charts), prefer
        )
        port_names = sorted(
            {
                str(name)
                for c in charts
                if isinstance(
                    ports := tree.get(combined[c], ("endpoints", etype, "port"), None), Mapping
                )
                for name in ports
            }
        )
        for name in port_names:
            port = ("endpoints", etype, "port", name, "public")
            out += _agree(
                ctx, "public-endpoint", _present(_copy(combined, c, port) for c in charts), prefer
            )
    return out


NOVA_METADATA: Parts = ("conf", "nova", "neutron", "metadata_proxy_shared_secret")
NEUTRON_METADATA: tuple[Parts, ...] = tuple(
    ("conf", agent, "DEFAULT", "metadata_proxy_shared_secret")
    for agent in ("metadata_agent", "ovn_metadata_agent", "ovn_agent")
)


def metadata_secret(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Nova signs instance metadata requests with the secret neutron's agent proxies with."""
    copies = _present(
        [_copy(combined, "nova", NOVA_METADATA)]
        + [_copy(combined, "neutron", p) for p in NEUTRON_METADATA]
    )
    return _agree(ctx, "metadata-secret", copies, prefer="nova")


def _ceph_enabled(combined: Combined, chart: str) -> bool:
    return tree.get(combined.get(chart), ("conf", "ceph", "enabled"), None) is not False


def ceph_client(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """Libvirt's secret, nova's rbd disks and cinder's rbd volumes name one ceph user/UUID."""
    users: list[_Copy | None] = []
    uuids: list[_Copy | None] = []
    for chart in ("libvirt", "nova"):
        if chart in combined and _ceph_enabled(combined, chart):
            users.append(_copy(combined, chart, ("conf", "ceph", "cinder", "user")))
            uuids.append(_copy(combined, chart, ("conf", "ceph", "cinder", "secret_uuid")))
    if "nova" in combined and _ceph_enabled(combined, "nova"):
        users.append(_copy(combined, "nova", ("conf", "nova", "libvirt", "rbd_user")))
        uuids.append(_copy(combined, "nova", ("conf", "nova", "libvirt", "rbd_secret_uuid")))
    backends = tree.get(combined.get("cinder"), ("conf", "backends"), None)
    if isinstance(backends, Mapping):
        for name in sorted(backends, key=str):
            if isinstance(backends[name], Mapping):
                base = ("conf", "backends", str(name))
                users.append(_copy(combined, "cinder", (*base, "rbd_user")))
                uuids.append(_copy(combined, "cinder", (*base, "rbd_secret_uuid")))
    return _agree(ctx, "ceph-client", _present(users)) + _agree(ctx, "ceph-client", _present(uuids))


def network_backend(combined: Combined, ctx: Context) -> list[Inconsistency]:
    """nova, neutron and libvirt pick agents and dependencies by ``network.backend``."""
    path: Parts = ("network", "backend")
    copies = _present(_copy(combined, c, path) for c in ("neutron", "nova", "libvirt"))
    return _agree(ctx, "network-backend", copies, prefer="neutron")


Rule = Callable[[Combined, Context], list[Inconsistency]]

# rule id -> the rule; ids appear in messages and in `helmdeck check -o json`.
RULES: dict[str, Rule] = {
    "keystone-admin": keystone_admin,
    "db-admin": db_admin,
    "rabbitmq-admin": rabbitmq_admin,
    "rabbitmq-statefulset": rabbitmq_statefulset,
    "cluster-domain": cluster_domain,
    "public-endpoint": public_endpoints,
    "metadata-secret": metadata_secret,
    "ceph-client": ceph_client,
    "network-backend": network_backend,
}


def check_consistency(
    combined: Mapping[str, Mapping[str, Any]],
    *,
    catalog: Catalog,
    paths: SecretPaths,
    releases: Mapping[str, str] | None = None,
) -> list[Inconsistency]:
    """Every disagreement between the charts' combined overrides (keyed by chart name).

    ``releases`` maps chart → release name where it is not the chart name (it decides the
    rabbitmq StatefulSet name); ``catalog`` says which chart provides each endpoint type (its
    copy is the reference) and ``paths`` which values are secrets (never quoted). The result
    is sorted, so it can be compared before/after.
    """
    ctx = Context(dict(releases or {}), catalog, paths)
    found = [i for rule in RULES.values() for i in rule(combined, ctx)]
    return sorted(set(found), key=lambda i: (i.rule, i.a, i.b, i.message))
