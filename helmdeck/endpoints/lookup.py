"""helm-toolkit's ``helm-toolkit.endpoints.*`` helpers as Python.

Every URL an openstack-helm chart writes into a config file or the keystone catalog comes
from these helpers, so helmdeck computes URLs with the very same rules (including their
quirks: an IP in ``hosts`` beats ``host_fqdn_override``, the override replaces the whole FQDN,
ports print through ``%1.f``) instead of guessing. ``values`` are a chart's effective values.
Where the template fails to render, these raise ``EndpointError`` naming the key.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from helmdeck.endpoints.gofmt import atoi, default, empty, go_port, go_s, go_v
from helmdeck.errors import UserError

IP_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
# A StatefulSet list longer than this is a typo, not a cluster (the template would hang).
MAX_REPLICAS = 10_000


class EndpointError(UserError):
    """The chart's endpoint values make helm-toolkit fail to render."""


def _key(type_: str) -> str:
    return type_.replace("-", "_")


def _where(type_: str, *rest: str) -> str:
    return ".".join(("endpoints", _key(type_), *rest))


def ep_map(values: Mapping[str, Any], type_: str) -> Mapping[str, Any]:
    endpoints = values.get("endpoints")
    m = endpoints.get(_key(type_)) if isinstance(endpoints, Mapping) else None
    if not isinstance(m, Mapping):
        raise EndpointError(f"{_where(type_)}: missing or not a map; the chart cannot render it")
    return m


