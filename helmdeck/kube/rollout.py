"""Waiting until a release's workloads are rolled out, as ``kubectl rollout status`` judges.

Helm itself only waits for hook Jobs (see ``helm.releases.WAIT``: openstack-helm workloads
wait for their post-install hooks, so a readiness wait inside Helm would deadlock). Once
Helm returns, the hooks are done and every workload can converge; this module reads the
Deployments, StatefulSets, DaemonSets and plain Jobs of the release until each is rolled out
or complete, reporting each change of state, bounded by a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.apps_v1 import DaemonSet, Deployment, StatefulSet
from lightkube.resources.batch_v1 import Job

from helmdeck.errors import ClusterError

_RESOURCES: dict[str, Any] = {
    "Deployment": Deployment,
    "StatefulSet": StatefulSet,
    "DaemonSet": DaemonSet,
    "Job": Job,
}
WORKLOAD_KINDS = frozenset(_RESOURCES)
_POLL_FIRST_S = 0.2
_POLL_MAX_S = 2.0


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Status:
    """Where one workload stands: ``done`` rolled out, ``failed`` will never be, else why not."""

    done: bool
    detail: str
    failed: bool = False


class RolloutFailed(ClusterError):
    """A workload of the release failed or did not roll out in time."""


def _generation_seen(obj: Any) -> bool:
    gen = obj.metadata.generation if obj.metadata else None
    seen = obj.status.observedGeneration if obj.status else None
    return gen is None or (seen is not None and seen >= gen)


def _conditions(obj: Any) -> dict[str, Any]:
    return {c.type: c for c in ((obj.status and obj.status.conditions) or [])}


def deployment_status(d: Any) -> Status:
    if not _generation_seen(d):
        return Status(False, "waiting for the controller to see the new spec")
    progressing = _conditions(d).get("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        return Status(False, f"progress deadline exceeded: {progressing.message}", failed=True)
    want = d.spec.replicas if d.spec and d.spec.replicas is not None else 1
    s = d.status
    updated = (s.updatedReplicas or 0) if s else 0
    total = (s.replicas or 0) if s else 0
    available = (s.availableReplicas or 0) if s else 0
    if updated < want:
        return Status(False, f"{updated} of {want} replicas updated")
    if total > updated:
        return Status(False, f"{total - updated} old replicas pending termination")
    if available < updated:
        return Status(False, f"{available} of {updated} updated replicas available")
    return Status(True, f"{available} of {want} replicas available")


def statefulset_status(st: Any) -> Status:
    if not _generation_seen(st):
        return Status(False, "waiting for the controller to see the new spec")
    want = st.spec.replicas if st.spec and st.spec.replicas is not None else 1
    s = st.status
    ready = (s.readyReplicas or 0) if s else 0
    if ready < want:
        return Status(False, f"{ready} of {want} replicas ready")
    strategy = st.spec.updateStrategy if st.spec else None
    if strategy is not None and strategy.type == "OnDelete":
        return Status(True, f"{ready} of {want} replicas ready")
    partition = 0
    if strategy is not None and strategy.rollingUpdate is not None:
        partition = strategy.rollingUpdate.partition or 0
    updated = (s.updatedReplicas or 0) if s else 0
    if partition and updated < want - partition:
        return Status(False, f"{updated} of {want - partition} replicas updated")
    if not partition and s is not None and s.updateRevision != s.currentRevision:
        return Status(False, f"{updated} of {want} replicas updated")
    return Status(True, f"{ready} of {want} replicas ready")


def daemonset_status(ds: Any) -> Status:
    if not _generation_seen(ds):
        return Status(False, "waiting for the controller to see the new spec")
    s = ds.status
    want = s.desiredNumberScheduled if s else 0
    strategy = ds.spec.updateStrategy if ds.spec else None
    if strategy is not None and strategy.type == "OnDelete":
        return Status(True, f"{want} pods scheduled (OnDelete)")
    updated = (s.updatedNumberScheduled or 0) if s else 0
    available = (s.numberAvailable or 0) if s else 0
    if updated < want:
        return Status(False, f"{updated} of {want} pods updated")
    if available < want:
        return Status(False, f"{available} of {want} pods available")
    return Status(True, f"{available} of {want} pods available")


def job_status(job: Any) -> Status:
    cond = _conditions(job)
    failed = cond.get("Failed")
    if failed is not None and failed.status == "True":
        return Status(False, f"failed: {failed.reason}: {failed.message or ''}".rstrip(": "),
                      failed=True)
    complete = cond.get("Complete")
    if complete is not None and complete.status == "True":
        return Status(True, "complete")
    s = job.status
    active = (s.active or 0) if s else 0
    return Status(False, f"not complete yet ({active} pods active)")


_STATUS: dict[str, Callable[[Any], Status]] = {
    "Deployment": deployment_status,
    "StatefulSet": statefulset_status,
    "DaemonSet": daemonset_status,
    "Job": job_status,
}


def read_status(client: Client, w: Workload) -> Status:
    try:
        obj = client.get(_RESOURCES[w.kind], w.name, namespace=w.namespace)
    except ApiError as exc:
        if exc.status.code == 404:
            return Status(False, "not created yet")
        raise ClusterError(f"{w.key}: cannot read it: {exc.status.message}") from None
    return _STATUS[w.kind](obj)


def wait_rolled_out(
    client: Client,
    workloads: Iterable[Workload],
    *,
    timeout: float,
    report: Callable[[str], None] | None = None,
    within: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once every workload is rolled out; RolloutFailed (naming them) when one fails
    or ``timeout`` seconds pass. ``report`` hears one line per change of a workload's state;
    ``within`` words the timeout in the error (default: after N s).
    """
    pending = {w.key: w for w in workloads}
    deadline = clock() + timeout
    last: dict[str, str] = {}
    delay = _POLL_FIRST_S
    while pending:
        for key, w in list(pending.items()):
            status = read_status(client, w)
            if status.failed:
                raise RolloutFailed(f"{key}: {status.detail}")
            if status.done:
                del pending[key]
                if report is not None:
                    report(f"{key} complete" if w.kind == "Job"
                           else f"{key} rolled out ({status.detail})")
            elif last.get(key) != status.detail:
                last[key] = status.detail
                if report is not None:
                    report(f"{key}: {status.detail}")
        if not pending:
            return
        if clock() >= deadline:
            waiting = sorted(pending)
            shown = ", ".join(f"{k} ({last.get(k, 'not rolled out')})" for k in waiting[:3])
            more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
            raise RolloutFailed(
                f"not rolled out {within or f'after {timeout:.0f}s'}: {shown}{more}; see "
                "kubectl describe "
                "for why its pods are not ready, or raise the chart's timeout in the "
                "application file"
            )
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 1.5, _POLL_MAX_S)
