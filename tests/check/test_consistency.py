"""Cross-chart consistency rules: each with a passing and a failing fixture."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.check import RULES, Inconsistency
from helmdeck.check import check_consistency as check_with
from helmdeck.plugins.registry import load_plugins

PLUGINS = load_plugins()


def check_consistency(combined: Any, **kw: Any) -> list[Inconsistency]:
    """The rules with the built-in plugins' catalog and secret paths."""
    return check_with(combined, catalog=PLUGINS.catalog, paths=PLUGINS.secret_paths, **kw)

SECRETS = {
    "ks": "ks-admin-S3cret",
    "db": "db-root-S3cret",
    "rmq": "rmq-admin-S3cret",
    "meta": "metadata-S3cret",
    "uuid": "457eb676-33da-42ec-9a8c-9293d545c337",
}


def _client(name: str, service: str, **extra: Any) -> dict[str, Any]:
    """A client chart's combined overrides as the plugins write them."""
    return {
        "endpoints": {
            "cluster_domain_suffix": "cluster.local",
            "identity": {
                "auth": {"admin": {"username": "admin", "password": SECRETS["ks"],
                                   "region_name": "RegionOne"}},
                "host_fqdn_override": {"public": {"host": "keystone.cloud.example.com"}},
                "scheme": {"public": "https"},
                "port": {"api": {"public": 443}},
            },
            "oslo_db": {"auth": {"admin": {"username": "root", "password": SECRETS["db"]}}},
            "oslo_messaging": {
                "auth": {"admin": {"username": "rabbitmq", "password": SECRETS["rmq"]}},
                "statefulset": {"name": "rabbitmq-rabbitmq", "replicas": 3},
            },
            name: {
                "host_fqdn_override": {"public": {"host": f"{service}.cloud.example.com"}},
                "scheme": {"public": "https"},
                "port": {"api": {"public": 443}},
            },
        },
        **extra,
    }


def consistent() -> dict[str, dict[str, Any]]:
    ceph = {"enabled": True, "cinder": {"user": "cinder", "secret_uuid": SECRETS["uuid"]}}
    nova = _client(
        "compute", "nova",
        conf={
            "ceph": copy.deepcopy(ceph),
            "nova": {
                "neutron": {"metadata_proxy_shared_secret": SECRETS["meta"]},
                "libvirt": {"rbd_user": "cinder", "rbd_secret_uuid": SECRETS["uuid"]},
            },
        },
        network={"backend": ["openvswitch"]},
    )
    nova["endpoints"]["oslo_db_cell0"] = copy.deepcopy(nova["endpoints"]["oslo_db"])
    nova["endpoints"]["image"] = {"host_fqdn_override": {"public": {"host":
                                                                    "glance.cloud.example.com"}}}
    return {
        "keystone": {
            "endpoints": {
                "cluster_domain_suffix": "cluster.local",
                "identity": {
                    "auth": {"admin": {"username": "admin", "password": SECRETS["ks"],
                                       "region_name": "RegionOne"}},
                    "host_fqdn_override": {"public": {"host": "keystone.cloud.example.com"},
                                           "admin": {"host": "keystone.cloud.example.com"}},
                    "scheme": {"public": "https"},
                    "port": {"api": {"public": 443}},
                },
            }
        },
        "mariadb": {
            "endpoints": {
                "cluster_domain_suffix": "cluster.local",
                "oslo_db": {"auth": {"admin": {"username": "root", "password": SECRETS["db"]}}},
            }
        },
        "rabbitmq": {
            "endpoints": {
                "cluster_domain_suffix": "cluster.local",
                "oslo_messaging": {"auth": {"user": {"username": "rabbitmq",
                                                     "password": SECRETS["rmq"]}}},
            },
            "pod": {"replicas": {"server": 3}},
        },
        "glance": _client("image", "glance"),
        "nova": nova,
        "neutron": _client(
            "network", "neutron",
            conf={
                agent: {"DEFAULT": {"metadata_proxy_shared_secret": SECRETS["meta"]}}
                for agent in ("metadata_agent", "ovn_metadata_agent", "ovn_agent")
            },
            network={"backend": ["openvswitch"]},
        ),
        "libvirt": {"conf": {"ceph": copy.deepcopy(ceph)}, "network": {"backend": ["openvswitch"]}},
        "cinder": _client(
            "volumev3", "cinder",
            conf={"backends": {"rbd1": {"rbd_user": "cinder", "rbd_secret_uuid": SECRETS["uuid"],
                                        "rbd_pool": "volumes"},
                               "disabled": None}},
        ),
    }


