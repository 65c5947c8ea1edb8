"""The DESIGN §2 policies, checked on the generated overrides of the real charts' values."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from plugin_sites import (
    CHARTS,
    DOMAIN,
    REGISTRY,
    build_site,
    chart_values,
    leaves,
    reference_dir,
    reference_values,
    snapshot,
)

from helmdeck.errors import UserError
from helmdeck.plugin import ChartRef, SiteSnapshot
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.model import Site

is_secret_path = load_plugins().secret_paths.is_secret

pytestmark = pytest.mark.skipif(
    not reference_dir().is_dir(), reason=f"reference charts absent at {reference_dir()}"
)
OPENSTACK = ("keystone", "glance", "placement", "heat", "cinder", "nova", "neutron", "horizon")


def generate(site: Site, snap: SiteSnapshot | None = None) -> dict[str, dict[str, Any]]:
    snap = snap or snapshot(site)
    plugins = load_plugins()
    return {
        c: system_overrides(plugins[c], snap, snap.releases[c], chart_values(c)).values
        for c in CHARTS
    }


def get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.fixture(scope="module")
def rich() -> dict[str, dict[str, Any]]:
    return generate(build_site())


API_KEYS = {
    "keystone": ["api"],
    "glance": ["api"],
    "placement": ["api"],
    "horizon": ["server"],
    "heat": ["api", "cfn", "engine"],
    "cinder": ["api", "scheduler"],
    "nova": ["osapi", "api_metadata", "conductor", "scheduler", "novncproxy"],
    "neutron": ["server", "rpc_server"],
    "memcached": ["server"],
}


@pytest.mark.parametrize("controllers", [1, 2, 5])
def test_api_replicas_equal_the_controller_count(controllers: int) -> None:
    out = generate(build_site(controllers=controllers))
    for chart, keys in API_KEYS.items():
        for key in keys:
            assert out[chart]["pod"]["replicas"][key] == controllers, (chart, key)


@pytest.mark.parametrize("controllers, expected", [(1, 1), (2, 1), (3, 3), (7, 3)])
def test_mariadb_and_rabbitmq_clusters(controllers: int, expected: int) -> None:
    out = generate(build_site(controllers=controllers))
    assert out["mariadb"]["pod"]["replicas"]["server"] == expected
    assert out["rabbitmq"]["pod"]["replicas"]["server"] == expected
    for chart in ("keystone", "glance", "nova", "neutron", "cinder", "heat"):
        assert out[chart]["endpoints"]["oslo_messaging"]["statefulset"] == {
            "name": "rabbitmq-rabbitmq",
            "replicas": expected,
        }


def test_development_runs_one_of_everything() -> None:
    out = generate(build_site(mode="development", controllers=3, storage="local"))
    for chart, keys in API_KEYS.items():
        assert all(out[chart]["pod"]["replicas"][k] == 1 for k in keys)
    assert out["mariadb"]["pod"]["replicas"]["server"] == 1
    assert out["nova"]["endpoints"]["oslo_messaging"]["statefulset"]["replicas"] == 1


def test_rabbit_statefulset_follows_the_release_name() -> None:
    site = build_site()
    snap = snapshot(site)
    releases = dict(snap.releases, rabbitmq=ChartRef("rabbitmq", "mq", "infra"))
    snap = SiteSnapshot(site, snap.secrets, snap.enabled, releases, snap.catalog)
    nova = generate(site, snap)["nova"]
    assert nova["endpoints"]["oslo_messaging"]["statefulset"]["name"] == "mq-rabbitmq"
    assert nova["endpoints"]["oslo_messaging"]["namespace"] == "infra"
    assert "namespace" not in nova["endpoints"]["oslo_db"]


def _selector(values: dict[str, Any], path: str) -> str:
    node = get(values, f"labels.{path}")
    assert node["node_selector_value"] == "enabled"
    return str(node["node_selector_key"])


def test_node_selectors_per_role(rich: dict[str, dict[str, Any]]) -> None:
    assert _selector(rich["keystone"], "api") == "openstack-control-plane"
    assert _selector(rich["horizon"], "dashboard") == "openstack-control-plane"
    assert _selector(rich["rabbitmq"], "jobs") == "openstack-control-plane"
    assert _selector(rich["nova"], "agent.compute") == "openstack-compute-node"
    assert _selector(rich["nova"], "osapi") == "openstack-control-plane"
    assert _selector(rich["libvirt"], "agent.libvirt") == "openstack-compute-node"
    assert _selector(rich["openvswitch"], "ovs") == "openvswitch"
    assert _selector(rich["neutron"], "ovs") == "openvswitch"
    # dedicated network hosts take the l3, dhcp and metadata agents
    assert _selector(rich["neutron"], "agent.l3") == "l3-agent"
    assert _selector(rich["neutron"], "agent.dhcp") == "openstack-network-node"
    assert _selector(rich["neutron"], "agent.metadata") == "openstack-network-node"
    assert _selector(rich["neutron"], "server") == "openstack-control-plane"


def test_without_network_hosts_agents_stay_on_controllers() -> None:
    neutron = generate(build_site(network_hosts=0))["neutron"]
    for agent in ("l3", "dhcp", "metadata"):
        assert _selector(neutron, f"agent.{agent}") == "openstack-control-plane"


def _tolerating(out: dict[str, dict[str, Any]]) -> set[str]:
    return {c for c in CHARTS if "tolerations" in out[c].get("pod", {})}


def test_tainted_compute_is_tolerated_only_by_charts_running_there(
    rich: dict[str, dict[str, Any]],
) -> None:
    assert _tolerating(rich) == {"nova", "libvirt", "neutron", "openvswitch"}
    tol = rich["nova"]["pod"]["tolerations"]["nova"]
    assert tol == {
        "enabled": True,
        "tolerations": [
            {"key": "species", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
        ],
    }


def test_no_taints_no_tolerations() -> None:
    assert _tolerating(generate(build_site(tainted_computes=0))) == set()


def test_tainted_controller_is_tolerated_by_control_plane_charts() -> None:
    site = build_site(tainted_computes=0)
    doc = json.loads(site.model_dump_json())
    doc["spec"]["hosts"][0]["taints"] = [{"key": "dedicated", "effect": "NoExecute"}]
    out = generate(Site.model_validate_json(json.dumps(doc)))
    assert _tolerating(out) == set(CHARTS) - {"libvirt"}
    assert out["keystone"]["pod"]["tolerations"]["keystone"]["tolerations"] == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}
    ]


@pytest.mark.parametrize("chart", CHARTS)
def test_mirror_rewrites_every_image(rich: dict[str, dict[str, Any]], chart: str) -> None:
    tags = reference_values(chart)["images"]["tags"]
    got = rich[chart]["images"]["tags"]
    for key, image in tags.items():
        if not image:
            continue
        assert got[key].startswith(f"{REGISTRY}/"), key
        assert (
            got[key].split("/", 1)[1] == image.split("/", 1)[1]
            if "." in image.split("/")[0]
            else got[key] == f"{REGISTRY}/{image}"
        )
    assert rich[chart]["manifests"]["job_image_repo_sync"] is False


def test_no_mirror_leaves_images_alone() -> None:
    out = generate(build_site(registry=None))
    assert all("images" not in out[c] for c in CHARTS)


def _endpoint_views(out: dict[str, dict[str, Any]], etype: str) -> dict[str, Any]:
    views = {}
    for chart in CHARTS:
        ep = out[chart].get("endpoints", {}).get(etype)
        if ep and "host_fqdn_override" in ep:
            views[chart] = {k: ep[k] for k in ("host_fqdn_override", "scheme", "port")}
    return views


@pytest.mark.parametrize("tls", [True, False])
def test_public_endpoints_identical_in_every_chart(tls: bool) -> None:
    out = generate(build_site(tls=tls))
    scheme, port = ("https", 443) if tls else ("http", 80)
    expect_charts = {
        "identity": set(OPENSTACK) | {"mariadb"},
        "image": {"glance", "nova", "cinder"},
        "dashboard": {"glance", "horizon"},
        "compute": {"nova", "neutron"},
    }
    for etype, charts in expect_charts.items():
        views = _endpoint_views(out, etype)
        assert set(views) == charts, etype
        assert len({json.dumps(v, sort_keys=True) for v in views.values()}) == 1, etype
    identity = _endpoint_views(out, "identity")["nova"]
    assert identity["host_fqdn_override"] == {
        "public": {"host": f"keystone.{DOMAIN}"},
        "admin": {"host": f"keystone.{DOMAIN}"},
    }
    assert identity["scheme"] == {"public": scheme, "admin": scheme}
    assert identity["port"] == {"api": {"public": port, "admin": port}}
    assert out["heat"]["endpoints"]["cloudformation"]["host_fqdn_override"]["public"]["host"] == (
        f"cloudformation.{DOMAIN}"
    )
    assert all(
        out[c]["endpoints"]["cluster_domain_suffix"] == "cluster.local"
        for c in CHARTS
        if c != "openvswitch" and "endpoints" in out[c]
    )


def test_same_credentials_wherever_they_must_agree(rich: dict[str, dict[str, Any]]) -> None:
    def values_at(path: str, charts: tuple[str, ...]) -> set[Any]:
        return {get(rich[c], path) for c in charts}

    assert len(values_at("endpoints.identity.auth.admin.password", (*OPENSTACK, "mariadb"))) == 1
    assert len(values_at("endpoints.oslo_db.auth.admin.password", (*OPENSTACK, "mariadb"))) == 1
    assert values_at("endpoints.oslo_db_cell0.auth.admin.password", ("nova",)) == values_at(
        "endpoints.oslo_db.auth.admin.password", ("mariadb",)
    )
    clients = ("keystone", "glance", "heat", "cinder", "nova", "neutron")
    assert values_at("endpoints.oslo_messaging.auth.admin.password", clients) == values_at(
        "endpoints.oslo_messaging.auth.user.password", ("rabbitmq",)
    )
    assert values_at("endpoints.oslo_messaging.auth.admin.username", clients) == {"rabbitmq"}
    cache = ("glance", "placement", "heat", "cinder", "nova", "neutron")
    assert len(values_at("endpoints.oslo_cache.auth.memcache_secret_key", cache)) == 1
    assert get(rich["nova"], "conf.nova.neutron.metadata_proxy_shared_secret") == get(
        rich["neutron"], "conf.metadata_agent.DEFAULT.metadata_proxy_shared_secret"
    )
    uuid = get(rich["cinder"], "conf.backends.rbd1.rbd_secret_uuid")
    assert get(rich["nova"], "conf.nova.libvirt.rbd_secret_uuid") == uuid
    assert get(rich["nova"], "conf.ceph.cinder.secret_uuid") == uuid
    assert get(rich["libvirt"], "conf.ceph.cinder.secret_uuid") == uuid
    # service users differ from each other
    users = [
        get(rich[c], f"endpoints.identity.auth.{c}.password")
        for c in ("glance", "placement", "heat", "cinder", "nova", "neutron")
    ]
    assert len(set(users)) == len(users)


def test_every_secret_value_sits_on_a_secret_path_and_never_in_provenance() -> None:
    site = build_site()
    snap = snapshot(site)
    plugins = load_plugins()
    secrets = set(snap.secrets.values())
    used = set()
    for c in CHARTS:
        result = system_overrides(plugins[c], snap, snap.releases[c], chart_values(c))
        for parts, value in leaves(result.values):
            if isinstance(value, str) and value in secrets:
                used.add(value)
                assert is_secret_path(parts), parts
        assert not any(s in fact for fact in result.provenance.values() for s in secrets)
    assert used == secrets


def test_ceph_storage(rich: dict[str, dict[str, Any]]) -> None:
    assert rich["glance"]["storage"] == "rbd"
    assert get(rich["glance"], "conf.glance.glance_store.rbd_store_pool") == "images"
    rbd1 = get(rich["cinder"], "conf.backends.rbd1")
    assert (rbd1["rbd_pool"], rbd1["rbd_user"]) == ("volumes", "cinder")
    assert get(rich["cinder"], "conf.ceph.pools.volumes")["app_name"] == "cinder-volume"
    assert get(rich["cinder"], "conf.ceph.pools")["cinder.volumes"] is None
    assert get(rich["nova"], "conf.nova.libvirt.images_type") == "rbd"
    assert get(rich["nova"], "conf.nova.libvirt.rbd_user") == "cinder"
    assert get(rich["libvirt"], "conf.ceph.enabled") is True
    assert get(rich["glance"], "conf.ceph.monitors") == [
        "10.0.0.1:6789",
        "10.0.0.2:6789",
        "10.0.0.3:6789",
    ]


def test_site_ceph_secret_uuid_wins_over_the_generated_one() -> None:
    site = build_site(tainted_computes=0)
    doc = json.loads(site.model_dump_json())
    doc["spec"]["storage"]["ceph"]["secret_uuid"] = "11111111-2222-3333-4444-555555555555"
    out = generate(Site.model_validate_json(json.dumps(doc)))
    assert get(out["cinder"], "conf.backends.rbd1.rbd_secret_uuid") == (
        "11111111-2222-3333-4444-555555555555"
    )
    assert get(out["libvirt"], "conf.ceph.cinder.secret_uuid") == (
        "11111111-2222-3333-4444-555555555555"
    )


@pytest.mark.parametrize("backend", ["local", "pvc"])
def test_local_storage_has_no_ceph_anywhere(backend: str) -> None:
    out = generate(build_site(storage=backend))
    assert out["glance"]["storage"] == backend
    for chart in ("nova", "libvirt"):
        assert get(out[chart], "conf.ceph") == {"enabled": False}
    assert get(out["cinder"], "conf.backends") == {"rbd1": None}
    assert get(out["cinder"], "manifests.deployment_volume") is False
    text = yaml.safe_dump(out)
    assert "rbd" not in text.replace("rbd1: null", "")
    assert "monitors" not in text
    if backend == "pvc":
        assert get(out["glance"], "volume.class_name") == "general"


def test_network_backend_consistent() -> None:
    out = generate(build_site(network={"backend": "ovn"}))
    assert {json.dumps(out[c]["network"]["backend"]) for c in ("nova", "neutron", "libvirt")} == {
        '["ovn"]'
    }


def test_region_on_every_keystone_user(rich: dict[str, dict[str, Any]]) -> None:
    for chart in OPENSTACK:
        for user, spec in get(rich[chart], "endpoints.identity.auth").items():
            if "region_name" in reference_values(chart)["endpoints"]["identity"]["auth"][user]:
                assert spec["region_name"] == "RegionOne", (chart, user)


def test_deterministic_byte_identical_yaml() -> None:
    first = yaml.safe_dump(generate(build_site()), sort_keys=False)
    second = yaml.safe_dump(generate(build_site()), sort_keys=False)
    assert first == second


def test_every_leaf_has_a_provenance_naming_an_input() -> None:
    site = build_site()
    snap = snapshot(site)
    plugins = load_plugins()
    for c in CHARTS:
        result = system_overrides(plugins[c], snap, snap.releases[c], chart_values(c))
        paths = {".".join(str(x).replace(".", "\\.") for x in p) for p, _ in leaves(result.values)}
        assert set(result.provenance) == paths, c
        for fact in result.provenance.values():
            assert fact.startswith(
                (
                    "spec.",
                    "secret: ",
                    "application: ",
                    "keystone bootstrap",
                    "mariadb root",
                    "rabbitmq ",
                )
            ), fact
    prov = system_overrides(
        plugins["keystone"], snap, snap.releases["keystone"], chart_values("keystone")
    ).provenance
    assert prov["pod.replicas.api"] == "spec.hosts: 3 controllers (ctl-0, ctl-1, ctl-2)"
    assert prov["images.tags.keystone_api"] == f"spec.registry: {REGISTRY}"
    assert prov["endpoints.identity.auth.admin.password"] == "secret: keystone_admin_password"


def test_two_thousand_hosts() -> None:
    site = build_site(controllers=5, computes=1980, network_hosts=15, tainted_computes=1000)
    out = generate(site)
    assert out["keystone"]["pod"]["replicas"]["api"] == 5
    assert len(out["nova"]["pod"]["tolerations"]["nova"]["tolerations"]) == 1
    snap = snapshot(site)
    prov = system_overrides(
        load_plugins()["nova"], snap, snap.releases["nova"], chart_values("nova")
    ).provenance
    assert prov["labels.agent.compute.node_selector_key"] == (
        "spec.hosts: 1980 computes (cmp-0, cmp-1, cmp-2, … 1977 more)"
    )


def test_required_secrets_and_missing_secret() -> None:
    plugins = load_plugins()
    assert "horizon_secret_key" in required_secrets(plugins, ["horizon"])
    assert "horizon_secret_key" not in required_secrets(plugins, ["nova", "unknown-chart"])
    site = build_site()
    snap = snapshot(site)
    broken = SiteSnapshot(site, {}, snap.enabled, snap.releases, snap.catalog)
    with pytest.raises(UserError, match="chart nova: secrets not generated yet: ceph_secret_uuid"):
        system_overrides(plugins["nova"], broken, snap.releases["nova"], chart_values("nova"))


def test_every_public_host_a_chart_declares_is_on_the_public_domain() -> None:
    """No public hostname is left to a static file (gateway.yaml sets *.openstack-helm.org)."""
    out = generate(build_site(tls=True))
    metadata = [_endpoint_views(out, "compute_metadata")[c] for c in ("nova", "neutron")]
    for view in metadata:
        assert view["host_fqdn_override"] == {"public": {"host": f"metadata.{DOMAIN}"}}
        assert view["scheme"] == {"public": "https"}
        assert view["port"] == {"metadata": {"public": 443}}
    rabbit = get(out["rabbitmq"], "endpoints.oslo_messaging.host_fqdn_override.public.host")
    assert rabbit == f"rabbitmq.{DOMAIN}"
    assert "host_fqdn_override" not in get(out["nova"], "endpoints.oslo_messaging")
