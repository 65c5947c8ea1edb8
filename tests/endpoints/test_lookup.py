"""helm-toolkit's endpoint rules as Python: the verified table of osh-conventions §3, and
properties that hold for any endpoint map."""

from __future__ import annotations

import copy
import math
import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.endpoints import lookup
from helmdeck.endpoints.gofmt import atoi, default, go_port, go_s, go_v
from helmdeck.errors import UserError

NS = "openstack"

IDENTITY = {
    "name": "keystone",
    "namespace": None,
    "hosts": {"default": "keystone", "internal": "keystone-api"},
    "host_fqdn_override": {"default": None},
    "path": {"default": "/v3"},
    "scheme": {"default": "http", "service": "http"},
    "port": {"api": {"default": 80, "internal": 5000, "service": 5000}},
}
OSLO_DB = {
    "namespace": "infra",
    "hosts": {"default": "mariadb"},
    "host_fqdn_override": {"default": None},
    "path": "/keystone",
    "scheme": "mysql+pymysql",
    "port": {"mysql": {"default": 3306}},
    "auth": {"keystone": {"username": "keystone", "password": "p@ss/w:rd"}},
}
RABBIT = {
    "hosts": {"default": "rabbitmq"},
    "host_fqdn_override": {"default": None},
    "path": "/nova",
    "scheme": "rabbit",
    "port": {"amqp": {"default": 5672}},
    "auth": {"nova": {"username": "nova", "password": "pw"}},
    "statefulset": {"replicas": 3, "name": "rabbitmq-rabbitmq"},
}
MEMCACHED = {
    "hosts": {"default": "memcached"},
    "host_fqdn_override": {"default": None},
    "port": {"memcache": {"default": 11211}},
    "statefulset": {"replicas": 2, "name": "memcached-memcached"},
}


def values(suffix: str = "cluster.local", **types: Any) -> dict[str, Any]:
    return {"endpoints": {"cluster_domain_suffix": suffix, **copy.deepcopy(types)}}


# --- the verified examples of osh-conventions §3 (every row) ---------------------------------


def test_identity_internal_defaults() -> None:
    v = values(identity=IDENTITY)
    assert lookup.keystone_endpoint_uri(v, "identity", "internal", "api", NS) == (
        "http://keystone-api.openstack.svc.cluster.local:5000/v3"
    )


def test_identity_public_defaults_drop_port_80() -> None:
    v = values(identity=IDENTITY)
    assert lookup.keystone_endpoint_uri(v, "identity", "public", "api", NS) == (
        "http://keystone.openstack.svc.cluster.local/v3"
    )


def test_identity_public_override_https_443() -> None:
    v = values(identity=IDENTITY)
    ep = v["endpoints"]["identity"]
    ep["host_fqdn_override"]["public"] = {"host": "keystone.example.com"}
    ep["scheme"]["public"] = "https"
    ep["port"]["api"]["public"] = 443
    assert lookup.keystone_endpoint_uri(v, "identity", "public", "api", NS) == (
        "https://keystone.example.com/v3"
    )


def test_default_override_rewrites_internal_too() -> None:
    v = values(identity=IDENTITY)
    v["endpoints"]["identity"]["host_fqdn_override"]["default"] = "all.example.com"
    assert lookup.keystone_endpoint_uri(v, "identity", "internal", "api", NS) == (
        "http://all.example.com:5000/v3"
    )


def test_oslo_db_namespace_suffix_and_quoted_password() -> None:
    v = values("k8s.example", oslo_db=OSLO_DB)
    assert lookup.authenticated_uri(v, "oslo_db", "internal", "keystone", "mysql", NS) == (
        "mysql+pymysql://keystone:p%40ss%2Fw%3Ard@mariadb.infra.svc.k8s.example:3306/keystone"
    )


def test_ip_in_hosts_beats_fqdn_override() -> None:
    v = values(oslo_db=OSLO_DB)
    v["endpoints"]["oslo_db"]["hosts"]["default"] = "10.0.0.5"
    v["endpoints"]["oslo_db"]["host_fqdn_override"]["default"] = "db.example.com"
    assert lookup.endpoint_host(v, "oslo_db", "internal", NS) == "10.0.0.5"
    assert lookup.hostname_short(v, "oslo_db", "internal") == "oslo_db"


def test_rabbit_statefulset_lists_every_pod() -> None:
    v = values(oslo_messaging=RABBIT)
    pods = [f"nova:pw@rabbitmq-rabbitmq-{i}.rabbitmq.openstack.svc.cluster.local:5672"
            for i in range(3)]
    assert lookup.transport_uri(v, "oslo_messaging", "internal", "nova", "amqp", NS) == (
        "rabbit://" + ",".join(pods) + "/nova"
    )


def test_rabbit_override_collapses_transport_but_not_host_and_port() -> None:
    v = values(oslo_messaging=RABBIT)
    v["endpoints"]["oslo_messaging"]["host_fqdn_override"]["default"] = "rmq.example.com"
    assert lookup.transport_uri(v, "oslo_messaging", "internal", "nova", "amqp", NS) == (
        "rabbit://nova:pw@rmq.example.com:5672/nova"
    )
    assert lookup.host_and_port(v, "oslo_messaging", "internal", "amqp", NS) == ",".join(
        f"rabbitmq-rabbitmq-{i}.rmq.example.com:5672" for i in range(3)
    )


