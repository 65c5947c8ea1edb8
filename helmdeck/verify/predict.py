"""Predicted placement: the hosts each workload's pods can run on, and how many stay Pending.

This is what the differential test compares with a real kube-scheduler, so every number
here means exactly what a cluster would show right after the workloads are created:

- ``hosts``: the nodes passing NodeAffinity and TaintToleration (``helmdeck.verify.
  scheduling``). For a DaemonSet it is exactly the nodes that get a pod.
- ``pods``: the pods the controller creates at once (replicas; a Job's parallelism capped by
  its completions; one per host for a DaemonSet).
- ``pending``: those the scheduler cannot place. With no host, all of them. Otherwise at
  most ``cap`` run together, where ``cap`` comes from required pod anti-affinity against
  the template's own labels (one pod per topology domain, a node without the topology label
  being no domain at all) and from host ports (one pod per node). A Job's (or a CronJob
  run's) pods beyond the cap are not stuck: each runs once one of those running completes
  (a finished pod repels nothing), so they wait their turn and none stays Pending. The
  scheduler places pods one by one, taking any node that passes; for one topology key, or
  the hostname plus one key, every such greedy order reaches the same count, which is what
  is computed here (with more keys it is the count for hosts taken in name order).
- ``not_created``: a StatefulSet with OrderedReady management creates pod N+1 only once pod
  N is Ready, so behind a Pending pod the remaining ones never exist.
- ``unbound_claims``: claims that cannot bind (missing, or of a class the cluster does not
  provision when the options say which it does): the VolumeBinding filter then rejects every
  node, so all the pods stay Pending, wherever they would fit.
- ``refused``: why the API server refuses the pods outright (a ServiceAccount that does not
  exist): they are never created, so none is Pending and all count in ``not_created``.

Speed: nodes with equal labels (the per-node hostname aside) and equal taints answer every
filter alike, so a filter is matched once per such class of nodes, and once per distinct
filter (a chart's workloads mostly share one); only filters naming a node or its hostname
are matched node by node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from helmdeck.verify.model import Node, Taint
from helmdeck.verify.scheduling import (
    HOSTNAME_LABEL,
    NodeFilter,
    PodAffinityTerm,
    anti_affinity,
    host_ports,
    node_filter,
)
from helmdeck.verify.workloads import Workload

_NODE_KEY = "\0node"  # the pseudo topology key of host ports: every node its own domain
# Their pods run to completion: pods over a cap wait for the running ones to finish.
BATCH_KINDS = frozenset({"Job", "CronJob"})


@dataclass(frozen=True)
class Fit:
    """A filter's answer over the nodes.

    ``hosts``: where the pod can run. ``blocked``: nodes whose labels fit but whose
    NoSchedule/NoExecute taints are not all tolerated, grouped by the untolerated taints.
    ``avoided``: nodes in ``hosts`` with an untolerated PreferNoSchedule taint, likewise.
    """

    hosts: frozenset[str]
    blocked: Mapping[tuple[Taint, ...], frozenset[str]] = field(hash=False, compare=False)
    avoided: Mapping[tuple[Taint, ...], frozenset[str]] = field(hash=False, compare=False)


@dataclass(frozen=True)
class _NodeClass:
    labels: Mapping[str, str] = field(hash=False, compare=False)
    taints: tuple[Taint, ...]
    names: tuple[str, ...]


class NodeIndex:
    """The nodes, grouped into classes of equal labels and taints, with cached answers."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = {n.name: n for n in sorted(nodes, key=lambda n: n.name)}
        groups: dict[tuple[tuple[tuple[str, str], ...], tuple[Taint, ...]], list[str]] = \
            defaultdict(list)
        for n in self.nodes.values():
            labels = tuple(sorted((k, v) for k, v in n.labels.items() if k != HOSTNAME_LABEL))
            groups[(labels, tuple(n.taints))].append(n.name)
        self.classes = [_NodeClass(dict(labels), taints, tuple(names))
                        for (labels, taints), names in sorted(groups.items())]
        self._fits: dict[NodeFilter, Fit] = {}

    def fit(self, f: NodeFilter) -> Fit:
        """Where pods with this filter can run (cached: filters are values)."""
        found = self._fits.get(f)
        if found is None:
            found = self._fits[f] = self._node_fit(f) if f.uses_identity() else self._class_fit(f)
        return found

    def _class_fit(self, f: NodeFilter) -> Fit:
        """Once per class of nodes with equal labels and taints."""
        return _fit_over(f, ((c.names[0], c.labels, c.taints, c.names) for c in self.classes))

    def _node_fit(self, f: NodeFilter) -> Fit:
        """Node by node, for a filter that names nodes or reads their hostname label."""
        return _fit_over(f, ((n.name, n.labels, n.taints, (n.name,))
                             for n in self.nodes.values()))

    def spread_cap(self, hosts: Iterable[str], keys: Sequence[str], want: int) -> int | None:
        """How many pods fit on ``hosts`` with at most one per domain of every key.

        None means unlimited (a host lacks every key, so nothing repels there). Counting
        stops at ``want``: only whether the pods fit matters, and at 2,000 hosts a
        3-replica API needs 3 hosts looked at, not 2,000.
        """
        if not keys:
            return None
        used: set[tuple[str, str]] = set()
        count = 0
        for name in sorted(hosts):
            labels = self.nodes[name].labels
            domains = [(k, name if k == _NODE_KEY else labels[k]) for k in keys
                       if k == _NODE_KEY or k in labels]
            if not domains:
                return None
            if any(d in used for d in domains):
                continue
            used.update(domains)
            count += 1
            if count >= want:
                return count
        return count