def _field(type_: str, m: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = m.get(name)
    if not isinstance(value, Mapping):
        raise EndpointError(f"{_where(type_, name)}: missing or not a map; set it")
    return value


def _index(container: Any, key: str, where: str) -> Any:
    """Go's ``index``: a missing map key is nil, indexing nil or a scalar fails."""
    if not isinstance(container, Mapping):
        raise EndpointError(f"{where}: missing or not a map; set it")
    return container.get(key)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise EndpointError(f"{where}: {go_v(value)!r} is not a string; set a host name")
    return value


def _raw_host(type_: str, m: Mapping[str, Any], endpoint: str) -> str:
    hosts = _field(type_, m, "hosts")
    host = default(hosts.get(endpoint), hosts.get("default"))
    if isinstance(host, Mapping):
        host = host.get("host")
    return _string(host, _where(type_, "hosts", endpoint))


def hostname_short(values: Mapping[str, Any], type_: str, endpoint: str) -> str:
    """``hostname_short_endpoint_lookup``: an IP in ``hosts`` yields the type name."""
    host = _raw_host(type_, ep_map(values, type_), endpoint)
    return type_ if IP_RE.search(host) else host


def namespace(values: Mapping[str, Any], type_: str, release_ns: str) -> str:
    """``hostname_namespaced_endpoint_namespace_lookup``."""
    return go_s(default(ep_map(values, type_).get("namespace"), release_ns))


def hostname_namespaced(
    values: Mapping[str, Any], type_: str, endpoint: str, release_ns: str
) -> str:
    return f"{hostname_short(values, type_, endpoint)}.{namespace(values, type_, release_ns)}"


def hostname_fqdn(values: Mapping[str, Any], type_: str, endpoint: str, release_ns: str) -> str:
    """``hostname_fqdn_endpoint_lookup``: an override replaces the whole FQDN."""
    m = ep_map(values, type_)
    suffix = values["endpoints"].get("cluster_domain_suffix")
    cluster = f"{hostname_namespaced(values, type_, endpoint, release_ns)}.svc.{go_s(suffix)}"
    where = _where(type_, "host_fqdn_override")
    override = m.get("host_fqdn_override")
    fallback = default(_index(override, "default", where), "")
    if isinstance(fallback, Mapping):
        fallback = fallback.get("host")
    own = _index(override, endpoint, where)
    if isinstance(own, Mapping):
        own = own.get("host")
    return go_s(default(default(own, fallback), cluster))


def endpoint_host(values: Mapping[str, Any], type_: str, endpoint: str, release_ns: str) -> str:
    """``endpoint_host_lookup``: an IP in ``hosts`` wins even over ``host_fqdn_override``."""
    host = _raw_host(type_, ep_map(values, type_), endpoint)
    if IP_RE.search(host):
        return host
    return hostname_fqdn(values, type_, endpoint, release_ns)


def endpoint_port(values: Mapping[str, Any], type_: str, endpoint: str, port_name: str) -> str:
    """``endpoint_port_lookup``: ``printf "%1.f"``, right for the float64 every number is."""
    pm = _field(type_, ep_map(values, type_), "port").get(port_name)
    if not isinstance(pm, Mapping):
        raise EndpointError(f"{_where(type_, 'port', port_name)}: missing or not a map; set it")
    return go_port(default(pm.get(endpoint), pm.get("default")))


def scheme(values: Mapping[str, Any], type_: str, endpoint: str) -> str:
    """``keystone_endpoint_scheme_lookup``: a string applies to every endpoint; http if unset."""
    s = ep_map(values, type_).get("scheme")
    if isinstance(s, str):
        return s or "http"
    s = _field(type_, ep_map(values, type_), "scheme")
    return go_s(default(default(s.get(endpoint), s.get("default")), "http"))


def path(values: Mapping[str, Any], type_: str, endpoint: str) -> str:
    """``keystone_endpoint_path_lookup``: a string applies to every endpoint."""
    p = ep_map(values, type_).get("path")
    if isinstance(p, str):
        return p
    p = _field(type_, ep_map(values, type_), "path")
    return go_s(default(default(p.get(endpoint), p.get("default")), ""))


def keystone_endpoint_uri(
    values: Mapping[str, Any], type_: str, endpoint: str, port_name: str, release_ns: str
) -> str:
    """``keystone_endpoint_uri_lookup``: the catalog URL; the scheme's own port is dropped."""
    sc = scheme(values, type_, endpoint)
    host = endpoint_host(values, type_, endpoint, release_ns)
    port = endpoint_port(values, type_, endpoint, port_name)
    pa = path(values, type_, endpoint)
    if (sc == "http" and port == "80") or (sc == "https" and port == "443"):
        return f"{sc}://{host}{pa}"
    return f"{sc}://{host}:{port}{pa}"


def _credentials(m: Mapping[str, Any], type_: str, userclass: str) -> str:
    auth = _index(m, "auth", _where(type_))
    user = _index(auth, userclass, _where(type_, "auth"))
    where = _where(type_, "auth", userclass)
    name, password = _index(user, "username", where), _index(user, "password", where)
    # Go's urlquery is QueryEscape: space becomes "+", only [A-Za-z0-9_.~-] stay.
    return f"{go_s(name)}:{urllib.parse.quote_plus(go_v(password), safe='')}"


def authenticated_uri(values: Mapping[str, Any], type_: str, endpoint: str, userclass: str,
                      port_name: str, release_ns: str) -> str:
    """``authenticated_endpoint_uri_lookup``: the port is always kept; the user not escaped."""
    m = ep_map(values, type_)
    cred = _credentials(m, type_, userclass)
    host = endpoint_host(values, type_, endpoint, release_ns)
    port = endpoint_port(values, type_, endpoint, port_name)
    sc, pa = scheme(values, type_, endpoint), path(values, type_, endpoint)
    return f"{sc}://{cred}@{host}:{port}{pa}"


def _replicas(ss: Mapping[str, Any], type_: str) -> int:
    n = atoi(go_v(ss.get("replicas")))
    if n > MAX_REPLICAS:
        raise EndpointError(f"{_where(type_, 'statefulset', 'replicas')}: {n} is too many")
    return n


def host_and_port(
    values: Mapping[str, Any], type_: str, endpoint: str, port_name: str, release_ns: str
) -> str:
    """``host_and_port_endpoint_uri_lookup``: one entry per StatefulSet pod when set."""
    ss = ep_map(values, type_).get("statefulset")
    port = endpoint_port(values, type_, endpoint, port_name)
    host = endpoint_host(values, type_, endpoint, release_ns)
    if not empty(ss):
        ss = _field(type_, ep_map(values, type_), "statefulset")
        prefix = go_s(ss.get("name"))
        return ",".join(f"{prefix}-{i}.{host}:{port}" for i in range(_replicas(ss, type_)))
    return f"{host}:{port}"


def transport_uri(values: Mapping[str, Any], type_: str, endpoint: str, userclass: str,
                  port_name: str, release_ns: str) -> str:
    """``authenticated_transport_endpoint_uri_lookup``: per-pod hosts unless overridden.

    Any non-empty ``host_fqdn_override`` for the endpoint (even one with only ``tls``)
    switches the per-pod list off.
    """
    m = ep_map(values, type_)
    sc = scheme(values, type_, endpoint)
    cred = _credentials(m, type_, userclass)
    ss = m.get("statefulset")
    where = _where(type_, "host_fqdn_override")
    override = m.get("host_fqdn_override")
    overridden = default(_index(override, endpoint, where), _index(override, "default", where))
    host = endpoint_host(values, type_, endpoint, release_ns)
    port = endpoint_port(values, type_, endpoint, port_name)
    if not empty(ss) and empty(overridden):
        ss = _field(type_, m, "statefulset")
        prefix = go_s(ss.get("name"))
        hosts = [f"{cred}@{prefix}-{i}.{host}:{port}" for i in range(_replicas(ss, type_))]
    else:
        hosts = [f"{cred}@{host}:{port}"]
    return f"{sc}://{','.join(hosts)}{path(values, type_, endpoint)}"


def service_name_with_ns(
    values: Mapping[str, Any], type_: str, endpoint: str, release_ns: str
) -> str:
    """``service_name_endpoint_with_namespace_lookup``: ``ns:service`` for dependency checks."""
    m = ep_map(values, type_)
    hosts = _field(type_, m, "hosts")
    name = _string(default(hosts.get(endpoint), hosts.get("default")),
                   _where(type_, "hosts", endpoint))
    ns = go_s(default(m.get("namespace"), release_ns))
    if IP_RE.search(name):
        service = _index(m, "service", _where(type_))
        own = _index(service, "name", _where(type_, "service"))
        return f"{ns}:{go_s(own) if not empty(own) else _key(type_)}"
    return f"{ns}:{name}"


def endpoint_name(values: Mapping[str, Any], type_: str) -> str:
    """``keystone_endpoint_name_lookup``: the catalog service name (empty when unset)."""
    name = ep_map(values, type_).get("name")
    return "" if name is None else go_v(name)
