"""Manifest builders for the verify tests: small, valid objects with only what a test varies."""

from __future__ import annotations

from typing import Any

from helmdeck.verify import Node, Rendered, Taint

NS = "openstack"


def node(name: str, labels: dict[str, str] | None = None, *taints: Taint) -> Node:
    return Node(name, {"kubernetes.io/hostname": name, **(labels or {})}, taints)


def release(chart: str, *docs: dict[str, Any], name: str | None = None,
            namespace: str = NS) -> Rendered:
    return Rendered(chart, name or chart, namespace, tuple(docs))


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


def pod_spec(**spec: Any) -> dict[str, Any]:
    spec.setdefault("containers", [{"name": "main", "image": "img:1"}])
    return spec


def template(labels: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": labels}, "spec": pod_spec(**spec)}


def deployment(name: str, replicas: int = 1, labels: dict[str, str] | None = None,
               annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    labels = labels or {"app": name}
    m = meta(name, **({"annotations": annotations} if annotations else {}))
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": template(labels, spec)}}


def statefulset(name: str, replicas: int = 1, labels: dict[str, str] | None = None,
                policy: str | None = None, claims: list[dict[str, Any]] | None = None,
                **spec: Any) -> dict[str, Any]:
    labels = labels or {"app": name}
    body: dict[str, Any] = {"replicas": replicas, "serviceName": name,
                            "selector": {"matchLabels": labels},
                            "template": template(labels, spec)}
    if policy:
        body["podManagementPolicy"] = policy
    if claims:
        body["volumeClaimTemplates"] = claims
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name),
            "spec": body}


def daemonset(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(name),
            "spec": {"selector": {"matchLabels": labels}, "template": template(labels, spec)}}


def job(name: str, labels: dict[str, str] | None = None, hook: str | None = None,
        job_spec: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    labels = labels or {"job": name}
    m = meta(name, labels=labels)
    if hook:
        m["annotations"] = {"helm.sh/hook": hook}
    spec.setdefault("restartPolicy", "OnFailure")
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": m,
            "spec": {**(job_spec or {}), "template": template(labels, spec)}}


def cronjob(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    labels = labels or {"cron": name}
    spec.setdefault("restartPolicy", "OnFailure")
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(name),
            "spec": {"schedule": "* * * * *", "jobTemplate": {
                "metadata": {"labels": labels}, "spec": {"template": template(labels, spec)}}}}


def pod(name: str, labels: dict[str, str] | None = None, hook: str | None = None,
        **spec: Any) -> dict[str, Any]:
    m = meta(name, labels=labels or {"pod": name})
    if hook:
        m["annotations"] = {"helm.sh/hook": hook}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": pod_spec(**spec)}


def service(name: str, selector: dict[str, str] | None, ports: list[dict[str, Any]] | None
            = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": ports or [{"name": "http", "port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": spec}


def pvc(name: str, modes: list[str], storage_class: str | None = "general",
        annotations: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": modes, "resources": {"requests": {"storage": "1Gi"}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    m = meta(name, **({"annotations": annotations} if annotations else {}))
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": m, "spec": spec}


def simple(kind: str, name: str, hook: str | None = None) -> dict[str, Any]:
    m = meta(name)
    if hook:
        m["annotations"] = {"helm.sh/hook": hook}
    return {"apiVersion": "v1", "kind": kind, "metadata": m}


def anti(key: str, labels: dict[str, str], required: bool = True, **term: Any) -> dict[str, Any]:
    body = {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **term}
    if required:
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [body]}}
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": body}]}}


def entrypoint(**env: str) -> dict[str, Any]:
    """A kubernetes-entrypoint init container with DEPENDENCY_<name> variables."""
    return {"name": "init", "image": "entrypoint:1",
            "env": [{"name": f"DEPENDENCY_{k}", "value": v} for k, v in env.items()]}
