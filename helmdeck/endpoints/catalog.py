"""The keystone catalog the charts register, computed before anything is deployed.

Each API chart's ks-endpoints job registers ``keystone_endpoint_uri_lookup(type, interface,
"api")`` for admin, internal and public under ``endpoints.<type>.name``; keystone registers
itself from its bootstrap URLs (db-sync's ``OS_BOOTSTRAP_*_URL``), computed the same way.
Seeing them here lets an operator catch a wrong public URL before clients are handed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from helmdeck.endpoints.gofmt import go_v
from helmdeck.endpoints.lookup import EndpointError, endpoint_name, keystone_endpoint_uri

INTERFACES: tuple[str, ...] = ("admin", "internal", "public")

# chart -> the manifest toggle of the job that registers its endpoints.
_REGISTERED_BY = {"keystone": "job_db_sync"}


@dataclass(frozen=True)
class CatalogEntry:
    chart: str
    region: str
    service_type: str
    service_name: str
    interface: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _region(values: Mapping[str, Any]) -> str:
    """ks-endpoints registers in the admin credentials' region (``OS_REGION_NAME``)."""
    node: Any = values
    for part in ("endpoints", "identity", "auth", "admin", "region_name"):
        node = node.get(part) if isinstance(node, Mapping) else None
    return "" if node is None else go_v(node)


def _registers(chart: str, values: Mapping[str, Any]) -> bool:
    """False only when the chart switches its registering job off."""
    manifests = values.get("manifests")
    toggle = _REGISTERED_BY.get(chart, "job_ks_endpoints")
    return not (isinstance(manifests, Mapping) and manifests.get(toggle) is False)


def chart_catalog(
    chart: str,
    values: Mapping[str, Any],
    namespace: str,
    service_types: Iterable[str],
    interfaces: Iterable[str] = INTERFACES,
) -> list[CatalogEntry]:
    """The entries ``chart`` registers for ``service_types``, from its effective ``values``.

    A chart that registers nothing yields ``[]``; values helm-toolkit cannot render raise
    ``EndpointError`` naming the chart and key.
    """
    types = tuple(service_types)
    if not types or not _registers(chart, values):
        return []
    region = _region(values)
    entries = []
    for service_type in types:
        try:
            name = endpoint_name(values, service_type)
            for interface in interfaces:
                url = keystone_endpoint_uri(values, service_type, interface, "api", namespace)
                entries.append(
                    CatalogEntry(chart, region, service_type, name, interface, url)
                )
        except EndpointError as exc:
            raise EndpointError(f"{chart} {namespace}: {exc}") from None
    return entries


def catalog(
    charts: Mapping[str, tuple[str, Mapping[str, Any]]],
    interfaces: Iterable[str],
    registered: Mapping[str, tuple[str, ...]],
) -> list[CatalogEntry]:
    """The whole catalog from ``{chart: (namespace, effective values)}``.

    ``registered`` maps each chart to the service types it registers (the plugins' catalog
    table); entries come in the order of ``charts`` (the rollout order: keystone first).
    """
    wanted = tuple(interfaces)
    out: list[CatalogEntry] = []
    for chart, (namespace, values) in charts.items():
        out += chart_catalog(chart, values, namespace, registered.get(chart, ()), wanted)
    return out
