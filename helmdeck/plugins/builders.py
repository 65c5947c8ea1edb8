"""The policies of DESIGN §2, written once and shared by every chart plugin.

Each builder reads the site (and, where the chart's own keys decide, the chart's values) and
writes into an ``Out`` together with the inventory fact behind every leaf. Chart plugins only
say which of their keys each policy applies to (osh-conventions §1 lists the exceptions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from helmdeck.plugins.base import ChartRef, SiteSnapshot, SystemOverrides
from helmdeck.site.model import Host, Role, Site
from helmdeck.values.paths import format_path

Path = tuple[str | int, ...]

ENABLED = "enabled"


class Out:
    """System overrides under construction: nested values plus one fact per leaf."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.facts: dict[Path, str] = {}

    def set(self, path: Path, value: Any, fact: str) -> None:
        """Set ``path`` (a map value sets each of its leaves) and record why."""
        if isinstance(value, dict) and value:
            for k, v in value.items():
                self.set((*path, k), v, fact)
            return
        node: dict[Any, Any] = self.values
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
                self.facts.pop(path[: i + 1], None)
            node = child
        if isinstance(node.get(path[-1]), dict):
            n = len(path)
            for p in [p for p in self.facts if p[:n] == path]:
                del self.facts[p]
        node[path[-1]] = value
        self.facts[path] = fact

    def result(self) -> SystemOverrides:
        """Sorted values and provenance: the same site always yields the same bytes."""

        return SystemOverrides(
            values=_sorted(self.values),
            provenance={
                format_path(p): f
                for p, f in sorted(self.facts.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
            },
        )


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def get(values: Mapping[str, Any], path: Iterable[str]) -> Any:
    """The value at ``path`` in ``values``, or None when any part is missing."""
    node: Any = values
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --- hosts ------------------------------------------------------------------------------


def _names(hosts: tuple[Host, ...], limit: int = 3) -> str:
    shown = ", ".join(h.name for h in hosts[:limit])
    more = len(hosts) - limit
    return f"{shown}, … {more} more" if more > 0 else shown


def hosts_fact(hosts: tuple[Host, ...], what: str) -> str:
    """``spec.hosts: 3 controllers (ctl-0, ctl-1, ctl-2)``: the inventory input, named."""
    return (
        f"spec.hosts: {len(hosts)} {what} ({_names(hosts)})" if hosts else f"spec.hosts: no {what}"
    )


class Placement(Enum):
    """Where a component runs, as the label policy of DESIGN §2 pins it."""

    CONTROL = "control"
    COMPUTE = "compute"
    OVS = "ovs"
    NETWORK = "network"  # neutron dhcp/metadata agents: network hosts when there are any
    L3 = "l3"  # neutron l3 agent: network hosts when there are any


@dataclass(frozen=True)
class SiteFacts:
    """Host groups computed once per plugin call (one pass over the hosts)."""

    site: Site
    controllers: tuple[Host, ...]
    computes: tuple[Host, ...]
    network: tuple[Host, ...]
    all_hosts: tuple[Host, ...]

    @classmethod
    def of(cls, site: Site) -> SiteFacts:
        ctl: list[Host] = []
        cmp: list[Host] = []
        net: list[Host] = []
        for h in site.spec.hosts:
            if Role.CONTROLLER in h.roles:
                ctl.append(h)
            if Role.COMPUTE in h.roles:
                cmp.append(h)
            if Role.NETWORK in h.roles:
                net.append(h)
        return cls(site, tuple(ctl), tuple(cmp), tuple(net), site.spec.hosts)

    @property
    def development(self) -> bool:
        return self.site.spec.mode == "development"

    def hosts_for(self, placement: Placement) -> tuple[tuple[Host, ...], str]:
        """The hosts a component with this placement runs on, and how to name them."""
        if placement is Placement.CONTROL:
            return self.controllers, "controllers"
        if placement is Placement.COMPUTE:
            return self.computes, "computes"
        if placement in (Placement.NETWORK, Placement.L3):
            if self.network:
                return self.network, "network hosts"
            return self.controllers, "controllers (no network hosts)"
        ovs = tuple(h for h in self.all_hosts if h.roles != (Role.STORAGE,))
        return ovs, "controllers, computes and network hosts"

    def selector(self, placement: Placement) -> tuple[str, str]:
        """The node label (key, fact) a component with this placement is pinned to."""
        if placement is Placement.CONTROL:
            return "openstack-control-plane", hosts_fact(self.controllers, "controllers")
        if placement is Placement.COMPUTE:
            return "openstack-compute-node", hosts_fact(self.computes, "computes")
        if placement is Placement.OVS:
            hosts, what = self.hosts_for(placement)
            return "openvswitch", hosts_fact(hosts, what)
        if not self.network:
            return "openstack-control-plane", hosts_fact(
                self.controllers, "controllers and no network hosts"
            )
        key = "l3-agent" if placement is Placement.L3 else "openstack-network-node"
        return key, hosts_fact(self.network, "dedicated network hosts")


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
    rendered through one helm-toolkit snippet and misses the job images (osh-conventions
    §1.5). The image-repo-sync job exists to fill such a local registry; with a mirror it is
    pointless and it fails to render in several charts, so it is switched off.
    """
    registry = site.spec.registry
    local_active = bool(get(chart_values, ("images", "local_registry", "active")))
    if registry:
        fact = f"spec.registry: {registry}"
        tags = get(chart_values, ("images", "tags")) or {}
        for key in sorted(tags):
            image = tags[key]
            if isinstance(image, str) and image:
                out.set(("images", "tags", key), mirror_image(image, registry), fact)
    if (registry or local_active) and get(
        chart_values, ("manifests", "job_image_repo_sync")
    ) is not None:
        why = (
            f"spec.registry: {registry} (images come from the mirror)"
            if registry
            else "images.local_registry.active: true (job fails to render; osh-conventions §1.2)"
        )
        out.set(("manifests", "job_image_repo_sync"), False, why)


# --- endpoints --------------------------------------------------------------------------

# endpoint type -> (public service name, port name); the public name matches hosts.public.
PUBLIC_ENDPOINTS: dict[str, tuple[str, str]] = {
    "identity": ("keystone", "api"),
    "image": ("glance", "api"),
    "placement": ("placement", "api"),
    "compute": ("nova", "api"),
    "compute_metadata": ("metadata", "metadata"),
    "compute_novnc_proxy": ("novncproxy", "novnc_proxy"),
    "compute_serial_proxy": ("serialproxy", "serial_proxy"),
    "compute_spice_proxy": ("spiceproxy", "spice_proxy"),
    "network": ("neutron", "api"),
    "volumev3": ("cinder", "api"),
    "dashboard": ("horizon", "web"),
    "orchestration": ("heat", "api"),
    "cloudformation": ("cloudformation", "api"),
}
# Public hosts only the provider chart uses (a management UI, not in the keystone catalog):
# set there alone so that no static file's example domain (gateway.yaml) reaches the site.
PROVIDER_PUBLIC_HOSTS: dict[str, str] = {"oslo_messaging": "rabbitmq"}

# endpoint type -> the chart whose Service it names.
PROVIDERS: dict[str, str] = {
    "oslo_db": "mariadb",
    "oslo_db_cell0": "mariadb",
    "oslo_db_cell1": "mariadb",
    "oslo_messaging": "rabbitmq",
    "oslo_cache": "memcached",
    "identity": "keystone",
    "image": "glance",
    "placement": "placement",
    "compute": "nova",
    "compute_metadata": "nova",
    "compute_novnc_proxy": "nova",
    "compute_serial_proxy": "nova",
    "compute_spice_proxy": "nova",
    "network": "neutron",
    "volumev3": "cinder",
    "orchestration": "heat",
    "cloudformation": "heat",
    "dashboard": "horizon",
}


def _secure(scheme: str) -> str:
    return {"http": "https", "ws": "wss"}.get(scheme, scheme)


def endpoints(
    out: Out,
    facts: SiteFacts,
    snapshot: SiteSnapshot,
    ref: ChartRef,
    chart_values: Mapping[str, Any],
) -> None:
    """Public FQDNs, schemes and ports, the cluster domain and cross-namespace providers.

    Driven by the endpoint types the chart declares, so every chart that references a type
    gets the same value (a catalog URL that differs between charts breaks clients).
    """
    spec = snapshot.site.spec
    eps = get(chart_values, ("endpoints",)) or {}
    out.set(
        ("endpoints", "cluster_domain_suffix"),
        spec.cluster_domain,
        f"spec.cluster_domain: {spec.cluster_domain}",
    )
    tls = spec.tls.enabled
    tls_fact = f"spec.tls.enabled: {str(tls).lower()}"
    for etype in sorted(eps):
        ep = eps[etype]
        if not isinstance(ep, Mapping):
            continue
        if etype in PUBLIC_ENDPOINTS:
            service, port_name = PUBLIC_ENDPOINTS[etype]
            fqdn = f"{service}.{spec.public_domain}"
            fact = f"spec.public_domain: {spec.public_domain}"
            base = ("endpoints", etype)
            scheme = ep.get("scheme")
            default_scheme = (
                scheme.get("default") if isinstance(scheme, Mapping) else scheme
            ) or "http"
            if isinstance(scheme, str):
                out.set(
                    (*base, "scheme", "default"), scheme, f"{tls_fact} (keeps the chart's scheme)"
                )
            public_scheme = _secure(default_scheme) if tls else default_scheme
            port = 443 if tls else 80
            sides = ("public", "admin") if etype == "identity" else ("public",)
            for side in sides:
                out.set((*base, "host_fqdn_override", side, "host"), fqdn, fact)
                out.set((*base, "scheme", side), public_scheme, tls_fact)
                out.set((*base, "port", port_name, side), port, tls_fact)
        provider = PROVIDERS.get(etype)
        if etype in PROVIDER_PUBLIC_HOSTS and provider == ref.chart:
            out.set(
                ("endpoints", etype, "host_fqdn_override", "public", "host"),
                f"{PROVIDER_PUBLIC_HOSTS[etype]}.{spec.public_domain}",
                f"spec.public_domain: {spec.public_domain}",
            )
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
        and get(eps, ("oslo_messaging", "statefulset")) is not None
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

KEYSTONE_ADMIN = "keystone_admin_password"
DB_ADMIN = "mariadb_admin_password"
RABBIT_ADMIN = "rabbitmq_admin_password"
MEMCACHE_KEY = "memcache_secret_key"
METADATA_SECRET = "metadata_proxy_shared_secret"
CEPH_UUID = "ceph_secret_uuid"


def secret(out: Out, snapshot: SiteSnapshot, path: Path, name: str) -> None:
    """Set ``path`` to the site secret ``name``; the fact names the secret, never its value."""
    out.set(path, snapshot.secrets[name], f"secret: {name}")


def memcache_secret_key(out: Out, snapshot: SiteSnapshot) -> None:
    """Always set where the chart reads it: unset, the chart draws a random key on every
    render, so the config hash changes and every upgrade restarts the API pods (§4)."""
    secret(out, snapshot, ("endpoints", "oslo_cache", "auth", MEMCACHE_KEY), MEMCACHE_KEY)


def keystone_user_secret(chart: str, user: str) -> str:
    return f"{chart}_keystone_password" if user == chart else f"{chart}_keystone_{user}_password"


def admin_credentials(out: Out, snapshot: SiteSnapshot, chart_values: Mapping[str, Any]) -> None:
    """Keystone, DB and RabbitMQ admin credentials wherever the chart declares them.

    These must be identical in every chart (the clients' db-init/rabbit-init/ks-* jobs log in
    as the admin the provider chart created), so they follow the chart's keys, not a list.
    """

    def auth(etype: str) -> Mapping[str, Any]:
        return get(chart_values, ("endpoints", etype, "auth")) or {}

    region = snapshot.site.spec.region
    if "admin" in auth("identity"):
        base = ("endpoints", "identity", "auth", "admin")
        out.set((*base, "username"), "admin", "keystone bootstrap admin")
        secret(out, snapshot, (*base, "password"), KEYSTONE_ADMIN)
    for user, spec in sorted(auth("identity").items()):
        if isinstance(spec, Mapping) and "region_name" in spec:
            out.set(
                ("endpoints", "identity", "auth", user, "region_name"),
                region,
                f"spec.region: {region}",
            )
    for etype in ("oslo_db", "oslo_db_cell0", "oslo_db_cell1"):
        if "admin" in auth(etype):
            base = ("endpoints", etype, "auth", "admin")
            out.set((*base, "username"), "root", "mariadb root user")
            secret(out, snapshot, (*base, "password"), DB_ADMIN)
    if "admin" in auth("oslo_messaging"):
        base = ("endpoints", "oslo_messaging", "auth", "admin")
        out.set((*base, "username"), "rabbitmq", "rabbitmq admin user")
        secret(out, snapshot, (*base, "password"), RABBIT_ADMIN)


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
