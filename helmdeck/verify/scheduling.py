"""Where a pod may run: kube-scheduler's node filters, transcribed from Kubernetes 1.37.

Only the filters that depend on what a chart renders and on the inventory are modelled:

- **NodeAffinity** (``k8s.io/component-helpers/scheduling/corev1/nodeaffinity``): the
  ``nodeSelector`` map must match exactly; ``requiredDuringSchedulingIgnoredDuringExecution``
  terms are ORed, a term's requirements ANDed; an empty term is dropped and selects
  nothing, a term that does not parse (unknown operator, ``In`` without values, ``Gt`` on a
  non-integer, a bad label key or value) matches no node, and a required affinity whose
  terms are all dropped matches no node. ``matchFields`` knows ``metadata.name`` only and
  takes ``In``/``NotIn`` with exactly one value.
- **Label requirements** (``k8s.io/apimachinery/pkg/labels``): ``NotIn`` and
  ``DoesNotExist`` match a node without the label; ``Gt``/``Lt`` need the label and compare
  it as a base-10 int64 (a label that does not parse never matches).
- **TaintToleration** (``k8s.io/api/core/v1/toleration.go`` ``ToleratesTaint``): a
  toleration's empty effect matches every effect and its empty key every key; operator ""
  or ``Equal`` compares values, ``Exists`` matches any value, ``Lt``/``Gt`` compare int64
  values (taint value < / > toleration value). Only ``NoSchedule`` and ``NoExecute`` taints
  filter nodes; ``PreferNoSchedule`` only lowers a node's score.
- **DaemonSet pods** get the tolerations the DaemonSet controller adds
  (``pkg/controller/daemon/util/daemonset_util.go`` ``AddOrUpdateDaemonPodTolerations``):
  see ``DAEMONSET_TOLERATIONS``. The controller places a pod on every node that passes
  NodeAffinity and whose NoSchedule/NoExecute taints are all tolerated
  (``pkg/controller/daemon`` ``predicates``).

Not modelled (the test cluster's nodes have room for everything): resource requests,
volume topology, pod affinity to other workloads, and schedulers other than the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from helmdeck.verify import names
from helmdeck.verify.model import Taint

HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
NODE_NAME_FIELD = "metadata.name"
BLOCKING_EFFECTS = frozenset({"NoSchedule", "NoExecute"})
PREFER_NO_SCHEDULE = "PreferNoSchedule"
LABEL_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"})

_INT64 = re.compile(r"[+-]?[0-9]+\Z")


def _text(value: Any) -> str:
    """A scalar as the Go client would have it after JSON: booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: optional sign, decimal digits, in range; else None."""
    if not _INT64.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


# --- tolerations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Toleration:
    """A pod toleration; ``operator`` kept as written ("" means Equal)."""

    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""

    def tolerates(self, taint: Taint) -> bool:
        """``Toleration.ToleratesTaint`` of Kubernetes 1.37, case for case."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator in ("", "Equal"):
            return self.value == taint.value
        if self.operator == "Exists":
            return True
        if self.operator in ("Lt", "Gt"):
            mine, theirs = parse_int64(self.value), parse_int64(taint.value)
            if mine is None or theirs is None:
                return False
            return theirs < mine if self.operator == "Lt" else theirs > mine
        return False

    def text(self) -> str:
        """``key=value:Effect``, ``key Exists:Effect``; ``*`` for an empty key or effect."""
        op, key = self.operator or "Equal", self.key or "*"
        what = f"{key}={self.value}" if op == "Equal" else f"{key} {op} {self.value}".rstrip()
        return f"{what}:{self.effect or '*'}"


# pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations), unchanged
# from 1.17 through 1.37: added to every DaemonSet pod; the last only with hostNetwork.
DAEMONSET_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"),
)
HOST_NETWORK_DAEMONSET_TOLERATION = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule"
)


def untolerated(
    taints: Iterable[Taint], tolerations: Sequence[Toleration], effects: frozenset[str]
) -> tuple[Taint, ...]:
    """The taints with one of ``effects`` that no toleration tolerates, in node order."""
    return tuple(
        t for t in taints
        if t.effect in effects and not any(tol.tolerates(t) for tol in tolerations)
    )


def parse_tolerations(raw: Any) -> tuple[Toleration, ...]:
    """``spec.tolerations`` as rendered; entries that are not mappings are skipped."""
    out = []
    for item in raw or ():
        if isinstance(item, Mapping):
            out.append(Toleration(_text(item.get("key")), _text(item.get("operator")),
                                  _text(item.get("value")), _text(item.get("effect"))))
    return tuple(out)


