"""What the apply engine needs from a cluster, as a protocol.

The engine only sees ``ReleaseOps``, so the same code drives Helm against a real cluster,
Helm's client-side dry run, or the in-memory release store the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from helmdeck.errors import UserError

if TYPE_CHECKING:
    from helmdeck.overrides.service import DesiredRelease


class ClusterError(UserError):
    """No Kubernetes cluster to act on (no kubeconfig, or the API server does not answer)."""


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
