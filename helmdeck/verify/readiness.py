"""Which pods ever become Ready: the least fixpoint of what their init containers wait for.

A pod of a workload becomes Ready on a host when it runs there (``Prediction.runs_on``) and
kubernetes-entrypoint finds every dependency met (``helmdeck.verify.entrypoint``):

- a Service: some pod behind its selector is Ready somewhere (a Service without a selector,
  or one declared external, counts as met);
- Jobs: every Job it names (or whose labels match) exists and completes, i.e. becomes Ready;
- a DaemonSet: it exists, and its pod on this host, if it has one, is Ready;
- pods: one with the labels is Ready, on this very host when ``requireSameNode``;
- containers of its own pod: they exist; custom resources: assumed met (VFY107 warns).

Starting from nothing Ready, every pass marks Ready the hosts where all of a workload's
dependencies are met by what is already Ready, until nothing changes. Workloads that wait
for each other in a cycle therefore never become Ready, as on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from helmdeck.verify.context import Context
from helmdeck.verify.entrypoint import waits_of
from helmdeck.verify.scheduling import selector_of
from helmdeck.verify.workloads import Workload

Kind = Literal["any", "all", "same-node", "daemonset", "never"]


@dataclass(frozen=True)
class Need:
    """One dependency, resolved to the workloads that can meet it.

    ``any``: one of ``keys`` Ready anywhere; ``all``: every one of them (none is never);
    ``same-node``: one Ready on the host; ``daemonset``: the DaemonSet's pod on the host, if
    any, Ready; ``never``: cannot be met (it does not exist).
    """

    kind: Kind
    keys: tuple[str, ...]
    what: str


def _job_labels(w: Workload) -> dict[str, str]:
    """The labels of a Job, or of the Jobs a CronJob creates."""
    doc = w.obj.doc
    if w.kind == "Job":
        meta = doc.get("metadata")
    else:
        spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
        template = spec.get("jobTemplate") if isinstance(spec, Mapping) else None
        meta = template.get("metadata") if isinstance(template, Mapping) else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


class Readiness:
    """The hosts where each workload's pods become Ready, and what keeps them from it."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.workloads: dict[str, Workload] = {}
        for w in ctx.catalog.workloads:
            self.workloads.setdefault(w.key, w)
        self.runs = {k: ctx.predictions[k].runs_on for k in self.workloads}
        self.needs = {k: self._needs(w) for k, w in self.workloads.items()}
        self.ready = self._fixpoint()

    # --- resolving dependencies to workloads ------------------------------------------

    def _in(self, ns: str) -> list[Workload]:
        return [w for w in self.ctx.catalog.workloads_by_namespace.get(ns, ())
                if self.workloads.get(w.key) is w]

    def _needs(self, w: Workload) -> list[Need]:
        waits, ext, out = waits_of(w), self.ctx.options.external, []
        for ns, name in dict.fromkeys(waits.services):
            if not ext.has("services", ns, name):
                out.append(self._service(ns, name))
        for ns, name, labels in waits.jobs:
            if not (name and ext.has("jobs", ns, name)):
                out.append(self._jobs(ns, name, labels or {}))
        for ns, name in dict.fromkeys(waits.daemonsets):
            if ext.has("daemonsets", ns, name):
                continue
            ds = tuple(d.key for d in self._in(ns) if d.kind == "DaemonSet" and d.obj.name == name)
            out.append(Need("daemonset", ds, f"DaemonSet {ns}/{name}") if ds else
                       Need("never", (), f"DaemonSet {ns}/{name}"))
        have = {str(c.get("name")) for c in w.spec.get("containers") or ()
                if isinstance(c, Mapping)}
        out.extend(Need("never", (), f"container {c}") for c in waits.containers if c not in have)
        for dep in dict.fromkeys(waits.pods):
            if ext.has("pods", dep.namespace, dep.text()):
                continue
            sel = selector_of(dict(dep.labels))
            keys = tuple(p.key for p in self._in(dep.namespace)
                         if p.key != w.key and sel.matches(p.labels))
            out.append(Need("same-node" if dep.same_node else "any", keys,
                            f"a pod labelled {dep.text()}"))
        return out

    def _jobs(self, ns: str, name: str, labels: Mapping[str, str]) -> Need:
        """The Job of that name, or every Job (a CronJob's too) whose labels match."""
        sel = selector_of(dict(labels))
        if name:
            jobs = tuple(j.key for j in self._in(ns) if j.kind == "Job" and j.obj.name == name)
        else:
            jobs = tuple(j.key for j in self._in(ns)
                         if j.kind in ("Job", "CronJob") and sel.matches(_job_labels(j)))
        text = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        return Need("all", jobs, f"Job {ns}/{name}" if name else f"Jobs labelled {text}")

    def _service(self, ns: str, name: str) -> Need:
        found = [o for o in self.ctx.catalog.find("Service", ns, name) if o.installed]
        what = f"Service {ns}/{name}"
        if not found:
            return Need("never", (), what)
        spec = found[0].doc.get("spec")
        selector = spec.get("selector") if isinstance(spec, Mapping) else None
        if not isinstance(selector, Mapping) or not selector:
            return Need("any", ("",), what)  # endpoints managed elsewhere: met
        sel = selector_of({str(k): str(v) for k, v in selector.items()})
        return Need("any", tuple(b.key for b in self._in(ns) if sel.matches(b.labels)), what)

    # --- the fixpoint -------------------------------------------------------------------

    def _met(self, need: Need, hosts: frozenset[str],
             ready: Mapping[str, frozenset[str]]) -> frozenset[str]:
        """The hosts of ``hosts`` where ``need`` is met, given what is Ready."""
        got = [ready.get(k, frozenset()) if k else hosts for k in need.keys]
        if need.kind == "any":
            return hosts if any(got) else frozenset()
        if need.kind == "all":
            return hosts if got and all(got) else frozenset()
        if need.kind == "same-node":
            return hosts & frozenset().union(*got)
        if need.kind == "daemonset":
            not_ready = self.runs[need.keys[0]] - ready.get(need.keys[0], frozenset())
            return hosts - not_ready
        return frozenset()

    def _allowed(self, key: str, ready: Mapping[str, frozenset[str]]) -> frozenset[str]:
        hosts = self.runs[key]
        for need in self.needs[key]:
            if not hosts:
                break
            hosts = self._met(need, hosts, ready)
        return hosts

    def _fixpoint(self) -> dict[str, frozenset[str]]:
        ready: dict[str, frozenset[str]] = {k: frozenset() for k in self.workloads}
        changed = True
        while changed:
            changed = False
            for key in self.workloads:
                new = self._allowed(key, ready)
                if new != ready[key]:
                    ready[key], changed = new, True
        return ready

    def blockers(self, key: str) -> list[tuple[Need, frozenset[str]]]:
        """The dependencies not met (on the hosts where they are not), once settled."""
        hosts = self.runs[key]
        out = []
        for need in self.needs[key]:
            bad = hosts - self._met(need, hosts, self.ready)
            if bad:
                out.append((need, bad))
        return out
