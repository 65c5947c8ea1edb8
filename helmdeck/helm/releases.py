"""Helm releases on a cluster (or Helm's client-side dry run): install, upgrade, uninstall, list.

``dry_run`` uses Helm's client-side dry run over in-memory release storage: the full install
path (chart load, values, render, hook ordering, manifest validation) with no cluster at all.
Configs are created per namespace on first use and reused; Helm allows concurrent actions on
different releases of one config.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python

from helmdeck.errors import ClusterError
from helmdeck.helm.charts import load_chart
from helmdeck.helm.errors import helm_errors, one_line

# Helm v4's "hookOnly" waits for hook jobs only. Anything stronger ("watcher", "legacy") waits
# for workloads to be ready BEFORE post-install hooks run, while openstack-helm's workloads
# wait for those hooks (db-sync, ks-user...): the install would deadlock until its timeout.
WAIT = "hookOnly"


@dataclass(frozen=True)
class Applied:
    """What an install or upgrade produced: the new revision and its (non-hook) manifest."""

    revision: int
    manifest: str


@dataclass(frozen=True)
class LiveRelease:
    """A release as the cluster's Helm storage has it (``helm status`` + ``helm get values``).

    ``values`` are the values it was given (what helmdeck passes are the combined overrides);
    ``manifest`` excludes hooks, as Helm stores them apart.
    """

    name: str
    namespace: str
    revision: int
    status: str
    chart_version: str
    values: dict[str, Any]
    manifest: str


def _revision(result: dict[str, Any]) -> int:
    return int(result.get("revision") or result.get("version") or 1)


class HelmReleases:
    """Install, upgrade, uninstall and read releases through Helm's own actions."""

    def __init__(self, *, dry_run: bool = False, kubeconfig: str | None = None) -> None:
        self.dry_run = dry_run
        self._kubeconfig = kubeconfig
        self._configs: dict[str, helm_python.Config] = {}
        self._lock = threading.Lock()

    def _config(self, namespace: str) -> helm_python.Config:
        with self._lock:
            cfg = self._configs.get(namespace)
            if cfg is None:
                if self.dry_run:
                    cfg = helm_python.Config(namespace=namespace, storage_driver="memory")
                else:
                    cfg = helm_python.Config(namespace=namespace,
                                             kubeconfig_path=self._kubeconfig)
                self._configs[namespace] = cfg
            return cfg

    def check_reachable(self) -> None:
        """Raise ClusterError (one line) unless the API server answers."""
        try:
            self._config("default").check_reachable()
        except helm_python.HelmError as exc:
            raise ClusterError(f"Kubernetes cluster unreachable: {one_line(exc)}") from None

    def deploy(self, chart_dir: Path, release: str, namespace: str, values: dict[str, Any],
               *, timeout: int) -> Applied:
        """Install the release, or upgrade it when Helm already has it; the new revision.

        Every release waits for its hooks only (see ``WAIT``), never for readiness before
        its hooks.
        """
        cfg = self._config(namespace)
        chart = load_chart(chart_dir)
        with helm_errors(f"{release} ({namespace})"):
            if self.dry_run:
                result = cfg.install(chart, release, values, namespace=namespace,
                                     timeout=timeout, wait=WAIT, dry_run="client")
            elif self._exists(cfg, release):
                # reset_values: the values given are the release's whole combined overrides;
                # without it Helm reuses the previous revision's when they are empty.
                result = cfg.upgrade(chart, release, values, namespace=namespace,
                                     timeout=timeout, wait=WAIT, reset_values=True)
            else:
                result = cfg.install(chart, release, values, namespace=namespace,
                                     timeout=timeout, wait=WAIT, create_namespace=True)
        return Applied(_revision(result), str(result.get("manifest") or ""))

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        if self.dry_run:
            return
        with helm_errors(f"{release} ({namespace}): uninstall failed"):
            self._config(namespace).uninstall(release, timeout=timeout, ignore_not_found=True)

    def revisions(self) -> dict[tuple[str, str], int] | None:
        """Every release's current revision in one Helm call; None on a dry run."""
        if self.dry_run:
            return None
        try:
            found = self._config("default").list(all_states=True, all_namespaces=True)
        except helm_python.HelmError as exc:
            raise ClusterError(f"cannot list Helm releases: {one_line(exc)}") from None
        return {(r["name"], r["namespace"]): int(r.get("revision") or r.get("version") or 0)
                for r in found}

    def live(self, release: str, namespace: str, *, revision: int | None = None
             ) -> LiveRelease | None:
        """The release's current revision (or ``revision``) in the cluster, with its values
        and manifest; None when Helm has no such release or revision (or on a dry run)."""
        if self.dry_run:
            return None
        cfg = self._config(namespace)
        try:
            status = cfg.status(release, revision=revision)
        except helm_python.HelmNotFoundError:
            return None
        except helm_python.HelmError as exc:
            raise ClusterError(f"{release} ({namespace}): cannot read the release: "
                               f"{one_line(exc)}") from None
        revision = _revision(status)
        with helm_errors(f"{release} ({namespace}): cannot read its values"):
            values = cfg.get_values(release, revision=revision)
        return LiveRelease(
            name=release, namespace=namespace, revision=revision,
            status=str(status.get("status") or ""),
            chart_version=str(status.get("chart_version") or ""),
            values=dict(values or {}), manifest=str(status.get("manifest") or ""),
        )

    @staticmethod
    def _exists(cfg: helm_python.Config, name: str) -> bool:
        try:
            cfg.history(name, max_revisions=1)
        except helm_python.HelmNotFoundError:
            return False
        return True