def test_memcached_statefulset_keeps_the_suffix() -> None:
    v = values(oslo_cache=MEMCACHED)
    assert lookup.host_and_port(v, "oslo_cache", "internal", "memcache", NS) == ",".join(
        f"memcached-memcached-{i}.memcached.openstack.svc.cluster.local:11211" for i in range(2)
    )


# --- quirks and errors ---------------------------------------------------------------------


def test_dashes_in_types_become_underscores() -> None:
    v = values(oslo_db=OSLO_DB)
    assert lookup.endpoint_host(v, "oslo-db", "internal", NS) == "mariadb.infra.svc.cluster.local"


def test_missing_suffix_prints_go_nil() -> None:
    v = {"endpoints": {"identity": copy.deepcopy(IDENTITY)}}
    assert lookup.hostname_fqdn(v, "identity", "public", NS) == (
        "keystone.openstack.svc.%!s(<nil>)"
    )


def test_override_map_without_host_falls_back() -> None:
    v = values(identity=IDENTITY)
    v["endpoints"]["identity"]["host_fqdn_override"]["public"] = {"tls": {"secretName": "x"}}
    assert lookup.endpoint_host(v, "identity", "public", NS) == (
        "keystone.openstack.svc.cluster.local"
    )


def test_any_override_disables_per_pod_transport() -> None:
    v = values(oslo_messaging=RABBIT)
    v["endpoints"]["oslo_messaging"]["host_fqdn_override"]["default"] = {"tls": {}}
    assert lookup.transport_uri(v, "oslo_messaging", "internal", "nova", "amqp", NS) == (
        "rabbit://nova:pw@rabbitmq.openstack.svc.cluster.local:5672/nova"
    )


def test_string_scheme_and_path_apply_to_every_endpoint() -> None:
    v = values(oslo_db=OSLO_DB)
    assert lookup.scheme(v, "oslo_db", "public") == "mysql+pymysql"
    assert lookup.path(v, "oslo_db", "public") == "/keystone"
    v["endpoints"]["oslo_db"]["scheme"] = ""
    assert lookup.scheme(v, "oslo_db", "public") == "http"


def test_service_name_with_namespace() -> None:
    v = values(oslo_db=OSLO_DB)
    assert lookup.service_name_with_ns(v, "oslo_db", "internal", NS) == "infra:mariadb"
    v["endpoints"]["oslo_db"]["hosts"]["default"] = "10.0.0.5"
    v["endpoints"]["oslo_db"]["service"] = {"name": None}
    assert lookup.service_name_with_ns(v, "oslo_db", "internal", NS) == "infra:oslo_db"


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda e: e.pop("identity"), "endpoints.identity"),
        (lambda e: e["identity"].pop("host_fqdn_override"),
         "endpoints.identity.host_fqdn_override"),
        (lambda e: e["identity"].pop("scheme"), "endpoints.identity.scheme"),
        (lambda e: e["identity"].pop("path"), "endpoints.identity.path"),
        (lambda e: e["identity"]["port"].pop("api"), "endpoints.identity.port.api"),
        (lambda e: e["identity"]["hosts"].pop("default"), "endpoints.identity.hosts.public"),
    ],
)
def test_values_helm_toolkit_cannot_render_are_user_errors(mutate: Any, key: str) -> None:
    v = values(identity=IDENTITY)
    mutate(v["endpoints"])
    with pytest.raises(UserError, match=f"^{key}: "):
        lookup.keystone_endpoint_uri(v, "identity", "public", "api", NS)


def test_go_formatting() -> None:
    assert go_port(5000) == "5000" and go_port(5000.0) == "5000"
    assert go_port("5000") == "%!f(string=5000)" and go_port(None) == "%!f(<nil>)"
    assert go_v(1000000) == "1e+06" and go_v(123456) == "123456" and go_v(0.0001) == "0.0001"
    assert go_v(0.00001) == "1e-05" and go_v(1.5) == "1.5" and go_v(True) == "true"
    assert go_s(80) == "%!s(float64=80)" and go_s(None) == "%!s(<nil>)"
    assert atoi("3") == 3 and atoi("3.5") == 0 and atoi("<nil>") == 0
    assert default(0, "x") == "x" and default({}, "x") == "x" and default("a", "x") == "a"


# --- properties -----------------------------------------------------------------------------

hostnames = st.sampled_from(["svc", "svc-api", "a.b", "10.0.0.5", "host-10.1.2.3"])
fqdns = st.sampled_from(["x.example.com", "api.cloud.test"])


