"""The Kubernetes API (lightkube) for what Helm does not do: delete one object, label nodes.

Also the one place that decides whether there is a cluster at all, so every command says the
same one line when there is none instead of a connection traceback.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import httpx
from lightkube import Client, KubeConfig
from lightkube.core.exceptions import ApiError, ConfigError
from lightkube.types import CascadeType

from helmdeck.errors import ClusterError

# Kinds whose objects helmdeck may delete before an upgrade, and their lightkube module.
_KIND_MODULES = {
    "Job": "batch_v1",
    "CronJob": "batch_v1",
    "Deployment": "apps_v1",
    "StatefulSet": "apps_v1",
    "DaemonSet": "apps_v1",
    "Service": "core_v1",
    "PersistentVolumeClaim": "core_v1",
    "ConfigMap": "core_v1",
    "Secret": "core_v1",
    "Pod": "core_v1",
}
RECREATABLE_KINDS = frozenset(_KIND_MODULES)

# The exceptions lightkube raises when the API server cannot be reached at all.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError, OSError)


def kubeconfig_path() -> str | None:
    """The kubeconfig kubectl would use, or None (in-cluster needs none).

    A ``KUBECONFIG`` naming only missing files is an error, not a fallback: the operator
    pointed at a cluster and must hear that the file is not there.
    """
    env = os.environ.get("KUBECONFIG", "")
    candidates = [c for c in env.split(os.pathsep) if c]
    for candidate in candidates:
        if Path(candidate).expanduser().is_file():
            return str(Path(candidate).expanduser())
    if candidates:
        raise ClusterError(
            f"KUBECONFIG={env}: no such file; point KUBECONFIG at the cluster's kubeconfig"
        )
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


NO_CLUSTER = "no Kubernetes cluster configured (KUBECONFIG unset and no ~/.kube/config)"


def kube_client() -> Client:
    """A lightkube client for the configured cluster; ClusterError when there is none."""
    path = kubeconfig_path()
    if path is None and not _in_cluster():
        raise ClusterError(NO_CLUSTER)
    try:
        config = KubeConfig.from_file(path) if path else KubeConfig.from_service_account()
        return Client(config=config, field_manager="helmdeck")
    except (ConfigError, OSError) as exc:
        raise ClusterError(f"{path or 'in-cluster config'}: unusable kubeconfig: {exc}") from None


def delete_object(client: Client, namespace: str, kind: str, name: str, *,
                  wait: float = 0.0) -> None:
    """Delete one object and its dependents (a Job's pods); already gone is fine.

    With ``wait``, return only once the object is gone (finalizers done), so that the
    upgrade that follows creates a new one instead of patching the one being deleted.
    """
    module = _KIND_MODULES.get(kind)
    if module is None:
        raise ClusterError(
            f"recreate_on_change: kind {kind} is not supported; use one of "
            f"{', '.join(sorted(_KIND_MODULES))}"
        )
    resource = getattr(importlib.import_module(f"lightkube.resources.{module}"), kind)
    try:
        client.delete(resource, name, namespace=namespace, cascade=CascadeType.BACKGROUND)
    except ApiError as exc:
        if exc.status.code != 404:
            raise ClusterError(f"{kind}/{name} ({namespace}): cannot delete it: "
                               f"{exc.status.message}") from None
        return
    deadline = time.monotonic() + wait
    while wait:
        try:
            client.get(resource, name, namespace=namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                return
            raise
        if time.monotonic() >= deadline:
            raise ClusterError(f"{kind}/{name} ({namespace}): still there {wait:.0f}s after "
                               "it was deleted (a finalizer holds it?); see kubectl describe")
        time.sleep(0.2)
