"""``helmdeck patches attach``: the overrides that mount a patches ConfigMap into pods.

openstack-helm charts take extra mounts per pod and container in
``pod.mounts.<pod>.<container>.{volumes,volumeMounts}``. Those are
lists, and Helm replaces lists across value files, so the overrides carry the chart's
current entries plus ours: adding the patches never drops a mount someone else set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.errors import UserError

MOUNT_PATH = "/var/lib/helmdeck/patches"
VOLUME = "helmdeck-patches"
NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
# Pods named like this are one-shot jobs or tests, not the service's long-running pods.
_JOB = re.compile(
    r".*_(db_init|db_sync|db_drop|db_purge|tests|bootstrap|trusts|cleaner|purge_deleted|"
    r"setup|rotate|cleanup|manage|usage_audit|cron)$"
)


def _mounts(values: Mapping[str, Any]) -> Mapping[str, Any]:
    pod = values.get("pod")
    mounts = pod.get("mounts") if isinstance(pod, Mapping) else None
    return mounts if isinstance(mounts, Mapping) else {}


def main_pods(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(pod, container)`` of the chart's long-running pods that take extra mounts."""
    found = []
    for pod, containers in sorted(_mounts(values).items()):
        if _JOB.fullmatch(pod) or not isinstance(containers, Mapping):
            continue
        for container, spec in sorted(containers.items()):
            if container != "init_container" and not container.startswith("init_") and (
                isinstance(spec, Mapping) or spec is None
            ):
                found.append((pod, container))
    return found


def _without(items: Any, name: str) -> list[Any]:
    return [i for i in items or [] if not (isinstance(i, Mapping) and i.get("name") == name)]


def attach_overrides(
    chart: str, values: Mapping[str, Any], configmap: str, pods: Iterable[str] = ()
) -> dict[str, Any]:
    """Overrides mounting ``configmap`` read-only at ``MOUNT_PATH`` in the chart's pods.

    ``values`` are the chart's effective values; ``pods`` limits it to those pod keys
    (default: every long-running pod).
    """
    if not NAME.fullmatch(configmap):
        raise UserError(f"--configmap {configmap}: not a valid ConfigMap name (lower-case "
                        "letters, digits, '-' and '.')")
    available = main_pods(values) if not pods else [
        (p, c) for p in pods for c, _ in sorted((_mounts(values).get(p) or {}).items())
        if c != "init_container"
    ]
    wanted = set(pods)
    unknown = sorted(wanted - {p for p, _ in available})
    if unknown:
        known = ", ".join(sorted({p for p, _ in main_pods(values)})) or "none"
        raise UserError(f"{chart}: --pod {unknown[0]}: no pod.mounts.{unknown[0]} in the "
                        f"chart's values; pods with mounts: {known}")
    if not available:
        raise UserError(f"{chart}: the chart has no pod.mounts.<pod>.<container> to attach "
                        "patches to")
    volume = {"name": VOLUME, "configMap": {"name": configmap, "defaultMode": 0o444}}
    mount = {"name": VOLUME, "mountPath": MOUNT_PATH, "readOnly": True}
    out: dict[str, Any] = {}
    for pod, container in available:
        spec = (_mounts(values).get(pod) or {}).get(container) or {}
        out.setdefault(pod, {})[container] = {
            "volumes": [*_without(spec.get("volumes"), VOLUME), volume],
            "volumeMounts": [*_without(spec.get("volumeMounts"), VOLUME), mount],
        }
    return {"pod": {"mounts": out}}
