"""Placement rules: will each pod find a node? (predictions from ``helmdeck.verify.predict``)

VFY001 placement-no-host (error)
    A workload with pods to run fits no node: no node has the labels its nodeSelector and
    required node affinity ask for, or every node that has them carries a NoSchedule or
    NoExecute taint it does not tolerate. Its pods stay Pending. A DaemonSet whose
    selectors match no node at all runs nowhere, which may be intended: a warning. One that
    only its ``NotIn`` exclusions keep off every node it selects is meant to (the default
    DaemonSet of helm-toolkit's per-host overrides when every host has its own rule): none.
VFY002 daemonset-host-missed (error)
    A node the DaemonSet is meant for (its nodeSelector and required affinity match) gets
    no pod, because of a taint the pod template does not tolerate (the DaemonSet
    controller's own tolerations counted). Whatever needs that daemon on that node waits.
VFY003 anti-affinity-required (error)
    More replicas than the required anti-affinity against the template's own pods (one per
    topology domain), or its host ports (one per node), allow on the nodes it fits: the
    rest stay Pending. For a Job (or CronJob) it is a warning: its pods run to completion,
    so the others run in turn, a few at a time.
VFY004 anti-affinity-preferred (warning)
    The preferred anti-affinity cannot be met: some replicas share a domain, so losing one
    node or zone takes out more than one of them.
VFY005 prefer-no-schedule (warning)
    Pods will run on nodes with a PreferNoSchedule taint they do not tolerate: a DaemonSet
    always does (the controller ignores the preference), a workload when every node it fits
    has one.
VFY006 host-port-conflict (error)
    Two DaemonSets claim the same host port on the same node: one of the two pods stays
    Pending there. Against a replicated workload that may land on such a node, a warning.
VFY007 claim-unbound (error)
    Only when the options name the storage classes the cluster provisions: a pod's claim
    (or StatefulSet claim template) is of another class, so it never binds and every pod
    mounting it stays Pending. (A claim that does not exist at all is VFY304.)
VFY008 node-affinity-preferred (warning)
    No node the workload can run on matches any of its preferred node affinity terms: the
    preference is dead weight, or the nodes it wants lack their labels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from helmdeck.verify.context import Context, finding, warning
from helmdeck.verify.model import Finding, Rule, Taint
from helmdeck.verify.predict import BATCH_KINDS, Prediction, describe_key
from helmdeck.verify.scheduling import host_ports, ports_conflict, preferred_terms
from helmdeck.verify.workloads import Workload

NO_HOST = Rule("VFY001", "placement-no-host", "error",
               "A workload fits no node: its pods stay Pending.")
DS_MISSED = Rule("VFY002", "daemonset-host-missed", "error",
                 "A node a DaemonSet selects gets no pod because of a taint it does not "
                 "tolerate.")
ANTI_REQUIRED = Rule("VFY003", "anti-affinity-required", "error",
                     "More replicas than required anti-affinity or host ports allow.")
ANTI_PREFERRED = Rule("VFY004", "anti-affinity-preferred", "warning",
                      "Preferred anti-affinity cannot be met: replicas share a domain.")
PREFER_NO_SCHEDULE = Rule("VFY005", "prefer-no-schedule", "warning",
                          "Pods run on nodes whose PreferNoSchedule taint they do not "
                          "tolerate.")
HOST_PORT = Rule("VFY006", "host-port-conflict", "error",
                 "Two workloads claim the same host port on one node.")
UNBOUND = Rule("VFY007", "claim-unbound", "error",
               "A claim of a storage class the cluster does not provision: pods stay Pending.")
PREFERRED_NODES = Rule("VFY008", "node-affinity-preferred", "warning",
                       "No node the workload fits matches its preferred node affinity.")
RULES = (NO_HOST, DS_MISSED, ANTI_REQUIRED, ANTI_PREFERRED, PREFER_NO_SCHEDULE, HOST_PORT,
         UNBOUND, PREFERRED_NODES)


def _taints(taints: tuple[Taint, ...]) -> str:
    return ", ".join(t.text() for t in taints)


def _toleration_fix(taints: tuple[Taint, ...], hosts: str) -> str:
    return (f"add a toleration for {_taints(taints)} to the pod template (openstack-helm: "
            f"pod.tolerations of the chart, where its template reads it), or take the taint "
            f"off {hosts}")


def _blocked_text(ctx: Context, blocked: Mapping[tuple[Taint, ...], frozenset[str]]) -> str:
    return "; ".join(f"{_taints(t)} on {ctx.hosts_text(h)}" for t, h in sorted(blocked.items()))


def _no_host(ctx: Context, w: Workload, p: Prediction) -> Iterator[Finding]:
    if p.hosts or (w.kind != "DaemonSet" and not p.pods):
        return
    blocked = p.fit.blocked
    if w.kind == "DaemonSet":
        if not blocked and not ctx.index.fit(p.filter.without_exclusions()).hosts:
            yield warning(NO_HOST, w.obj,
                          f"runs on no node: no node matches {p.filter.describe()}",
                          "label the hosts it is meant for, or leave the chart out")
        return
    count = f"{p.pods} pod{'s' if p.pods != 1 else ''}"
    if not blocked:
        yield finding(NO_HOST, w.obj,
                      f"{count} stay Pending: no node matches {p.filter.describe()}",
                      "give hosts the role or labels it selects, or change its node selector")
        return
    hosts = frozenset().union(*blocked.values())
    yield finding(NO_HOST, w.obj,
                  f"{count} stay Pending: every node matching {p.filter.describe()} has a "
                  f"taint it does not tolerate ({_blocked_text(ctx, blocked)})",
                  _toleration_fix(next(iter(sorted(blocked))), ctx.hosts_text(hosts)),
                  hosts)


def _missed(ctx: Context, w: Workload, p: Prediction) -> Iterator[Finding]:
    if w.kind != "DaemonSet":
        return
    for taints, hosts in sorted(p.fit.blocked.items()):
        where = ctx.hosts_text(hosts)
        yield finding(DS_MISSED, w.obj,
                      f"no pod on {where}: it matches {p.filter.describe()} there, but taint "
                      f"{_taints(taints)} is not tolerated",
                      _toleration_fix(taints, where), hosts)


def _spread(w: Workload, p: Prediction) -> Iterator[Finding]:
    if not p.hosts or not p.pods:
        return
    if p.cap is not None and p.cap < p.pods and w.kind in BATCH_KINDS:
        keys = ", ".join(describe_key(k) for k in p.required_keys)
        yield warning(ANTI_REQUIRED, w.obj,
                      f"{p.pods} pods but at most {p.cap} can run at once on the "
                      f"{len(p.hosts)} node(s) it fits, one per {keys}: the others wait for "
                      "them to complete",
                      f"lower its parallelism to {p.cap}, or give it more hosts (or domains)")
    elif p.cap is not None and p.cap < p.pods:
        keys = ", ".join(describe_key(k) for k in p.required_keys)
        stuck = p.pending + p.not_created
        yield finding(ANTI_REQUIRED, w.obj,
                      f"{p.pods} pods but at most {p.cap} can run at once on the "
                      f"{len(p.hosts)} node(s) it fits, one per {keys}: {stuck} never run",
                      f"lower its replicas to {p.cap}, or give it more hosts (or domains) "
                      "to spread over")
    elif p.preferred_cap is not None and p.preferred_cap < p.pods:
        keys = ", ".join(describe_key(k) for k in p.preferred_keys)
        yield finding(ANTI_PREFERRED, w.obj,
                      f"{p.pods} pods but only {p.preferred_cap} distinct {keys} among the "
                      f"node(s) it fits: replicas share one, so a single failure takes "
                      f"out several",
                      f"lower its replicas to {p.preferred_cap}, or add hosts in more "
                      "domains")


def _prefer(ctx: Context, w: Workload, p: Prediction) -> Iterator[Finding]:
    avoided = p.fit.avoided
    if not avoided or (w.kind != "DaemonSet" and not p.pods):
        return
    hosts = frozenset().union(*avoided.values())
    if w.kind != "DaemonSet" and hosts != p.hosts:
        return
    yield finding(PREFER_NO_SCHEDULE, w.obj,
                  f"runs on nodes that prefer not to take it: {_blocked_text(ctx, avoided)}",
                  f"tolerate {_taints(next(iter(sorted(avoided))))} or take the taint off",
                  hosts)


def _unbound(ctx: Context, w: Workload, p: Prediction) -> Iterator[Finding]:
    classes = ctx.options.storage_classes
    if classes is None or not p.unbound_claims or not p.hosts:
        return
    missing = set(w.claims()) - {
        c for c in w.claims() if ctx.catalog.find("PersistentVolumeClaim", w.namespace, c)}
    claims = [c for c in p.unbound_claims if c not in missing]
    if claims:
        have = ", ".join(sorted(classes)) or "none"
        yield finding(UNBOUND, w.obj,
                      f"{p.pods} pod(s) stay Pending: claim {', '.join(claims)} is of a storage "
                      f"class the cluster does not provision (it has: {have})",
                      "use one of the cluster's storage classes (the site's class_name), or "
                      "add the class to the cluster")


def _preferred_nodes(ctx: Context, w: Workload, p: Prediction) -> Iterator[Finding]:
    terms = preferred_terms(w.spec)
    if not terms or not p.hosts:
        return
    nodes = ctx.index.nodes
    if any(t.matches(h, nodes[h].labels) for h in p.hosts for t in terms):
        return
    yield finding(PREFERRED_NODES, w.obj,
                  f"none of the {len(p.hosts)} node(s) it can run on matches its preferred "
                  "node affinity",
                  "label the nodes it should prefer, or drop the preference")


def _port_conflicts(ctx: Context) -> Iterator[Finding]:
    """Pairs with a DaemonSet in them: two replicated workloads the scheduler keeps apart
    itself (the NodePorts filter), but a DaemonSet pod is bound to its node."""
    claimed = [(w, ports) for w in ctx.catalog.workloads if (ports := host_ports(w.spec))]
    for i, (a, a_ports) in enumerate(claimed):
        for b, b_ports in claimed[i + 1:]:
            if "DaemonSet" not in (a.kind, b.kind):
                continue
            clash = ports_conflict(a_ports, b_ports)
            common = ctx.prediction(a).hosts & ctx.prediction(b).hosts
            if not clash or not common:
                continue
            text = ", ".join(f"{port}/{proto}" for _, proto, port in clash)
            fix = "change one of the ports, or keep the two apart with node selectors"
            if a.kind == b.kind:
                yield finding(HOST_PORT, a.obj,
                              f"claims host port {text} like {b.key} on "
                              f"{ctx.hosts_text(common)}: one of the two pods stays Pending "
                              "on each of those nodes", fix, common)
                continue
            other, daemon = (a, b) if b.kind == "DaemonSet" else (b, a)
            yield warning(HOST_PORT, other.obj,
                          f"claims host port {text} like DaemonSet {daemon.key} on "
                          f"{ctx.hosts_text(common)}: its pods cannot share those nodes",
                          fix, common)


def check(ctx: Context) -> Iterator[Finding]:
    for w in ctx.catalog.workloads:
        p = ctx.prediction(w)
        if p.object != w.key or p.release != w.obj.release:
            continue
        yield from _no_host(ctx, w, p)
        yield from _missed(ctx, w, p)
        yield from _spread(w, p)
        yield from _prefer(ctx, w, p)
        yield from _unbound(ctx, w, p)
        yield from _preferred_nodes(ctx, w, p)
    yield from _port_conflicts(ctx)
