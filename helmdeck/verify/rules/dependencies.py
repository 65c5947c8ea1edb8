"""Dependency rules: what openstack-helm's init containers wait for must be able to happen.

helm-toolkit's ``kubernetes_entrypoint_init_container`` snippet renders a chart's
``dependencies.static``/``dynamic`` as environment variables of an init container running
kubernetes-entrypoint, which blocks the pod until each is met (airshipit/
kubernetes-entrypoint, ``util/env`` and ``dependencies/*``): ``DEPENDENCY_SERVICE``
``ns:name,...`` (the Service has ready endpoints), ``DEPENDENCY_JOBS`` ``name,...`` or
``DEPENDENCY_JOBS_JSON`` ``[{"name"|"labels", "namespace"}]`` (the Jobs succeeded),
``DEPENDENCY_DAEMONSET`` ``name,...`` (the DaemonSet exists and its pod on this node, if it
has one, is ready), ``DEPENDENCY_CONTAINER`` (containers of this pod are ready),
``DEPENDENCY_POD_JSON`` ``[{"labels", "namespace", "requireSameNode"}]`` (a ready pod with
those labels exists, on this node when ``requireSameNode``), ``DEPENDENCY_CUSTOM_RESOURCE``
(the object exists with the given fields). A bare name is in the pod's namespace. A
dependency that never resolves keeps the pod in Init forever, with no event to explain it.

VFY101 dependency-service-missing (error)
    A Service waited for is in no release of the application (nor declared external), or
    selects no pod that can run, so it never gets an endpoint.
VFY102 dependency-job-missing (error)
    A Job waited for is in no release (a disabled chart's job, a job switched off).
VFY103 dependency-daemonset-missing (error)
    A DaemonSet waited for is in no release.
VFY104 dependency-pod-missing (error)
    No workload's pods carry the labels a pod dependency waits for, or none of them can run.
VFY105 dependency-same-node (error)
    A ``requireSameNode`` pod dependency cannot be met on a node the dependent runs on: no
    workload with those labels can run there (a DaemonSet counts on exactly its nodes).
    For a workload that may also land on a good node it is a warning.
VFY106 dependency-container-missing (error)
    A container waited for is not in the pod.
VFY107 dependency-custom-resource-missing (warning)
    A custom resource waited for is not rendered (it may come from an operator: declare it
    external).
VFY108 dependency-malformed (warning)
    A dependency variable kubernetes-entrypoint cannot parse: it ignores it, so the pod does
    not wait for what the chart meant.
VFY109 dependency-never-ready (error)
    Everything the pod waits for exists and can run, but some of it never becomes Ready
    itself (it waits, directly or through others, on something that is missing or stuck, or
    on a cycle): the pod stays in Init wherever it runs (a DaemonSet: on the nodes named).
    Computed by ``helmdeck.verify.readiness``; reported only where VFY101-106 do not
    already explain the workload.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from helmdeck.verify.context import Context, finding, warning
from helmdeck.verify.entrypoint import PodDependency, waits_of
from helmdeck.verify.model import Finding, Rule
from helmdeck.verify.readiness import Readiness
from helmdeck.verify.scheduling import selector_of
from helmdeck.verify.workloads import Workload

SERVICE = Rule("VFY101", "dependency-service-missing", "error",
               "A Service an init container waits for is missing or never gets an endpoint.")
JOB = Rule("VFY102", "dependency-job-missing", "error",
           "A Job an init container waits for is in no release.")
DAEMONSET = Rule("VFY103", "dependency-daemonset-missing", "error",
                 "A DaemonSet an init container waits for is in no release.")
POD = Rule("VFY104", "dependency-pod-missing", "error",
           "No pod that can run has the labels a pod dependency waits for.")
SAME_NODE = Rule("VFY105", "dependency-same-node", "error",
                 "A requireSameNode pod dependency cannot be met on a node the dependent "
                 "runs on.")
CONTAINER = Rule("VFY106", "dependency-container-missing", "error",
                 "A container an init container waits for is not in the pod.")
CUSTOM = Rule("VFY107", "dependency-custom-resource-missing", "warning",
              "A custom resource an init container waits for is not rendered.")
MALFORMED = Rule("VFY108", "dependency-malformed", "warning",
                 "kubernetes-entrypoint cannot parse a dependency variable and ignores it.")
NEVER_READY = Rule("VFY109", "dependency-never-ready", "error",
                   "A pod waits for a dependency that exists but never becomes Ready.")
RULES = (SERVICE, JOB, DAEMONSET, POD, SAME_NODE, CONTAINER, CUSTOM, MALFORMED, NEVER_READY)

_FIX_DISABLED = ("enable the chart that provides it, drop the dependency from the chart's "
                 "dependencies.static/dynamic values, or declare it external")


def _service(ctx: Context, w: Workload, ns: str, name: str) -> Iterator[Finding]:
    if ctx.options.external.has("services", ns, name):
        return
    found = [o for o in ctx.catalog.find("Service", ns, name) if o.installed]
    if not found:
        yield finding(SERVICE, w.obj, f"waits for Service {ns}/{name}, which no release of "
                      "the application renders", _FIX_DISABLED)
        return
    spec = found[0].doc.get("spec") or {}
    selector = spec.get("selector") if isinstance(spec, Mapping) else None
    if not isinstance(selector, Mapping) or not selector:
        return  # endpoints managed outside the selector
    sel = selector_of({str(k): str(v) for k, v in selector.items()})
    backends = [b for b in ctx.catalog.workloads_by_namespace.get(ns, ())
                if sel.matches(b.labels)]
    if backends and any(_runs(ctx, b) for b in backends):
        return
    why = ("selects no pod of any workload" if not backends else
           f"selects only pods that cannot run ({', '.join(sorted(b.key for b in backends))})")
    yield finding(SERVICE, w.obj, f"waits for Service {ns}/{name}, which {why}: it never "
                  "gets an endpoint", "make the workload behind the Service schedulable "
                  "(see its own findings), or fix the Service's selector")


def _runs(ctx: Context, w: Workload) -> bool:
    """Whether at least one pod of ``w`` gets created and scheduled."""
    p = ctx.prediction(w)
    return bool(p.hosts) and p.pods - p.pending - p.not_created > 0


def _job(ctx: Context, w: Workload, ns: str, name: str,
         labels: dict[str, str] | None) -> Iterator[Finding]:
    if name:
        if ctx.options.external.has("jobs", ns, name) or any(
                o.installed for o in ctx.catalog.find("Job", ns, name)):
            return
        what = f"Job {ns}/{name}"
    else:
        sel = selector_of(labels or {})
        for o in ctx.catalog.objects:
            if o.namespace == ns and o.installed and sel.matches(_job_labels(o.doc, o.kind)):
                return
        what = f"Jobs labelled {','.join(f'{k}={v}' for k, v in sorted((labels or {}).items()))}" \
            f" in {ns}"
    yield finding(JOB, w.obj, f"waits for {what}, which no release renders", _FIX_DISABLED)


def _job_labels(doc: Mapping[str, Any], kind: str) -> dict[str, str]:
    """The labels of a Job, or of the Jobs a CronJob creates."""
    if kind == "Job":
        meta = doc.get("metadata") or {}
    elif kind == "CronJob":
        meta = ((doc.get("spec") or {}).get("jobTemplate") or {}).get("metadata") or {}
    else:
        return {}
    labels = meta.get("labels") or {} if isinstance(meta, Mapping) else {}
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _pod(ctx: Context, w: Workload, dep: PodDependency) -> Iterator[Finding]:
    if ctx.options.external.has("pods", dep.namespace, dep.text()):
        return
    sel = selector_of(dict(dep.labels))
    providers = [p for p in ctx.catalog.workloads_by_namespace.get(dep.namespace, ())
                 if sel.matches(p.labels) and p.key != w.key]
    running = [p for p in providers if _runs(ctx, p)]
    if not running:
        why = "no workload's pods carry them" if not providers else (
            f"the workloads with them cannot run ({', '.join(sorted(p.key for p in providers))})")
        yield finding(POD, w.obj, f"waits for a pod labelled {dep.text()} in "
                      f"{dep.namespace}, but {why}", _FIX_DISABLED)
        return
    if not dep.same_node:
        return
    mine = ctx.prediction(w).hosts
    covered = frozenset().union(*(ctx.prediction(p).hosts for p in running))
    missing = mine - covered
    if not missing:
        return
    names = ", ".join(sorted(p.key for p in running))
    reason = (f"waits for a pod labelled {dep.text()} on its own node, but none of "
              f"{names} can run on {ctx.hosts_text(missing)}: its pods there stay in Init")
    fix = (f"make {names} run on those nodes too (tolerations, node labels), or keep this "
           "workload off them")
    if w.kind == "DaemonSet" or not (mine - missing):
        yield finding(SAME_NODE, w.obj, reason, fix, missing)
    else:
        yield warning(SAME_NODE, w.obj, reason + " if scheduled there", fix, missing)


def _custom(ctx: Context, w: Workload, cr: Mapping[str, Any]) -> Iterator[Finding]:
    kind, name = str(cr.get("kind") or ""), str(cr.get("name") or "")
    ns = str(cr.get("namespace") or w.namespace)
    declared = ctx.options.external.custom_resources
    if f"{kind}/{name}" in declared or f"{kind}/{ns}/{name}" in declared:
        return
    if ctx.catalog.find(kind, ns, name) or ctx.catalog.find(kind, "", name):
        return
    yield finding(CUSTOM, w.obj, f"waits for {cr.get('apiVersion', '')} {kind} {ns}/{name}, "
                  "which no release renders", "declare it external if an operator makes it")


def _direct(ctx: Context, w: Workload) -> Iterator[Finding]:
    """The findings about ``w``'s own dependencies (missing, or unmet where it runs)."""
    waits = waits_of(w)
    for ns, name in dict.fromkeys(waits.services):
        yield from _service(ctx, w, ns, name)
    for ns, name, labels in waits.jobs:
        yield from _job(ctx, w, ns, name, labels)
    for ns, name in dict.fromkeys(waits.daemonsets):
        if not ctx.options.external.has("daemonsets", ns, name) and not any(
                o.installed for o in ctx.catalog.find("DaemonSet", ns, name)):
            yield finding(DAEMONSET, w.obj, f"waits for DaemonSet {ns}/{name}, which no "
                          "release renders", _FIX_DISABLED)
    have = {str(c.get("name")) for c in w.spec.get("containers") or ()
            if isinstance(c, Mapping)}
    for name in dict.fromkeys(waits.containers):
        if name not in have:
            yield finding(CONTAINER, w.obj, f"waits for container {name}, which the pod "
                          f"does not have (it has {', '.join(sorted(have))})",
                          "fix the chart's dependency or container name")
    for dep in dict.fromkeys(waits.pods):
        yield from _pod(ctx, w, dep)
    for cr in waits.custom:
        yield from _custom(ctx, w, cr)
    for text in waits.malformed:
        yield finding(MALFORMED, w.obj, f"kubernetes-entrypoint ignores {text}",
                      "fix the dependency in the chart's values")


