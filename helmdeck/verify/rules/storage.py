"""Storage rules: claims that can be mounted where the pods run, on the site's storage.

VFY201 rwo-claim-shared (error)
    A ReadWriteOnce claim is mounted by more than one pod that can land on different nodes
    (replicas > 1, several workloads, or a DaemonSet on several nodes): the volume attaches
    to one node, pods elsewhere stay ContainerCreating. A ReadWriteOncePod claim is an
    error as soon as two pods mount it.
VFY202 storage-class-mismatch (error)
    A claim or StatefulSet volumeClaimTemplate names a storage class other than the site's
    (``spec.storage.class_name``): on a cluster with only the site's class it stays Pending.
    A claim naming no class gets the cluster's default, which may not be the site's: a
    warning.
VFY203 backend-missing (error)
    A service is deployed without the backend it cannot work without, e.g. cinder's API with
    no cinder-volume: every volume request fails (and cinder's bootstrap job waits forever
    for a volume pod).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.verify.context import Context, finding, warning
from helmdeck.verify.model import Finding, Rule
from helmdeck.verify.scheduling import selector_of
from helmdeck.verify.workloads import Obj, Workload, claim_class

RWO = Rule("VFY201", "rwo-claim-shared", "error",
           "A ReadWriteOnce claim is mounted by pods that can run on different nodes.")
CLASS = Rule("VFY202", "storage-class-mismatch", "error",
             "A claim does not use the site's storage class.")
BACKEND = Rule("VFY203", "backend-missing", "error",
               "A service is deployed without a backend it needs.")
RULES = (RWO, CLASS, BACKEND)



@dataclass(frozen=True)
class Backend:
    """A component that is useless without another one in its namespace."""

    service: tuple[tuple[str, str], ...]
    backend: tuple[tuple[str, str], ...]
    what: str
    fix: str


BACKENDS = (
    Backend((("application", "cinder"), ("component", "api")),
            (("application", "cinder"), ("component", "volume")),
            "cinder has no volume backend: cinder-api runs, but no cinder-volume workload "
            "is rendered, so every volume request fails and cinder-bootstrap waits for a "
            "volume pod forever",
            "give cinder a backend (storage.backend ceph, or a volume driver in "
            "conf.backends with manifests.deployment_volume), or disable cinder"),
)


def _modes(doc: Mapping[str, Any]) -> set[str]:
    spec = doc.get("spec") or {}
    modes = spec.get("accessModes") if isinstance(spec, Mapping) else None
    return {str(m) for m in modes or ()} if isinstance(modes, list) else set()


def _shared(ctx: Context) -> Iterator[Finding]:
    users: dict[tuple[str, str], list[Workload]] = defaultdict(list)
    for w in ctx.catalog.workloads:
        for claim in w.claims():
            users[(w.namespace, claim)].append(w)
    for (ns, claim), ws in sorted(users.items()):
        pvcs = [o for o in ctx.catalog.find("PersistentVolumeClaim", ns, claim) if o.installed]
        if not pvcs:
            continue
        modes = _modes(pvcs[0].doc)
        if modes & {"ReadWriteMany", "ReadOnlyMany"} or not modes:
            continue
        preds = [ctx.prediction(w) for w in ws]
        pods = sum(p.pods for p in preds)
        hosts = frozenset().union(*(p.hosts for p in preds))
        once_pod = "ReadWriteOncePod" in modes and "ReadWriteOnce" not in modes
        if pods <= 1 or (not once_pod and len(hosts) <= 1):
            continue
        mode = "ReadWriteOncePod" if once_pod else "ReadWriteOnce"
        who = ", ".join(f"{w.key} ({p.pods} pod{'s' if p.pods != 1 else ''})"
                        for w, p in zip(ws, preds, strict=True))
        where = "" if once_pod else (f" that can run on {ctx.hosts_text(hosts)}; the volume "
                                     "attaches to one node, so pods on the others never start")
        for w in ws:
            yield finding(RWO, w.obj,
                          f"{mode} claim {claim} is mounted by {pods} pods: {who}{where}",
                          "run one replica, or give the claim ReadWriteMany on storage that "
                          "supports it (or a shared backend such as ceph)", hosts)


def _check_class(obj: Obj, what: str, claim: Mapping[str, Any],
                 want: str) -> Iterator[Finding]:
    have = claim_class(claim)
    fix = f"set its storage class to {want} (openstack-helm: the chart's volume class_name " \
          "or storage_class value)"
    if have is None:
        yield warning(CLASS, obj, f"{what} names no storage class: it gets the cluster's "
                      f"default, not necessarily the site's {want}", fix)
    elif have != want:
        shown = have or repr(have)
        yield finding(CLASS, obj, f"{what} uses storage class {shown}, not the site's {want}",
                      fix)


def _classes(ctx: Context) -> Iterator[Finding]:
    want = ctx.options.storage_class
    if want is None:
        return
    for o in ctx.catalog.objects:
        if not o.installed:
            continue
        spec = o.doc.get("spec") or {}
        if not isinstance(spec, Mapping):
            continue
        if o.kind == "PersistentVolumeClaim":
            yield from _check_class(o, f"claim {o.name}", o.doc, want)
        elif o.kind == "StatefulSet":
            for t in spec.get("volumeClaimTemplates") or ():
                if isinstance(t, Mapping):
                    meta = t.get("metadata") or {}
                    name = meta.get("name", "") if isinstance(meta, Mapping) else ""
                    yield from _check_class(o, f"volumeClaimTemplate {name}", t, want)


def _backends(ctx: Context) -> Iterator[Finding]:
    for b in BACKENDS:
        service, backend = selector_of(dict(b.service)), selector_of(dict(b.backend))
        for _, ws in sorted(ctx.catalog.workloads_by_namespace.items()):
            apis = [w for w in ws if service.matches(w.labels) and w.kind != "CronJob"]
            if apis and not any(backend.matches(w.labels) for w in ws):
                yield finding(BACKEND, apis[0].obj, b.what, b.fix)


def check(ctx: Context) -> Iterator[Finding]:
    yield from _shared(ctx)
    yield from _classes(ctx)
    yield from _backends(ctx)
