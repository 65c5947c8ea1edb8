"""What the real openstack-helm charts render, as the acceptance and real-render tests check it."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

# Workloads whose replicas are one per controller (development: one).
API_WORKLOADS = {
    "keystone": ["Deployment/keystone-api"],
    "glance": ["Deployment/glance-api"],
    "placement": ["Deployment/placement-api"],
    "nova": [
        "Deployment/nova-api-osapi",
        "Deployment/nova-api-metadata",
        "Deployment/nova-conductor",
        "Deployment/nova-scheduler",
        "Deployment/nova-novncproxy",
    ],
    "neutron": ["Deployment/neutron-server"],
    "cinder": ["Deployment/cinder-api", "Deployment/cinder-scheduler"],
    "horizon": ["Deployment/horizon"],
    "heat": ["Deployment/heat-api", "Deployment/heat-cfn", "Deployment/heat-engine"],
    "memcached": ["StatefulSet/memcached-memcached"],
}
# The clustered servers: 3 replicas with at least 3 controllers, else 1.
CLUSTER_WORKLOADS = {
    "mariadb": "StatefulSet/mariadb-server",
    "rabbitmq": "StatefulSet/rabbitmq-rabbitmq",
}
# Public endpoint per chart: <scheme>://<service>.<public_domain><path>.
PUBLIC_PATHS = {
    "keystone": [("keystone", "/v3")],
    "glance": [("glance", "")],
    "placement": [("placement", "/")],
    "nova": [("nova", "/v2.1/")],
    "neutron": [("neutron", "")],
    "cinder": [("cinder", "/v3")],
    "heat": [("heat", "/v1"), ("cloudformation", "/v1")],
}
OPENSTACK = ("keystone", "glance", "placement", "heat", "cinder", "nova", "neutron", "horizon")


def pod_spec(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod template's spec of a workload document, None for other kinds."""
    kind = doc.get("kind")
    if kind == "Pod":
        return doc["spec"]  # type: ignore[no-any-return]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return None


def workloads(docs: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The rendered documents with a pod template, by ``Kind/name``."""
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs if pod_spec(d) is not None}


def secret_data(docs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Every rendered Secret's data, decoded, by name."""
    return {
        d["metadata"]["name"]: {
            k: base64.b64decode(v or "").decode(errors="replace")
            for k, v in (d.get("data") or {}).items()
        }
        for d in docs
        if d.get("kind") == "Secret"
    }
