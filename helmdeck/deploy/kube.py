"""The Kubernetes API (lightkube) for what Helm does not do: delete one object, label nodes.

Also the one place that decides whether there is a cluster at all, so every command says the
same one line when there is none instead of a connection traceback.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helmdeck.deploy.ops import ClusterError

if TYPE_CHECKING:
    from helmdeck.deploy.helm import HelmReleases

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

NO_CLUSTER = "no Kubernetes cluster configured (KUBECONFIG unset and no ~/.kube/config)"
_HINT = "point KUBECONFIG at the cluster, or use --dry-run to go through Helm without one"


def kubeconfig_path() -> str | None:
    """The kubeconfig kubectl would use, or None (in-cluster needs none)."""
    for candidate in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if candidate and Path(candidate).expanduser().is_file():
            return str(Path(candidate).expanduser())
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def kube_client() -> Any:
    """A lightkube client for the configured cluster; ClusterError when there is none."""
    path = kubeconfig_path()
    if path is None and not _in_cluster():
        raise ClusterError(NO_CLUSTER)
    from lightkube import Client, KubeConfig
    from lightkube.core.exceptions import ConfigError

    try:
        config = KubeConfig.from_file(path) if path else KubeConfig.from_service_account()
        return Client(config=config, field_manager="helmdeck")
    except (ConfigError, OSError) as exc:
        raise ClusterError(f"{path or 'in-cluster config'}: unusable kubeconfig: {exc}") from None


def delete_object(client: Any, namespace: str, kind: str, name: str) -> None:
    """Delete one object and its dependents (a Job's pods); already gone is fine."""
    from lightkube.core.exceptions import ApiError
    from lightkube.types import CascadeType

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
            raise


def connect(*, dry_run: bool) -> HelmReleases:
    """Release operations for ``apply``/``remove``: Helm's dry run, or a reachable cluster."""
    if dry_run:
        from helmdeck.deploy.helm import HelmReleases

        return HelmReleases(dry_run=True)
    try:
        return _cluster_releases()
    except ClusterError as exc:
        raise ClusterError(f"{exc}; {_HINT}") from None


def probe() -> tuple[HelmReleases | None, str]:
    """For ``plan``: the cluster's release operations if one answers, and a note saying so."""
    try:
        ops = _cluster_releases()
    except ClusterError as exc:
        return None, f"no cluster reachable ({exc}); compared with the recorded state only"
    return ops, "cluster reachable: live release revisions compared too"


def _cluster_releases() -> HelmReleases:
    """The configured cluster's release operations, once it has answered; else ClusterError.

    Helm's engine is imported only once there is a cluster to ask: a plan with nothing to
    render never needs it.
    """
    from functools import partial

    client = kube_client()
    from helmdeck.deploy.helm import HelmReleases

    ops = HelmReleases(kubeconfig=kubeconfig_path(), delete_object=partial(delete_object, client))
    ops.check_reachable()
    return ops


def connection_errors() -> tuple[type[BaseException], ...]:
    """The exceptions lightkube raises when the API server cannot be reached at all."""
    from lightkube.core import generic_client

    transport: type[BaseException] = generic_client.httpx.TransportError  # type: ignore[attr-defined]
    return (transport, OSError)