def _set(values: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def test_consistent_site_passes() -> None:
    assert check_consistency(consistent()) == []


# (rule, chart, dotted path, new value, the other side (chart, path))
BREAKS = [
    ("keystone-admin", "nova", "endpoints.identity.auth.admin.password", "other",
     ("keystone", "endpoints.identity.auth.admin.password")),
    ("keystone-admin", "glance", "endpoints.identity.auth.admin.region_name", "RegionTwo",
     ("keystone", "endpoints.identity.auth.admin.region_name")),
    ("db-admin", "cinder", "endpoints.oslo_db.auth.admin.password", "other",
     ("mariadb", "endpoints.oslo_db.auth.admin.password")),
    ("db-admin", "nova", "endpoints.oslo_db_cell0.auth.admin.username", "admin",
     ("mariadb", "endpoints.oslo_db.auth.admin.username")),
    ("rabbitmq-admin", "neutron", "endpoints.oslo_messaging.auth.admin.password", "other",
     ("rabbitmq", "endpoints.oslo_messaging.auth.user.password")),
    ("rabbitmq-statefulset", "glance", "endpoints.oslo_messaging.statefulset.name", "rabbitmq",
     ("rabbitmq", "release")),
    ("rabbitmq-statefulset", "nova", "endpoints.oslo_messaging.statefulset.replicas", 2,
     ("rabbitmq", "pod.replicas.server")),
    ("cluster-domain", "neutron", "endpoints.cluster_domain_suffix", "k8s.example",
     ("cinder", "endpoints.cluster_domain_suffix")),
    ("public-endpoint", "nova", "endpoints.identity.host_fqdn_override.public.host", "ks.other",
     ("keystone", "endpoints.identity.host_fqdn_override.public.host")),
    ("public-endpoint", "nova", "endpoints.image.host_fqdn_override.public.host", "img.other",
     ("glance", "endpoints.image.host_fqdn_override.public.host")),
    ("public-endpoint", "cinder", "endpoints.identity.scheme.public", "http",
     ("keystone", "endpoints.identity.scheme.public")),
    ("public-endpoint", "cinder", "endpoints.identity.port.api.public", 80,
     ("keystone", "endpoints.identity.port.api.public")),
    ("metadata-secret", "neutron", "conf.ovn_agent.DEFAULT.metadata_proxy_shared_secret", "x",
     ("nova", "conf.nova.neutron.metadata_proxy_shared_secret")),
    ("ceph-client", "cinder", "conf.backends.rbd1.rbd_secret_uuid", "0000",
     ("libvirt", "conf.ceph.cinder.secret_uuid")),
    ("ceph-client", "nova", "conf.nova.libvirt.rbd_user", "nova",
     ("libvirt", "conf.ceph.cinder.user")),
    ("network-backend", "libvirt", "network.backend", ["ovn"], ("neutron", "network.backend")),
]


@pytest.mark.parametrize(("rule", "chart", "path", "value", "other"), BREAKS,
                         ids=[f"{b[0]}:{b[1]}:{b[2]}" for b in BREAKS])
def test_each_break_is_reported_with_both_paths(
    rule: str, chart: str, path: str, value: Any, other: tuple[str, str]
) -> None:
    combined = consistent()
    _set(combined[chart], path, value)
    found = check_consistency(combined)
    assert found == [Inconsistency(rule, found[0].message, (chart, path), other)]
    message = found[0].message
    assert f"{chart} {path}" in message and f"{other[0]} {other[1]}" in message
    for secret in SECRETS.values():
        assert secret not in message


def test_secret_differences_never_show_values() -> None:
    combined = consistent()
    _set(combined["nova"], "conf.nova.neutron.metadata_proxy_shared_secret", "new-S3cret")
    _set(combined["cinder"], "endpoints.oslo_db.auth.admin.password", "new-S3cret")
    messages = [i.message for i in check_consistency(combined)]
    assert len(messages) == 4  # nova vs each of neutron's three agents, cinder vs mariadb
    assert all("differs" in m and "S3cret" not in m for m in messages)


def test_plain_differences_show_both_values() -> None:
    combined = consistent()
    _set(combined["libvirt"], "network.backend", ["ovn"])
    (found,) = check_consistency(combined)
    assert '["ovn"]' in found.message and '["openvswitch"]' in found.message


def test_rabbitmq_release_name_decides_the_statefulset_name() -> None:
    combined = consistent()
    assert check_consistency(combined, releases={"rabbitmq": "mq"})[0].message.endswith(
        "runs StatefulSet 'mq-rabbitmq'"
    )
    for chart in ("glance", "nova", "neutron", "cinder"):
        _set(combined[chart], "endpoints.oslo_messaging.statefulset.name", "mq-rabbitmq")
    assert check_consistency(combined, releases={"rabbitmq": "mq"}) == []


def test_unset_keys_and_absent_providers_are_not_compared() -> None:
    combined = consistent()
    del combined["keystone"]
    del combined["nova"]["endpoints"]["cluster_domain_suffix"]
    del combined["rabbitmq"]["pod"]
    assert check_consistency(combined) == []


def test_disabled_ceph_is_not_compared() -> None:
    combined = consistent()
    combined["libvirt"]["conf"]["ceph"] = {"enabled": False, "cinder": {"user": "admin"}}
    assert check_consistency(combined) == []


def test_majority_wins_without_a_provider() -> None:
    combined = consistent()
    _set(combined["keystone"], "endpoints.cluster_domain_suffix", "k8s.example")
    (found,) = check_consistency(combined)
    assert found.a == ("keystone", "endpoints.cluster_domain_suffix")


def test_numbers_compare_as_helm_sees_them() -> None:
    combined = consistent()
    _set(combined["nova"], "endpoints.oslo_messaging.statefulset.replicas", 3.0)
    assert check_consistency(combined) == []
    _set(combined["nova"], "endpoints.oslo_messaging.statefulset.replicas", True)
    assert [i.rule for i in check_consistency(combined)] == ["rabbitmq-statefulset"]


def test_every_rule_has_a_failing_fixture() -> None:
    assert {b[0] for b in BREAKS} == set(RULES)


def _leaf_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += _leaf_paths(value, path + ".")
        elif value is not None:
            out.append(path)
    return out


SHARED = [(c, p) for c, v in consistent().items() for p in _leaf_paths(v)]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SHARED), st.text(min_size=1, max_size=8))
def test_changing_any_leaf_is_either_ignored_or_names_that_leaf(
    target: tuple[str, str], value: str
) -> None:
    """A change is reported exactly where it was made, or not at all (a chart-local key)."""
    chart, path = target
    combined = consistent()
    _set(combined[chart], path, "changed-" + value)
    found = check_consistency(combined)
    assert all((chart, path) in (i.a, i.b) for i in found)
    assert found == check_consistency(copy.deepcopy(combined))


def test_only_single_copy_keys_go_unwatched() -> None:
    """Changing a leaf is reported unless no other chart holds a copy of it."""
    single = {("keystone", "endpoints.identity.host_fqdn_override.admin.host"),
              ("nova", "conf.ceph.enabled"), ("libvirt", "conf.ceph.enabled"),
              ("cinder", "conf.backends.rbd1.rbd_pool"),
              ("glance", "endpoints.image.scheme.public"),
              ("glance", "endpoints.image.port.api.public")}
    for chart, etype in (("nova", "compute"), ("neutron", "network"), ("cinder", "volumev3")):
        single |= {(chart, f"endpoints.{etype}.{p}")
                   for p in ("host_fqdn_override.public.host", "scheme.public", "port.api.public")}
    unwatched = set()
    for chart, path in SHARED:
        combined = consistent()
        _set(combined[chart], path, "changed")
        if not check_consistency(combined):
            unwatched.add((chart, path))
    assert unwatched == single