# --- node selectors and required node affinity -------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One ``matchExpressions`` or ``matchFields`` entry."""

    key: str
    operator: str
    values: tuple[str, ...]

    def label_error(self) -> str | None:
        """Why ``labels.NewRequirement`` would refuse this requirement, or None."""
        if self.operator not in LABEL_OPERATORS:
            return f"unknown operator {self.operator!r}"
        if names.label_key(self.key) is not None:
            return f"bad label key {self.key!r}"
        n = len(self.values)
        if self.operator in ("In", "NotIn") and n == 0:
            return f"{self.operator} needs at least one value"
        if self.operator in ("Exists", "DoesNotExist") and n:
            return f"{self.operator} takes no values"
        if self.operator in ("Gt", "Lt") and (n != 1 or parse_int64(self.values[0]) is None):
            return f"{self.operator} needs exactly one integer value"
        for v in self.values:
            if names.label_value(v) is not None:
                return f"bad label value {v!r}"
        return None

    def matches_labels(self, labels: Mapping[str, str]) -> bool:
        """``labels.Requirement.Matches`` (the requirement must be valid)."""
        op, key = self.operator, self.key
        if op == "In":
            return key in labels and labels[key] in self.values
        if op == "NotIn":
            return key not in labels or labels[key] not in self.values
        if op == "Exists":
            return key in labels
        if op == "DoesNotExist":
            return key not in labels
        if key not in labels:
            return False
        have, want = parse_int64(labels[key]), parse_int64(self.values[0])
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want

    def field_error(self) -> str | None:
        if self.operator not in ("In", "NotIn"):
            return f"matchFields takes In or NotIn, not {self.operator!r}"
        if len(self.values) != 1:
            return "matchFields takes exactly one value"
        return None

    def matches_fields(self, node_name: str) -> bool:
        """A one-term field selector over the node's only field, ``metadata.name``."""
        have = node_name if self.key == NODE_NAME_FIELD else ""
        return (have == self.values[0]) == (self.operator == "In")


@dataclass(frozen=True)
class Term:
    """One ``nodeSelectorTerm``; ``valid`` False when it does not parse (matches nothing)."""

    expressions: tuple[Requirement, ...]
    fields: tuple[Requirement, ...]
    valid: bool

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        if not self.valid:
            return False
        if not all(r.matches_labels(labels) for r in self.expressions):
            return False
        return all(r.matches_fields(name) for r in self.fields)


def _requirements(raw: Any) -> tuple[Requirement, ...]:
    out = []
    for item in raw or ():
        if isinstance(item, Mapping):
            values = item.get("values")
            out.append(Requirement(
                _text(item.get("key")), _text(item.get("operator")),
                tuple(_text(v) for v in values) if isinstance(values, list) else (),
            ))
    return tuple(out)


def parse_term(raw: Mapping[str, Any]) -> Term | None:
    """A node selector term, or None when empty (Kubernetes drops empty terms)."""
    exprs = _requirements(raw.get("matchExpressions"))
    fields = _requirements(raw.get("matchFields"))
    if not exprs and not fields:
        return None
    valid = all(r.label_error() is None for r in exprs) and all(
        r.field_error() is None for r in fields)
    return Term(exprs, fields, valid)