def _never(keys: list[str]) -> str:
    """"never completes" for jobs, "never becomes Ready" for the rest."""
    jobs = all(k.startswith(("Job/", "CronJob/")) for k in keys)
    return "never completes" if jobs and keys else "never becomes Ready"


def _never_ready(ctx: Context, ready: Readiness, w: Workload) -> Iterator[Finding]:
    """Pods that run but wait forever on something that exists yet never becomes Ready."""
    runs, ok = ready.runs[w.key], ready.ready[w.key]
    stuck = runs - ok
    if not stuck or (ok and w.kind != "DaemonSet"):
        return
    causes = []
    for need, hosts in ready.blockers(w.key):
        keys = sorted(k for k in need.keys if k)
        where = "" if hosts == runs else f" on {ctx.hosts_text(hosts)}"
        causes.append(f"{need.what}{where} ({', '.join(keys)} {_never(keys)})")
    where = "" if stuck == runs else f" on {ctx.hosts_text(stuck)}"
    yield finding(NEVER_READY, w.obj,
                  f"{_never([w.key])}{where}: it waits for {'; '.join(causes)}",
                  "fix what keeps the dependency from becoming Ready (see its own findings)",
                  stuck)


def check(ctx: Context) -> Iterator[Finding]:
    seen: set[str] = set()
    explained: set[str] = set()
    for w in ctx.catalog.workloads:
        if w.key in seen:
            continue
        seen.add(w.key)
        for f in _direct(ctx, w):
            if f.severity == "error":
                explained.add(w.key)
            yield f
    ready = Readiness(ctx)
    for key in sorted(seen - explained):
        yield from _never_ready(ctx, ready, ready.workloads[key])
