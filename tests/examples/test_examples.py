"""The offline example application: every chart renders through the Helm adapter, keeps the
openstack-helm values layout the plugins write into, and passes `helmdeck lint`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import OSH_CHARTS

from helmdeck.helm import render

REPO = Path(__file__).resolve().parents[2]
CHARTS_DIR = REPO / "examples" / "charts"
CHARTS = (*OSH_CHARTS, "ovn")
WORKLOAD = {
    "mariadb": "StatefulSet",
    "rabbitmq": "StatefulSet",
    "memcached": "StatefulSet",
    "openvswitch": "DaemonSet",
    "libvirt": "DaemonSet",
    "ovn": "DaemonSet",
}
# The real ovn chart has no Job (no database, no keystone): neither has the example.
NO_JOB = {"ovn"}
POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


def docs(chart: str, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    out = render(CHARTS_DIR / chart, values or {}, release=chart, namespace="openstack")
    return [d for text in out.values() for d in yaml.safe_load_all(text) if d]


def values(chart: str) -> dict[str, Any]:
    return yaml.safe_load((CHARTS_DIR / chart / "values.yaml").read_text())  # type: ignore[no-any-return]


def get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def test_one_example_chart_per_application_chart() -> None:
    app = yaml.safe_load((REPO / "helmdeck" / "application" / "openstack-helm.yaml").read_text())
    assert sorted(CHARTS) == sorted(p.parent.name for p in CHARTS_DIR.glob("*/values.yaml"))
    assert {c["name"] for c in app["charts"]} == set(CHARTS)


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_renders_the_required_objects(chart: str) -> None:
    meta = yaml.safe_load((CHARTS_DIR / chart / "Chart.yaml").read_text())
    assert "EXAMPLE" in meta["description"]
    assert meta["dependencies"] == [
        {
            "name": "helmdeck-toolkit",
            "repository": "file://../helmdeck-toolkit",
            "version": ">= 0.1.0",
        }
    ]
    rendered = docs(chart)
    kinds = {d["kind"] for d in rendered}
    required = {WORKLOAD.get(chart, "Deployment"), "ConfigMap", "Service"}
    if chart not in NO_JOB:
        required.add("Job")
    assert required <= kinds
    for d in rendered:
        if d["kind"] not in POD_KINDS:
            continue
        pod = d["spec"]["template"]
        assert pod["spec"]["nodeSelector"], d["metadata"]["name"]
        assert all(":" in c["image"] and c["imagePullPolicy"] for c in pod["spec"]["containers"])
        if d["kind"] != "Job":
            assert "configmap-bin-hash" in pod["metadata"]["annotations"]
        if d["kind"] in ("Deployment", "StatefulSet"):
            assert isinstance(d["spec"]["replicas"], int)


def _workloads(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered if d["kind"] in POD_KINDS}


def test_plugin_style_overrides_take_effect() -> None:
    tol = [{"key": "species", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    overrides = {
        "pod": {
            "replicas": {"osapi": 3},
            "tolerations": {"nova": {"enabled": True, "tolerations": tol}},
            "resources": {"enabled": True},
        },
        "labels": {
            "agent": {"compute": {"node_selector_key": "compute", "node_selector_value": "yes"}}
        },
        "images": {"tags": {"nova_api": "registry.example.com:5000/airshipit/nova:2026.1"}},
        "endpoints": {
            "compute": {
                "host_fqdn_override": {"public": {"host": "nova.cloud.example.com"}},
                "scheme": {"public": "https"},
                "port": {"api": {"public": 443}},
            }
        },
    }
    work = _workloads(docs("nova", overrides))
    osapi = work["nova-api-osapi"]
    assert osapi["spec"]["replicas"] == 3
    assert osapi["spec"]["template"]["spec"]["tolerations"] == tol
    assert osapi["spec"]["template"]["spec"]["containers"][0]["image"].startswith(
        "registry.example.com"
    )
    assert "resources" in osapi["spec"]["template"]["spec"]["containers"][0]
    assert work["nova-compute-default"]["spec"]["template"]["spec"]["nodeSelector"] == {
        "compute": "yes"
    }
    assert all("tolerations" in w["spec"]["template"]["spec"] for w in work.values())


def _etc(chart: str, overrides: dict[str, Any]) -> str:
    import base64

    secret = next(d for d in docs(chart, overrides) if d["kind"] == "Secret")
    return "".join(base64.b64decode(v).decode() for v in secret["data"].values())


def test_config_comes_from_endpoints_and_rolls_the_pods() -> None:
    conf = _etc("glance", {})
    assert (
        "connection = mysql+pymysql://glance:password@mariadb.openstack.svc.cluster.local:3306/glance"
        in conf
    )
    assert (
        "rabbit://glance:password@rabbitmq-rabbitmq-0.rabbitmq.openstack.svc.cluster.local:5672,"
        "glance:password@rabbitmq-rabbitmq-1.rabbitmq.openstack.svc.cluster.local:5672/glance"
    ) in conf
    assert "memcache_secret_key" not in conf
    changed = {
        "endpoints": {
            "oslo_messaging": {"statefulset": {"replicas": 1}},
            "oslo_cache": {"auth": {"memcache_secret_key": "k"}},
            "identity": {
                "host_fqdn_override": {"public": {"host": "id.example.com"}},
                "scheme": {"public": "https"},
                "port": {"api": {"public": 443}},
            },
        }
    }
    conf2 = _etc("glance", changed)
    assert "rabbitmq-rabbitmq-1" not in conf2 and "memcache_secret_key = k" in conf2
    assert "www_authenticate_uri = https://id.example.com/v3" in conf2

    def etc_hash(v: dict[str, Any]) -> str:
        api = _workloads(docs("glance", v))["glance-api"]
        return str(api["spec"]["template"]["metadata"]["annotations"]["configmap-etc-hash"])

    assert etc_hash({}) == etc_hash({}) != etc_hash(changed)
    assert etc_hash({}).strip('"') != hashlib.sha256(b"").hexdigest()


def test_endpoint_lookups_follow_helm_toolkit_rules() -> None:
    base = {
        "endpoints": {
            "oslo_db": {"auth": {"glance": {"password": "p@ss/w:rd"}}, "namespace": "infra"},
            "cluster_domain_suffix": "k8s.example",
            "oslo_messaging": {"host_fqdn_override": {"default": "rmq.example.com"}},
        }
    }
    conf = _etc("glance", base)
    assert (
        "mysql+pymysql://glance:p%40ss%2Fw%3Ard@mariadb.infra.svc.k8s.example:3306/glance" in conf
    )
    assert "transport_url = rabbit://glance:password@rmq.example.com:5672/glance" in conf
    ip = _etc(
        "glance",
        {
            "endpoints": {
                "oslo_db": {
                    "hosts": {"default": "10.0.0.5"},
                    "host_fqdn_override": {"default": "db.example.com"},
                }
            }
        },
    )
    assert "@10.0.0.5:3306/glance" in ip


def test_glance_storage_and_ceph_switches() -> None:
    assert any(d["kind"] == "PersistentVolumeClaim" for d in docs("glance"))
    rbd = docs("glance", {"storage": "rbd", "conf": {"ceph": {"monitors": ["10.0.0.1:6789"]}}})
    assert not any(d["kind"] == "PersistentVolumeClaim" for d in rbd)
    conf = _etc("glance", {"storage": "rbd", "conf": {"ceph": {"monitors": ["10.0.0.1:6789"]}}})
    assert "default_backend = rbd" in conf and "mon_host = 10.0.0.1:6789" in conf


# Key paths the plugins set (osh-keys.yaml / DESIGN §2), in the openstack-helm layout.
LAYOUT = {
    "horizon": [
        "labels.dashboard.node_selector_key",
        "pod.replicas.server",
        "conf.horizon.local_settings.config.horizon_secret_key",
    ],
    "rabbitmq": [
        "labels.jobs.node_selector_value",
        "endpoints.oslo_messaging.auth.user.password",
        "endpoints.oslo_messaging.auth.erlang_cookie",
        "pod.replicas.server",
    ],
    "nova": [
        "labels.agent.compute.node_selector_key",
        "labels.agent.compute_ironic.node_selector_key",
        "endpoints.oslo_messaging.statefulset.name",
        "endpoints.oslo_cache.auth",
        "conf.nova.neutron.metadata_proxy_shared_secret",
        "conf.ceph.cinder.secret_uuid",
        "conf.nova.libvirt.images_type",
        "network.backend",
        "pod.replicas.spiceproxy",
    ],
    "neutron": [
        "labels.agent.l3.node_selector_key",
        "labels.ovs.node_selector_key",
        "conf.metadata_agent.DEFAULT.metadata_proxy_shared_secret",
        "network.backend",
        "pod.lifecycle.upgrades.daemonsets.ovs_agent",
    ],
    "libvirt": ["labels.agent.libvirt.node_selector_key", "conf.ceph.enabled", "network.backend"],
    "glance": [
        "storage",
        "volume.class_name",
        "conf.glance.glance_store.rbd_store_pool",
        "endpoints.image.host_fqdn_override.default",
        "endpoints.image.port.api.public",
    ],
    "cinder": [
        "conf.backends.rbd1.rbd_secret_uuid",
        "conf.cinder.DEFAULT.backup_driver",
        "manifests.deployment_volume",
        "manifests.job_backup_storage_init",
    ],
    "keystone": [
        "endpoints.identity.port.api.service",
        "endpoints.identity.auth.admin.region_name",
        "endpoints.oslo_db.auth.admin.password",
    ],
    "mariadb": [
        "endpoints.oslo_db.auth.sst.password",
        "labels.prometheus_mysql_exporter.node_selector_key",
        "volume.class_name",
    ],
    "memcached": ["endpoints.oslo_cache.hosts.default", "pod.replicas.server"],
    "openvswitch": ["labels.ovs.node_selector_key", "pod.lifecycle.upgrades.daemonsets.ovs"],
    "ovn": [
        "labels.ovn_ovsdb_nb.node_selector_key",
        "labels.ovn_controller_gw.node_selector_key",
        "pod.replicas.ovn_northd",
        "pod.tolerations.ovn_controller.enabled",
        "volume.ovn_ovsdb_sb.class_name",
    ],
}
# ovn keeps one pod.tolerations entry per component (as upstream) instead of one per chart.
TOLERATIONS_KEY = {"ovn": "pod.tolerations.ovn_ovsdb_nb.enabled"}


@pytest.mark.parametrize("chart", CHARTS)
def test_values_keep_the_openstack_helm_layout(chart: str) -> None:
    v = values(chart)
    common = [
        "images.pull_policy",
        "images.local_registry.active",
        "pod.resources.enabled",
        TOLERATIONS_KEY.get(chart, f"pod.tolerations.{chart}.enabled"),
        "endpoints.cluster_domain_suffix",
        "manifests",
    ]
    for key in common + LAYOUT.get(chart, []):
        get(v, key)
    assert get(v, "pod.resources.enabled") is False


def test_lint_passes_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    from helmdeck.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["lint", "--fail-on", "info", *map(str, sorted(CHARTS_DIR.iterdir()))])
    out, _ = capsys.readouterr()
    assert (exc.value.code, out) == (0, "")
