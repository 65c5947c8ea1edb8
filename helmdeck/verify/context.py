"""What every rule reads: the catalog of objects, the node index and the predictions,
built once per verify run and shared (a rule never recomputes another rule's facts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property

from helmdeck.verify.model import Finding, Node, Options, Rendered, Rule
from helmdeck.verify.predict import NodeIndex, Obstacles, Prediction, predictions
from helmdeck.verify.workloads import Catalog, Obj, Workload, claim_class

MAX_HOSTS_SHOWN = 8


class Context:
    def __init__(self, rendered: Sequence[Rendered], nodes: Iterable[Node],
                 options: Options) -> None:
        self.rendered = rendered
        self.options = options
        self.catalog = Catalog(rendered)
        self.index = NodeIndex(nodes)

    @cached_property
    def predictions(self) -> dict[str, Prediction]:
        return predictions(self.catalog.workloads, self.index, self.obstacles)

    def obstacles(self, w: Workload) -> Obstacles:
        return Obstacles(self.unbound_claims(w), self.refused(w))

    def refused(self, w: Workload) -> str:
        """Why the API server refuses ``w``'s pods: a ServiceAccount nobody makes."""
        account = w.spec.get("serviceAccountName") or w.spec.get("serviceAccount")
        if not account or account == "default":
            return ""
        name = str(account)
        if self.options.external.has("serviceaccounts", w.namespace, name) or any(
                o.installed for o in self.catalog.find("ServiceAccount", w.namespace, name)):
            return ""
        return f"ServiceAccount {w.namespace}/{name} does not exist"

    def unbound_claims(self, w: Workload) -> tuple[str, ...]:
        """The claims of ``w`` the cluster cannot bind: missing ones (not rendered, not
        declared external), and with ``storage_classes`` known, those of another class
        (a StatefulSet's templates named ``<template>-<statefulset>-N``, as it names them)."""
        classes, out = self.options.storage_classes, []
        for claim in w.claims():
            found = [o for o in self.catalog.find("PersistentVolumeClaim", w.namespace, claim)
                     if o.installed]
            if not found:
                if not self.options.external.has("persistentvolumeclaims", w.namespace, claim):
                    out.append(claim)
            elif classes is not None and not self._binds(claim_class(found[0].doc)):
                out.append(claim)
        if classes is not None:
            for t in w.claim_templates():
                if not self._binds(claim_class(t)):
                    meta = t.get("metadata")
                    name = meta.get("name", "") if isinstance(meta, Mapping) else ""
                    out.append(f"{name}-{w.obj.name}-N")
        return tuple(out)

    def _binds(self, storage_class: str | None) -> bool:
        classes = self.options.storage_classes or frozenset()
        effective = self.options.default_storage_class if storage_class is None else storage_class
        return effective is not None and effective in classes

    def prediction(self, w: Workload) -> Prediction:
        return self.predictions[w.key]

    def hosts_text(self, hosts: Iterable[str]) -> str:
        """Host names for a reason, with their roles when known, at most a few of them."""
        names = sorted(hosts)
        shown = [self._with_role(h) for h in names[:MAX_HOSTS_SHOWN]]
        more = len(names) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def _with_role(self, host: str) -> str:
        roles = self.options.roles
        if not roles:
            return host
        mine = sorted(r for r, hosts in roles.items() if host in hosts)
        return f"{host} ({'/'.join(mine)})" if mine else host


def finding(rule: Rule, obj: Obj, reason: str, fix: str,
            hosts: Iterable[str] = ()) -> Finding:
    """A finding of ``rule`` about ``obj``, at the rule's severity."""
    return Finding(rule.id, rule.severity, obj.release, obj.chart, obj.key, reason, fix,
                   tuple(sorted(hosts)), obj.source)


def warning(rule: Rule, obj: Obj, reason: str, fix: str, hosts: Iterable[str] = ()) -> Finding:
    """A finding of an error rule downgraded to a warning (a risk, not a certainty)."""
    return Finding(rule.id, "warning", obj.release, obj.chart, obj.key, reason, fix,
                   tuple(sorted(hosts)), obj.source)
