"""What the apply engine needs from a cluster, and the one implementation over Helm and the API.

The engine only sees ``ReleaseOps``, so the same code drives Helm against a real cluster,
Helm's client-side dry run, or the in-memory release store the tests use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lightkube import Client

from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.objects import parse_objects
from helmdeck.errors import ClusterError
from helmdeck.helm import HelmReleases
from helmdeck.helm.releases import LiveRelease
from helmdeck.kube.client import delete_object, kube_client, kubeconfig_path
from helmdeck.kube.rollout import WORKLOAD_KINDS, Workload, wait_rolled_out

_HINT = "point KUBECONFIG at the cluster, or use --dry-run to go through Helm without one"
_DELETE_WAIT_S = 60.0

Report = Callable[[str], None]


@dataclass(frozen=True)
class Deployed:
    """The result of an install or upgrade: the release revision Helm created."""

    revision: int


class ReleaseOps(Protocol):
    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int,
               report: Report | None = None) -> Deployed:
        """Install the release, or upgrade it if it exists; never waits for readiness before
        post-install hooks (those would deadlock on openstack-helm charts). With ``wait``,
        returns once its workloads are rolled out (within ``timeout`` in all), telling
        ``report`` each change."""

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        """Remove the release; a release that is not there is not an error."""

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        """Delete one object so the next upgrade re-creates it (immutable fields changed);
        returns once it is gone."""

    def revisions(self) -> dict[tuple[str, str], int] | None:
        """Live revision of every release, keyed (release, namespace); None without a cluster."""

    def live(self, release: str, namespace: str, *, revision: int | None = None
             ) -> LiveRelease | None:
        """The release (at ``revision``, default the current one) as the cluster has it:
        values, manifest; None without a cluster or without that release or revision."""


def workloads(manifest: str, namespace: str) -> list[Workload]:
    """The Deployments, StatefulSets, DaemonSets and (non-hook) Jobs of a release manifest."""
    return [Workload(o.kind, o.namespace or namespace, o.name)
            for o in parse_objects({"manifest": manifest}, namespace)
            if o.kind in WORKLOAD_KINDS and not o.hook]


class HelmOps:
    """``ReleaseOps`` over Helm's actions, with the Kubernetes API for single objects and for
    waiting on workloads."""

    def __init__(self, helm: HelmReleases, client: Client | None = None) -> None:
        self.helm = helm
        self.client = client

    @property
    def dry_run(self) -> bool:
        return self.helm.dry_run

    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int,
               report: Report | None = None) -> Deployed:
        """Helm waits for the hooks only (``helm.releases.WAIT``); the rollout wait comes
        after, once the hooks the workloads wait on are done, within the same timeout."""
        start = time.monotonic()
        applied = self.helm.deploy(release.chart_dir, release.release, release.namespace,
                                   release.values, timeout=timeout)
        if report is not None:
            report(f"Helm {'dry run' if self.dry_run else 'revision'} {applied.revision} "
                   "done, hooks complete")
        if wait and self.client is not None and not self.dry_run:
            found = workloads(applied.manifest, release.namespace)
            if found:
                left = max(1.0, timeout - (time.monotonic() - start))
                wait_rolled_out(self.client, found, timeout=left, report=report,
                                within=f"within the chart's timeout ({timeout}s)")
        return Deployed(applied.revision)

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        self.helm.uninstall(release, namespace, timeout=timeout)

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        if self.client is not None:
            delete_object(self.client, namespace, kind, name, wait=_DELETE_WAIT_S)

    def revisions(self) -> dict[tuple[str, str], int] | None:
        return self.helm.revisions()

    def live(self, release: str, namespace: str, *, revision: int | None = None
             ) -> LiveRelease | None:
        return self.helm.live(release, namespace, revision=revision)


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