@st.composite
def endpoint_maps(draw: st.DrawFn) -> dict[str, Any]:
    def host() -> Any:
        h = draw(hostnames)
        return {"host": h} if draw(st.booleans()) else h

    hosts = {"default": host()}
    for side in ("internal", "public"):
        if draw(st.booleans()):
            hosts[side] = host()
    override: dict[str, Any] = {
        "default": draw(st.one_of(st.none(), st.just(""), fqdns,
                                  fqdns.map(lambda f: {"host": f, "tls": {"secretName": "t"}}),
                                  st.just({"tls": {}})))
    }
    if draw(st.booleans()):
        override["public"] = draw(st.one_of(st.none(), fqdns, fqdns.map(lambda f: {"host": f})))
    return {
        "name": draw(st.sampled_from(["keystone", "heat-cfn"])),
        "namespace": draw(st.sampled_from([None, "", "infra"])),
        "hosts": hosts,
        "host_fqdn_override": override,
        "path": draw(st.one_of(st.sampled_from(["/v3", ""]),
                               st.fixed_dictionaries({"default": st.sampled_from(["/x", None]),
                                                      "public": st.sampled_from(["/p", None])}))),
        "scheme": draw(st.one_of(st.sampled_from(["http", "https", ""]),
                                 st.fixed_dictionaries(
                                     {"default": st.sampled_from(["http", "https", None]),
                                      "public": st.sampled_from(["https", None])}))),
        "port": {"api": draw(st.fixed_dictionaries(
            {"default": st.sampled_from([80, 443, 5000])},
            optional={"public": st.sampled_from([None, 80, 443, 8443.0]),
                      "internal": st.sampled_from([0, 9292])}))},
        "auth": {"svc": {"username": "svc",
                         "password": draw(st.text(st.characters(codec="utf-8",
                                                               exclude_categories=("Cs", "Cc")),
                                                  max_size=10))}},
        "statefulset": draw(st.one_of(st.none(), st.fixed_dictionaries(
            {"name": st.just("svc-ss"), "replicas": st.integers(0, 3)}))),
        "service": {"name": draw(st.sampled_from(["", "own-svc"]))},
    }


ENDPOINTS = st.sampled_from(["admin", "internal", "public"])


@settings(max_examples=150, deadline=None)
@given(endpoint_maps(), ENDPOINTS, st.sampled_from(["cluster.local", "k8s.example"]))
def test_host_is_ip_or_override_or_cluster_name(ep: dict[str, Any], endpoint: str,
                                                suffix: str) -> None:
    v = values(suffix, t=ep)
    raw = default(ep["hosts"].get(endpoint), ep["hosts"]["default"])
    raw = raw["host"] if isinstance(raw, dict) else raw
    ovr = ep["host_fqdn_override"]
    own = ovr.get(endpoint)
    own = own.get("host") if isinstance(own, dict) else own
    dflt = ovr["default"].get("host") if isinstance(ovr["default"], dict) else ovr["default"]
    host = lookup.endpoint_host(v, "t", endpoint, NS)
    if lookup.IP_RE.search(raw):
        assert host == raw
    elif own or dflt:
        assert host == (own or dflt)
    else:
        assert host == f"{raw}.{ep['namespace'] or NS}.svc.{suffix}"


@settings(max_examples=150, deadline=None)
@given(endpoint_maps(), ENDPOINTS)
def test_uri_is_scheme_host_port_path(ep: dict[str, Any], endpoint: str) -> None:
    v = values(t=ep)
    uri = lookup.keystone_endpoint_uri(v, "t", endpoint, "api", NS)
    sc, port = lookup.scheme(v, "t", endpoint), lookup.endpoint_port(v, "t", endpoint, "api")
    host, pa = lookup.endpoint_host(v, "t", endpoint, NS), lookup.path(v, "t", endpoint)
    assert uri.startswith(f"{sc}://{host}") and uri.endswith(pa)
    assert (f":{port}" in uri) == ((sc, port) not in {("http", "80"), ("https", "443")})


@settings(max_examples=150, deadline=None)
@given(endpoint_maps(), ENDPOINTS)
def test_statefulset_lists_one_entry_per_replica(ep: dict[str, Any], endpoint: str) -> None:
    v = values(t=ep)
    entries = lookup.host_and_port(v, "t", endpoint, "api", NS).split(",")
    port = lookup.endpoint_port(v, "t", endpoint, "api")
    if ep["statefulset"]:
        n = ep["statefulset"]["replicas"]
        assert len(entries) == n or (n == 0 and entries == [""])
        assert all(e.startswith(f"svc-ss-{i}.") for i, e in enumerate(entries[:n]))
    else:
        assert entries == [f"{lookup.endpoint_host(v, 't', endpoint, NS)}:{port}"]


@settings(max_examples=150, deadline=None)
@given(endpoint_maps(), ENDPOINTS)
def test_password_round_trips_through_the_url(ep: dict[str, Any], endpoint: str) -> None:
    v = values(t=ep)
    uri = lookup.authenticated_uri(v, "t", endpoint, "svc", "api", NS)
    quoted = uri.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert urllib.parse.unquote_plus(quoted) == ep["auth"]["svc"]["password"]
    assert not set(quoted) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789-_.~%+")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_v_is_the_shortest_round_trip(f: float) -> None:
    text = go_v(f)
    assert float(text) == f and math.copysign(1, float(text)) == math.copysign(1, f)
    assert "e" in text or abs(f) < 1e6
