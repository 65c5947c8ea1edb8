"""The site policies every chart plugin shares, written once.

Each policy reads the site (and, where the chart's own keys decide, the chart's values) and
writes into an ``Out`` with the inventory fact behind every leaf. Chart plugins only say
which of their keys each policy applies to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.plugin._facts import Placement, SiteFacts, hosts_fact
from helmdeck.plugin._out import Out
from helmdeck.plugin._types import ChartRef, SiteSnapshot
from helmdeck.site.model import Site
from helmdeck.values.tree import get

ENABLED = "enabled"

# The secrets several charts must agree on, by the name they share.
KEYSTONE_ADMIN = "keystone_admin_password"
DB_ADMIN = "mariadb_admin_password"
RABBIT_ADMIN = "rabbitmq_admin_password"
MEMCACHE_KEY = "memcache_secret_key"
METADATA_SECRET = "metadata_proxy_shared_secret"
CEPH_UUID = "ceph_secret_uuid"
DB_ENDPOINTS = ("oslo_db", "oslo_db_cell0", "oslo_db_cell1")


# --- replicas ---------------------------------------------------------------------------


def api_replicas(out: Out, facts: SiteFacts, keys: Iterable[str]) -> None:
    """Stateless API-like components: one per controller (development: one)."""
    if facts.development:
        n, fact = 1, "spec.mode: development"
    else:
        n, fact = max(1, len(facts.controllers)), hosts_fact(facts.controllers, "controllers")
    for key in keys:
        out.set(("pod", "replicas", key), n, fact)


def cluster_size(facts: SiteFacts) -> tuple[int, str]:
    """Galera/RabbitMQ cluster size: 3 with at least 3 controllers, else 1 (no split brain)."""
    if facts.development:
        return 1, "spec.mode: development"
    n = 3 if len(facts.controllers) >= 3 else 1
    return n, hosts_fact(facts.controllers, "controllers")


def cluster_replicas(out: Out, facts: SiteFacts, keys: Iterable[str]) -> None:
    n, fact = cluster_size(facts)
    for key in keys:
        out.set(("pod", "replicas", key), n, fact)


# --- node selectors and tolerations -----------------------------------------------------


def node_selectors(out: Out, facts: SiteFacts, labels: Mapping[tuple[str, ...], Placement]) -> None:
    """``labels.<component>.node_selector_{key,value}`` for every component of the chart."""
    for path, placement in labels.items():
        key, fact = facts.selector(placement)
        out.set(("labels", *path, "node_selector_key"), key, fact)
        out.set(("labels", *path, "node_selector_value"), ENABLED, fact)


def tolerations(out: Out, facts: SiteFacts, key: str, placements: Iterable[Placement]) -> None:
    """Tolerate the taints of the hosts the chart runs on, and only those.

    ``key`` is the ``pod.tolerations`` entry: the chart's name in most charts, one per
    component where the chart has one per component (ovn).
    """
    seen: dict[tuple[str, str, str], str] = {}
    for placement in sorted(set(placements), key=lambda p: p.value):
        hosts, _ = facts.hosts_for(placement)
        for h in hosts:
            for t in h.taints:
                seen.setdefault((t.key, t.value, t.effect), h.name)
    if not seen:
        return
    items = sorted(seen.items())
    tols = [
        {"key": k, "operator": "Equal", "value": v, "effect": e}
        if v
        else {"key": k, "operator": "Exists", "effect": e}
        for (k, v, e), _ in items
    ]
    fact = "spec.hosts: taints " + ", ".join(
        f"{k}{'=' + v if v else ''}:{e} (on {h})" for (k, v, e), h in items
    )
    base = ("pod", "tolerations", key)
    out.set((*base, "enabled"), True, fact)
    out.set((*base, "tolerations"), tols, fact)


# --- images -----------------------------------------------------------------------------


def _has_registry(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost"


def mirror_image(image: str, registry: str) -> str:
    """``quay.io/airshipit/x:tag`` → ``<registry>/airshipit/x:tag``; short names keep their path."""
    first, sep, rest = image.partition("/")
    path = rest if sep and _has_registry(first) else image
    return f"{registry.rstrip('/')}/{path}"


def image_mirror(out: Out, site: Site, chart_values: Mapping[str, Any]) -> None:
    """Point every ``images.tags.*`` at the mirror.

    The tag strings themselves are rewritten: ``images.local_registry`` only prefixes images
    rendered through one helm-toolkit snippet and misses the job images. The image-repo-sync
    job exists to fill such a local registry; with a mirror it is pointless and it fails to
    render in several charts, so it is switched off.
    """
    registry = site.spec.registry
    local_active = bool(get(chart_values, ("images", "local_registry", "active"), None))
    if registry:
        fact = f"spec.registry: {registry}"
        tags = get(chart_values, ("images", "tags"), None) or {}
        for key in sorted(tags):
            image = tags[key]
            if isinstance(image, str) and image:
                out.set(("images", "tags", key), mirror_image(image, registry), fact)
    if (registry or local_active) and get(
        chart_values, ("manifests", "job_image_repo_sync"), None
    ) is not None:
        why = (
            f"spec.registry: {registry} (images come from the mirror)"
            if registry
            else "images.local_registry.active: true (the repo-sync job fails to render then)"
        )
        out.set(("manifests", "job_image_repo_sync"), False, why)


# --- endpoints --------------------------------------------------------------------------


def _secure(scheme: str) -> str:
    return {"http": "https", "ws": "wss"}.get(scheme, scheme)


def _public_endpoint(out: Out, snapshot: SiteSnapshot, etype: str, ep: Mapping[str, Any],
                     host: str, port_name: str) -> None:
    spec = snapshot.site.spec
    fqdn = f"{host}.{spec.public_domain}"
    fact = f"spec.public_domain: {spec.public_domain}"
    tls = spec.tls.enabled
    tls_fact = f"spec.tls.enabled: {str(tls).lower()}"
    base = ("endpoints", etype)
    scheme = ep.get("scheme")
    default_scheme = (scheme.get("default") if isinstance(scheme, Mapping) else scheme) or "http"
    if isinstance(scheme, str):
        out.set((*base, "scheme", "default"), scheme, f"{tls_fact} (keeps the chart's scheme)")
    public_scheme = _secure(default_scheme) if tls else default_scheme
    port = 443 if tls else 80
    sides = ("public", "admin") if etype == "identity" else ("public",)
    for side in sides:
        out.set((*base, "host_fqdn_override", side, "host"), fqdn, fact)
        out.set((*base, "scheme", side), public_scheme, tls_fact)
        out.set((*base, "port", port_name, side), port, tls_fact)


def endpoints(
    out: Out,
    facts: SiteFacts,
    snapshot: SiteSnapshot,
    ref: ChartRef,
    chart_values: Mapping[str, Any],
) -> None:
    """Public FQDNs, schemes and ports, the cluster domain and cross-namespace providers.

    Driven by the endpoint types the chart declares and the catalog of what each chart
    provides, so every chart that references a type gets the same value (a catalog URL that
    differs between charts breaks clients).
    """
    spec = snapshot.site.spec
    catalog = snapshot.catalog
    eps = get(chart_values, ("endpoints",), None) or {}
    out.set(
        ("endpoints", "cluster_domain_suffix"),
        spec.cluster_domain,
        f"spec.cluster_domain: {spec.cluster_domain}",
    )
    for etype in sorted(eps):
        ep = eps[etype]
        if not isinstance(ep, Mapping):
            continue
        public = catalog.public(etype) or catalog.public_here(etype, ref.chart)
        if public is not None and public.public is not None:
            if public.public_here_only:
                out.set(("endpoints", etype, "host_fqdn_override", "public", "host"),
                        f"{public.public}.{spec.public_domain}",
                        f"spec.public_domain: {spec.public_domain}")
            else:
                _public_endpoint(out, snapshot, etype, ep, public.public, public.port)
        provider = catalog.provider(etype)
        pref = snapshot.releases.get(provider) if provider else None
        if pref is not None and provider != ref.chart and pref.namespace != ref.namespace:
            out.set(
                ("endpoints", etype, "namespace"),
                pref.namespace,
                f"application: {provider} runs in namespace {pref.namespace}",
            )
    rabbit = snapshot.releases.get("rabbitmq")
    if (
        ref.chart != "rabbitmq"
        and rabbit is not None
        and get(eps, ("oslo_messaging", "statefulset"), None) is not None
    ):
        n, fact = cluster_size(facts)
        ss = ("endpoints", "oslo_messaging", "statefulset")
        out.set(
            (*ss, "name"),
            f"{rabbit.release}-rabbitmq",
            f"application: rabbitmq release {rabbit.release}",
        )
        out.set((*ss, "replicas"), n, f"rabbitmq servers: {fact}")


# --- credentials ------------------------------------------------------------------------


def memcache_secret_key(out: Out) -> None:
    """Always set where the chart reads it: unset, the chart draws a random key on every
    render, so the config hash changes and every upgrade restarts the API pods."""
    out.secret(("endpoints", "oslo_cache", "auth", MEMCACHE_KEY), MEMCACHE_KEY)


def keystone_user_secret(chart: str, user: str) -> str:
    return f"{chart}_keystone_password" if user == chart else f"{chart}_keystone_{user}_password"


def admin_credentials(out: Out, snapshot: SiteSnapshot, chart_values: Mapping[str, Any]) -> None:
    """Keystone, DB and RabbitMQ admin credentials wherever the chart declares them.

    These must be identical in every chart (the clients' db-init/rabbit-init/ks-* jobs log in
    as the admin the provider chart created), so they follow the chart's keys, not a list.
    """

    def auth(etype: str) -> Mapping[str, Any]:
        return get(chart_values, ("endpoints", etype, "auth"), None) or {}

    region = snapshot.site.spec.region
    if "admin" in auth("identity"):
        base = ("endpoints", "identity", "auth", "admin")
        out.set((*base, "username"), "admin", "keystone bootstrap admin")
        out.secret((*base, "password"), KEYSTONE_ADMIN)
    for user, spec in sorted(auth("identity").items()):
        if isinstance(spec, Mapping) and "region_name" in spec:
            out.set(
                ("endpoints", "identity", "auth", user, "region_name"),
                region,
                f"spec.region: {region}",
            )
    for etype in DB_ENDPOINTS:
        if "admin" in auth(etype):
            base = ("endpoints", etype, "auth", "admin")
            out.set((*base, "username"), "root", "mariadb root user")
            out.secret((*base, "password"), DB_ADMIN)
    if "admin" in auth("oslo_messaging"):
        base = ("endpoints", "oslo_messaging", "auth", "admin")
        out.set((*base, "username"), "rabbitmq", "rabbitmq admin user")
        out.secret((*base, "password"), RABBIT_ADMIN)


# --- storage and network ----------------------------------------------------------------


def ceph_identity(snapshot: SiteSnapshot) -> tuple[str, str, str, str]:
    """(rbd user, its fact, secret UUID, its fact): shared by cinder, nova and libvirt."""
    ceph = snapshot.site.spec.storage.ceph
    if ceph.secret_uuid:
        uuid, uuid_fact = ceph.secret_uuid, "spec.storage.ceph.secret_uuid"
    else:
        uuid, uuid_fact = snapshot.secrets[CEPH_UUID], f"secret: {CEPH_UUID}"
    return ceph.user, f"spec.storage.ceph.user: {ceph.user}", uuid, uuid_fact


def storage_fact(site: Site) -> str:
    return f"spec.storage.backend: {site.spec.storage.backend}"


def monitors(out: Out, site: Site) -> None:
    mons = list(site.spec.storage.ceph.monitors)
    out.set(("conf", "ceph", "monitors"), mons, f"spec.storage.ceph.monitors: {', '.join(mons)}")


def network_backend(out: Out, site: Site) -> None:
    """nova, neutron and libvirt must agree on it (their dependencies are targeted by it)."""
    backend = site.spec.network.backend
    out.set(("network", "backend"), [backend], f"spec.network.backend: {backend}")


def ceph_client(out: Out, snapshot: SiteSnapshot) -> None:
    """``conf.ceph`` as nova and libvirt both spell it: the rbd user and libvirt secret UUID."""
    fact = storage_fact(snapshot.site)
    if snapshot.site.spec.storage.backend != "ceph":
        out.set(("conf", "ceph", "enabled"), False, fact)
        return
    user, user_fact, uuid, uuid_fact = ceph_identity(snapshot)
    out.set(("conf", "ceph", "enabled"), True, fact)
    out.set(("conf", "ceph", "cinder", "user"), user, user_fact)
    out.set(("conf", "ceph", "cinder", "secret_uuid"), uuid, uuid_fact)
