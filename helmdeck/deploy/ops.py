"""What the apply engine needs from a cluster, and the one implementation over Helm and the API.

The engine only sees ``ReleaseOps``, so the same code drives Helm against a real cluster,
Helm's client-side dry run, or the in-memory release store the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lightkube import Client

from helmdeck.deploy.desired import DesiredRelease
from helmdeck.errors import ClusterError
from helmdeck.helm import HelmReleases
from helmdeck.kube.client import delete_object, kube_client, kubeconfig_path

_HINT = "point KUBECONFIG at the cluster, or use --dry-run to go through Helm without one"


@dataclass(frozen=True)
class Deployed:
    """The result of an install or upgrade: the release revision Helm created."""

    revision: int


class ReleaseOps(Protocol):
    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int) -> Deployed:
        """Install the release, or upgrade it if it exists; never waits for readiness before
        post-install hooks (those would deadlock on openstack-helm charts)."""

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        """Remove the release; a release that is not there is not an error."""

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        """Delete one object so the next upgrade re-creates it (immutable fields changed)."""

    def revisions(self) -> dict[tuple[str, str], int] | None:
        """Live revision of every release, keyed (release, namespace); None without a cluster."""


class HelmOps:
    """``ReleaseOps`` over Helm's actions, with the Kubernetes API for single objects."""

    def __init__(self, helm: HelmReleases, client: Client | None = None) -> None:
        self.helm = helm
        self.client = client

    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int) -> Deployed:
        """``wait`` is the application's choice for later charts; at Helm level every release
        waits for its hooks only, never for readiness before its hooks."""
        revision = self.helm.deploy(release.chart_dir, release.release, release.namespace,
                                    release.values, timeout=timeout)
        return Deployed(revision)

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        self.helm.uninstall(release, namespace, timeout=timeout)

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        if self.client is not None:
            delete_object(self.client, namespace, kind, name)

    def revisions(self) -> dict[tuple[str, str], int] | None:
        return self.helm.revisions()


def connect(*, dry_run: bool) -> HelmOps:
    """Release operations for ``apply``/``remove``: Helm's dry run, or a reachable cluster."""
    if dry_run:
        return HelmOps(HelmReleases(dry_run=True))
    try:
        return _cluster_ops()
    except ClusterError as exc:
        raise ClusterError(f"{exc}; {_HINT}") from None


def probe() -> tuple[HelmOps | None, str]:
    """For ``plan``: the cluster's release operations if one answers, and a note saying so."""
    try:
        ops = _cluster_ops()
    except ClusterError as exc:
        return None, f"no cluster reachable ({exc}); compared with the recorded state only"
    return ops, "cluster reachable: live release revisions compared too"


def _cluster_ops() -> HelmOps:
    """The configured cluster's release operations, once it has answered; else ClusterError."""
    client = kube_client()
    helm = HelmReleases(kubeconfig=kubeconfig_path())
    helm.check_reachable()
    return HelmOps(helm, client)
