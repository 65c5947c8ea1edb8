"""What openstack-helm's kubernetes-entrypoint init containers wait for, parsed.

helm-toolkit's ``kubernetes_entrypoint_init_container`` snippet renders a chart's
``dependencies.static``/``dynamic`` as ``DEPENDENCY_*`` environment variables of an init
container; kubernetes-entrypoint (airshipit/kubernetes-entrypoint, ``util/env``) reads them:
``ns:name`` or ``name`` (the pod's namespace) lists separated by commas, JSON lists for pods,
jobs and custom resources. A variable it cannot parse is logged and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.verify.workloads import Workload

PREFIX = "DEPENDENCY_"


@dataclass(frozen=True)
class PodDependency:
    namespace: str
    labels: tuple[tuple[str, str], ...]
    same_node: bool

    def text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels)


@dataclass
class Waits:
    """Everything one pod template's init containers wait for."""

    services: list[tuple[str, str]]
    jobs: list[tuple[str, str, dict[str, str] | None]]  # namespace, name, or labels
    daemonsets: list[tuple[str, str]]
    containers: list[str]
    pods: list[PodDependency]
    custom: list[dict[str, Any]]
    malformed: list[str]


def _split(value: str, namespace: str) -> list[tuple[str, str]] | None:
    """``SplitEnvToDeps``: ``ns:name`` or ``name`` (pod namespace); None if malformed."""
    out = []
    for item in value.split(","):
        if ":" in item:
            parts = item.split(":")
            if len(parts) != 2 or not parts[0]:
                return None
            out.append((parts[0], parts[1]))
        else:
            out.append((namespace, item))
    return out


def _json_list(value: str) -> list[Any] | None:
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, list) and all(isinstance(d, dict) for d in doc) else None


def _str_map(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for e in container.get("env") or ():
        if isinstance(e, Mapping) and str(e.get("name", "")).startswith(PREFIX):
            value = e.get("value")
            out[str(e["name"])] = "" if value is None else str(value)
    return out


def waits_of(w: Workload) -> Waits:
    """The parsed ``DEPENDENCY_*`` variables of every init container of ``w``."""
    ns = w.namespace
    waits = Waits([], [], [], [], [], [], [])
    for c in w.spec.get("initContainers") or ():
        if not isinstance(c, Mapping):
            continue
        env = _env(c)
        for var, parse, into in (("SERVICE", _split, waits.services),
                                 ("DAEMONSET", _split, waits.daemonsets)):
            value = env.get(PREFIX + var, "")
            if value:
                found = parse(value, ns)
                if found is None:
                    waits.malformed.append(f"{PREFIX}{var}={value}")
                else:
                    into.extend(found)
        _jobs(env, ns, waits)
        waits.containers.extend(n for n in env.get(PREFIX + "CONTAINER", "").split(",") if n)
        _pods(env, ns, waits)
        custom = env.get(PREFIX + "CUSTOM_RESOURCE", "")
        if custom:
            parsed = _json_list(custom)
            if parsed is None:
                waits.malformed.append(f"{PREFIX}CUSTOM_RESOURCE={custom}")
            else:
                waits.custom.extend(parsed)
    return waits


def _jobs(env: Mapping[str, str], ns: str, waits: Waits) -> None:
    """``SplitJobEnvToDeps``: the JSON form wins over the plain one when both are set."""
    raw_json, raw = env.get(PREFIX + "JOBS_JSON", ""), env.get(PREFIX + "JOBS", "")
    if raw_json:
        parsed = _json_list(raw_json)
        if parsed is None:
            waits.malformed.append(f"{PREFIX}JOBS_JSON={raw_json}")
            return
        for d in parsed:
            name, labels = str(d.get("name") or ""), _str_map(d.get("labels"))
            if name and labels is not None:
                waits.malformed.append(f"{PREFIX}JOBS_JSON: both name and labels in {d}")
                continue
            waits.jobs.append((str(d.get("namespace") or ns), name, labels))
    elif raw:
        found = _split(raw, ns)
        if found is None:
            waits.malformed.append(f"{PREFIX}JOBS={raw}")
            return
        waits.jobs.extend((n, name, None) for n, name in found)


def _pods(env: Mapping[str, str], ns: str, waits: Waits) -> None:
    raw = env.get(PREFIX + "POD_JSON", "")
    if not raw:
        return
    parsed = _json_list(raw)
    if parsed is None:
        waits.malformed.append(f"{PREFIX}POD_JSON={raw}")
        return
    for d in parsed:
        labels = _str_map(d.get("labels")) or {}
        waits.pods.append(PodDependency(str(d.get("namespace") or ns),
                                        tuple(sorted(labels.items())),
                                        d.get("requireSameNode") is True))