@dataclass(frozen=True)
class NodeFilter:
    """Everything about a pod template that decides which nodes it may run on.

    Equal filters give equal answers, so results are cached per filter: the many
    workloads of a chart that share a node selector are matched against the nodes once.
    ``terms`` None means no required node affinity.
    """

    selector: tuple[tuple[str, str], ...]
    terms: tuple[Term, ...] | None
    tolerations: tuple[Toleration, ...]
    node_name: str | None = None

    def uses_identity(self) -> bool:
        """Whether the answer can differ between nodes with the same labels and taints
        (it names a node or reads the per-node hostname label)."""
        if self.node_name is not None or any(k == HOSTNAME_LABEL for k, _ in self.selector):
            return True
        return any(
            t.fields or any(r.key == HOSTNAME_LABEL for r in t.expressions)
            for t in self.terms or ()
        )

    def selects(self, name: str, labels: Mapping[str, str]) -> bool:
        """NodeAffinity (and ``spec.nodeName``): the labels and name fit, taints aside."""
        if self.node_name is not None and self.node_name != name:
            return False
        if any(labels.get(k) != v for k, v in self.selector):
            return False
        if self.terms is None:
            return True
        return any(t.matches(name, labels) for t in self.terms)

    def blocking(self, taints: Iterable[Taint]) -> tuple[Taint, ...]:
        """The NoSchedule/NoExecute taints that keep the pod off the node."""
        return untolerated(taints, self.tolerations, BLOCKING_EFFECTS)

    def avoided(self, taints: Iterable[Taint]) -> tuple[Taint, ...]:
        """The PreferNoSchedule taints the pod does not tolerate (a preference only)."""
        return untolerated(taints, self.tolerations, frozenset({PREFER_NO_SCHEDULE}))

    def without_exclusions(self) -> NodeFilter:
        """The filter with every ``NotIn`` node affinity requirement dropped: where the pods
        would run if nothing set nodes aside (helm-toolkit's per-host DaemonSets exclude
        the nodes of every host and label rule from the default one so)."""
        if self.terms is None:
            return self
        terms = tuple(replace(t, expressions=tuple(r for r in t.expressions
                                                   if r.operator != "NotIn"))
                      for t in self.terms)
        return replace(self, terms=terms)

    def describe(self) -> str:
        """The filter in a finding's words."""
        parts = [", ".join(f"{k}={v}" for k, v in self.selector)] if self.selector else []
        if self.terms is not None:
            parts.append("required node affinity")
        if self.node_name is not None:
            parts.append(f"nodeName {self.node_name}")
        return "; ".join(parts) or "no node selector"


def node_filter(spec: Mapping[str, Any], *, daemonset: bool = False) -> NodeFilter:
    """The filter of a pod spec; DaemonSet pods carry the controller's tolerations too."""
    raw_selector = spec.get("nodeSelector") or {}
    selector = tuple(sorted((str(k), _text(v)) for k, v in raw_selector.items())) \
        if isinstance(raw_selector, Mapping) else ()
    terms: tuple[Term, ...] | None = None
    affinity = spec.get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    required = (node_affinity or {}).get("requiredDuringSchedulingIgnoredDuringExecution") \
        if isinstance(node_affinity, Mapping) else None
    if isinstance(required, Mapping):
        raw_terms = required.get("nodeSelectorTerms") or ()
        parsed = (parse_term(t) for t in raw_terms if isinstance(t, Mapping))
        terms = tuple(t for t in parsed if t is not None)
    tolerations = parse_tolerations(spec.get("tolerations"))
    if daemonset:
        extra = DAEMONSET_TOLERATIONS + (
            (HOST_NETWORK_DAEMONSET_TOLERATION,) if spec.get("hostNetwork") is True else ())
        tolerations += tuple(t for t in extra if t not in tolerations)
    node_name = spec.get("nodeName")
    return NodeFilter(selector, terms, tolerations,
                      _text(node_name) if node_name else None)


def preferred_terms(spec: Mapping[str, Any]) -> tuple[Term, ...]:
    """The preferred node affinity terms that count (non-zero weight, not empty, parsed)."""
    affinity = spec.get("affinity")
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    raw = node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") \
        if isinstance(node_affinity, Mapping) else None
    out = []
    for item in raw or ():
        if isinstance(item, Mapping) and item.get("weight") and isinstance(
                item.get("preference"), Mapping):
            term = parse_term(item["preference"])
            if term is not None and term.valid:
                out.append(term)
    return tuple(out)


# --- label selectors (pod anti-affinity, Services, dependencies) ------------------------


@dataclass(frozen=True)
class LabelSelector:
    """A ``metav1.LabelSelector``: ``matchLabels`` ANDed with ``matchExpressions``.

    ``valid`` False (a bad operator, say) selects nothing, as ``LabelSelectorAsSelector``
    fails and callers treat that as no match.
    """

    match_labels: tuple[tuple[str, str], ...]
    expressions: tuple[Requirement, ...]
    valid: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.valid:
            return False
        if any(labels.get(k) != v for k, v in self.match_labels):
            return False
        return all(r.matches_labels(labels) for r in self.expressions)


_SELECTOR_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def label_selector(raw: Any) -> LabelSelector | None:
    """A label selector, or None when null (which selects nothing in an affinity term)."""
    if not isinstance(raw, Mapping):
        return None
    ml = raw.get("matchLabels") or {}
    match_labels = tuple(sorted((str(k), _text(v)) for k, v in ml.items())) \
        if isinstance(ml, Mapping) else ()
    exprs = _requirements(raw.get("matchExpressions"))
    valid = all(r.operator in _SELECTOR_OPERATORS and r.label_error() is None for r in exprs)
    return LabelSelector(match_labels, exprs, valid)