def _fit_over(f: NodeFilter, groups: Iterable[tuple[str, Mapping[str, str],
                                                    tuple[Taint, ...], Sequence[str]]]) -> Fit:
    """The filter's answer over ``(name, labels, taints, names)`` groups: a group's nodes
    all answer as the node ``name`` of them does."""
    hosts: list[str] = []
    blocked: dict[tuple[Taint, ...], list[str]] = defaultdict(list)
    avoided: dict[tuple[Taint, ...], list[str]] = defaultdict(list)
    for name, labels, taints, names in groups:
        if not f.selects(name, labels):
            continue
        bad = f.blocking(taints)
        if bad:
            blocked[bad].extend(names)
            continue
        hosts.extend(names)
        soft = f.avoided(taints)
        if soft:
            avoided[soft].extend(names)
    return _fit(hosts, blocked, avoided)


def _fit(hosts: list[str], blocked: Mapping[tuple[Taint, ...], list[str]],
         avoided: Mapping[tuple[Taint, ...], list[str]]) -> Fit:
    return Fit(frozenset(hosts), {k: frozenset(v) for k, v in blocked.items()},
               {k: frozenset(v) for k, v in avoided.items()})


@dataclass(frozen=True)
class Prediction:
    """What a cluster with these nodes would show for one workload (see the module doc).

    ``cap``/``preferred_cap``: the most pods that run together under the required
    (respectively preferred) self anti-affinity and host ports; None when unlimited.
    """

    object: str
    kind: str
    release: str
    chart: str
    hosts: frozenset[str]
    pods: int
    pending: int
    not_created: int
    fit: Fit = field(hash=False, compare=False, repr=False)
    filter: NodeFilter = field(hash=False, compare=False, repr=False)
    cap: int | None = None
    preferred_cap: int | None = None
    required_keys: tuple[str, ...] = ()
    preferred_keys: tuple[str, ...] = ()
    unbound_claims: tuple[str, ...] = ()
    refused: str = ""

    @property
    def runs_on(self) -> frozenset[str]:
        """The hosts its pods can actually run on: ``hosts``, unless claims that cannot bind
        or a refused pod keep them from running anywhere."""
        return frozenset() if self.unbound_claims or self.refused else self.hosts


@dataclass(frozen=True)
class Obstacles:
    """What keeps a workload's pods from running besides the nodes (see the module doc)."""

    unbound_claims: tuple[str, ...] = ()
    refused: str = ""


def _self_keys(terms: Iterable[PodAffinityTerm], w: Workload) -> tuple[str, ...]:
    """The topology keys of the terms that repel the template's own pods."""
    return tuple(sorted({t.topology_key for t in terms
                         if t.matches_self(w.labels, w.namespace)}))


def predict(w: Workload, index: NodeIndex, obstacles: Obstacles = Obstacles()) -> Prediction:
    """The prediction for one workload."""
    f = node_filter(w.spec, daemonset=w.kind == "DaemonSet")
    fit = index.fit(f)
    required, preferred = anti_affinity(w.spec)
    req_keys, pref_keys = _self_keys(required, w), _self_keys(preferred, w)
    if w.kind != "DaemonSet" and host_ports(w.spec):
        req_keys = (*req_keys, _NODE_KEY)
    pods = len(fit.hosts) if w.kind == "DaemonSet" else w.pods
    cap = index.spread_cap(fit.hosts, req_keys, pods) if pods else None
    pref_cap = index.spread_cap(fit.hosts, tuple(sorted({*req_keys, *pref_keys})), pods) \
        if pods and pref_keys else None
    running = min(pods, cap) if cap is not None and w.kind not in BATCH_KINDS else pods
    if not fit.hosts or obstacles.unbound_claims:
        running = 0
    pending, not_created = pods - running, 0
    if w.ordered and pending:
        pending, not_created = 1, pending - 1
    if obstacles.refused:
        pending, not_created = 0, pods
    return Prediction(w.key, w.kind, w.obj.release, w.obj.chart, fit.hosts, pods, pending,
                      not_created, fit, f, cap, pref_cap, req_keys, pref_keys,
                      obstacles.unbound_claims, obstacles.refused)


def predictions(workloads: Iterable[Workload], index: NodeIndex,
                obstacles: Callable[[Workload], Obstacles] | None = None) -> dict[
    str, Prediction
]:
    """Every workload's prediction, by object key (the first of duplicate objects wins)."""
    out: dict[str, Prediction] = {}
    for w in workloads:
        if w.key not in out:
            out[w.key] = predict(w, index, obstacles(w) if obstacles else Obstacles())
    return out


def describe_key(key: str) -> str:
    """A topology key in a finding's words."""
    return "host port (one pod per node)" if key == _NODE_KEY else key
