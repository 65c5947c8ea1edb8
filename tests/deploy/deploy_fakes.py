"""An in-memory release store standing in for a cluster, implementing ``ReleaseOps``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.ops import Deployed


@dataclass
class MemoryReleases:
    """Releases kept in a dict; every call is logged, in order, for the tests to inspect.

    ``fail`` names charts whose deploy raises; ``barrier`` (optional) makes every deploy wait
    for its peers, which only completes when a level's releases really run at the same time.
    """

    fail: set[str] = field(default_factory=set)
    barrier: threading.Barrier | None = None
    releases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    cluster: bool = False  # answers revisions() like a reachable cluster
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _log(self, *call: str) -> None:
        with self._lock:
            self.calls.append(call)

    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int,
               report: Callable[[str], None] | None = None) -> Deployed:
        self._log("start", release.chart)
        if self.barrier is not None:
            self.barrier.wait(timeout=30)
        if release.chart in self.fail:
            self._log("fail", release.chart)
            raise RuntimeError(f"{release.chart}: hook job failed")
        key = (release.release, release.namespace)
        with self._lock:
            old = self.releases.get(key)
            revision = old["revision"] + 1 if old else 1
            self.releases[key] = {"revision": revision, "values": release.values,
                                  "version": release.chart_version}
        self._log("done", release.chart)
        if report is not None:
            report(f"revision {revision} deployed")
        return Deployed(revision)

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        self._log("uninstall", release)
        with self._lock:
            self.releases.pop((release, namespace), None)

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        self._log("delete", kind, name)

    def revisions(self) -> dict[tuple[str, str], int] | None:
        self._log("revisions")
        if not self.cluster:
            return None
        with self._lock:
            return {k: v["revision"] for k, v in self.releases.items()}

    def live(self, release: str, namespace: str, *, revision: int | None = None) -> None:
        return None

    def of(self, kind: str) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] == kind]