def selector_of(labels: Mapping[str, str]) -> LabelSelector:
    """The selector matching exactly these labels (a Service selector, a pod dependency)."""
    return LabelSelector(tuple(sorted(labels.items())), ())


# --- pod anti-affinity and host ports -----------------------------------------------------

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class PodAffinityTerm:
    """A ``podAffinityTerm``: which pods (labels, namespaces) in which topology domain."""

    selector: LabelSelector | None
    namespaces: tuple[str, ...]
    namespace_selector: LabelSelector | None
    topology_key: str
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()

    def matches_self(self, labels: Mapping[str, str], namespace: str) -> bool:
        """Whether the term selects pods of its own template (so replicas repel each other).

        Namespaces as the scheduler reads them: none listed and no namespaceSelector means
        the pod's own; a namespaceSelector sees the ``kubernetes.io/metadata.name`` label
        every namespace carries. ``matchLabelKeys`` add ``key in (own value)``,
        ``mismatchLabelKeys`` ``key notin (own value)``.
        """
        if self.selector is None or not self.selector.matches(labels):
            return False
        # matchLabelKeys add `key in (own value)`: always true of the pod itself.
        if any(k in labels for k in self.mismatch_label_keys):
            return False
        if not self.namespaces and self.namespace_selector is None:
            return True
        if namespace in self.namespaces:
            return True
        return self.namespace_selector is not None and self.namespace_selector.matches(
            {NAMESPACE_NAME_LABEL: namespace})


def _pod_term(raw: Mapping[str, Any]) -> PodAffinityTerm | None:
    key = _text(raw.get("topologyKey"))
    if not key:
        return None
    namespaces = raw.get("namespaces") or ()
    return PodAffinityTerm(
        selector=label_selector(raw.get("labelSelector")),
        namespaces=tuple(_text(n) for n in namespaces) if isinstance(namespaces, list) else (),
        namespace_selector=label_selector(raw.get("namespaceSelector")),
        topology_key=key,
        match_label_keys=tuple(_text(k) for k in raw.get("matchLabelKeys") or ()),
        mismatch_label_keys=tuple(_text(k) for k in raw.get("mismatchLabelKeys") or ()),
    )


def anti_affinity(spec: Mapping[str, Any]) -> tuple[tuple[PodAffinityTerm, ...],
                                                       tuple[PodAffinityTerm, ...]]:
    """The pod's (required, preferred) anti-affinity terms."""
    affinity = spec.get("affinity")
    anti = affinity.get("podAntiAffinity") if isinstance(affinity, Mapping) else None
    if not isinstance(anti, Mapping):
        return (), ()
    required = tuple(
        t for t in (_pod_term(r) for r in anti.get("requiredDuringSchedulingIgnoredDuringExecution")
                    or () if isinstance(r, Mapping)) if t is not None)
    preferred = tuple(
        t for t in (_pod_term(p.get("podAffinityTerm") or {})
                    for p in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
                    if isinstance(p, Mapping) and p.get("weight"))
        if t is not None)
    return required, preferred


HostPort = tuple[str, str, int]  # (host IP, protocol, port)
ANY_IP = "0.0.0.0"


def host_ports(spec: Mapping[str, Any]) -> frozenset[HostPort]:
    """The host ports the pod claims (NodePorts filter, ``pkg/scheduler/util``
    ``GetHostPorts``: containers and sidecar init containers, restartPolicy Always). With
    ``hostNetwork`` the API server defaults every such port's ``hostPort`` to its
    ``containerPort`` (``pkg/apis/core/v1/defaults.go``)."""
    host_network = spec.get("hostNetwork") is True
    containers = [c for c in spec.get("containers") or () if isinstance(c, Mapping)]
    containers += [c for c in spec.get("initContainers") or ()
                   if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"]
    out: set[HostPort] = set()
    for c in containers:
        for p in c.get("ports") or ():
            if not isinstance(p, Mapping):
                continue
            port = p.get("hostPort") or (p.get("containerPort") if host_network else None)
            if isinstance(port, int) and port > 0:
                out.add((_text(p.get("hostIP")) or ANY_IP, _text(p.get("protocol")) or "TCP",
                         port))
    return frozenset(out)


def ports_conflict(a: frozenset[HostPort], b: frozenset[HostPort]) -> tuple[HostPort, ...]:
    """The ports of ``a`` that ``b`` also claims (same protocol and port, same or any IP)."""
    return tuple(sorted(
        p for p in a
        if any(p[1:] == q[1:] and (p[0] == q[0] or ANY_IP in (p[0], q[0])) for q in b)
    ))
