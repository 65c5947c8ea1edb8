"""The placement matcher against kube-scheduler's semantics.

Explicit cases pin every operator and effect; hypothesis then compares the engine (node
classes, cached filters, parsed terms) with ``naive_fits`` below, a deliberately plain
transcription of the Kubernetes code written without any of the engine's machinery.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helmdeck.verify import Node, Taint
from helmdeck.verify.predict import NodeIndex
from helmdeck.verify.scheduling import (
    DAEMONSET_TOLERATIONS,
    Toleration,
    node_filter,
    parse_int64,
)

# --- the naive reference ------------------------------------------------------------------

LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def go_int(s: str) -> int | None:
    """strconv.ParseInt(s, 10, 64), spelt out."""
    body = s[1:] if s[:1] in "+-" else s
    if not body or any(c not in "0123456789" for c in body):
        return None
    n = int(s)
    return n if -(2**63) <= n <= 2**63 - 1 else None


def valid_key(k: str) -> bool:
    if "/" in k:
        prefix, name = k.split("/", 1)
        ok_prefix = bool(prefix) and len(prefix) <= 253 and all(
            re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", p) for p in prefix.split("."))
        return ok_prefix and len(name) <= 63 and bool(LABEL_NAME.match(name))
    return len(k) <= 63 and bool(LABEL_NAME.match(k))


def expr_ok(e: dict[str, Any]) -> bool:
    op, vals = e.get("operator"), e.get("values") or []
    if not valid_key(e["key"]):
        return False
    if op in ("In", "NotIn"):
        good = len(vals) > 0
    elif op in ("Exists", "DoesNotExist"):
        good = len(vals) == 0
    elif op in ("Gt", "Lt"):
        good = len(vals) == 1 and go_int(vals[0]) is not None
    else:
        return False
    return good and all(len(v) <= 63 and LABEL_VALUE.match(v) for v in vals)


def expr_match(e: dict[str, Any], labels: dict[str, str]) -> bool:
    op, k, vals = e["operator"], e["key"], e.get("values") or []
    has = k in labels
    if op == "In":
        return has and labels[k] in vals
    if op == "NotIn":
        return not has or labels[k] not in vals
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if not has or go_int(labels[k]) is None:
        return False
    a, b = go_int(labels[k]), go_int(vals[0])
    assert a is not None and b is not None
    return a > b if op == "Gt" else a < b


def field_ok(e: dict[str, Any]) -> bool:
    return e.get("operator") in ("In", "NotIn") and len(e.get("values") or []) == 1


def field_match(e: dict[str, Any], name: str) -> bool:
    value = name if e["key"] == "metadata.name" else ""
    same = value == e["values"][0]
    return same if e["operator"] == "In" else not same


def term_match(t: dict[str, Any], node: Node) -> bool:
    exprs, fields = t.get("matchExpressions") or [], t.get("matchFields") or []
    if not all(expr_ok(e) for e in exprs) or not all(field_ok(f) for f in fields):
        return False
    return all(expr_match(e, dict(node.labels)) for e in exprs) and all(
        field_match(f, node.name) for f in fields)


def tolerates(tol: dict[str, str], taint: Taint) -> bool:
    if tol.get("effect") and tol["effect"] != taint.effect:
        return False
    if tol.get("key") and tol["key"] != taint.key:
        return False
    op = tol.get("operator", "")
    if op in ("", "Equal"):
        return tol.get("value", "") == taint.value
    if op == "Exists":
        return True
    if op in ("Lt", "Gt"):
        a, b = go_int(tol.get("value", "")), go_int(taint.value)
        if a is None or b is None:
            return False
        return b < a if op == "Lt" else b > a
    return False


def naive_fits(pod: dict[str, Any], node: Node, daemonset: bool = False) -> bool:
    """kube-scheduler's NodeAffinity + TaintToleration filters for one node."""
    if any(node.labels.get(k) != v for k, v in (pod.get("nodeSelector") or {}).items()):
        return False
    req = ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if req is not None:
        terms = [t for t in req.get("nodeSelectorTerms") or []
                 if t.get("matchExpressions") or t.get("matchFields")]
        if not any(term_match(t, node) for t in terms):
            return False
    tols = list(pod.get("tolerations") or [])
    if daemonset:
        tols += [{"key": t.key, "operator": "Exists", "effect": t.effect}
                 for t in DAEMONSET_TOLERATIONS]
    for taint in node.taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not any(
                tolerates(t, taint) for t in tols):
            return False
    return True


# --- explicit cases -------------------------------------------------------------------------

NODE = Node("n1", {"a": "1", "b": "x", "kubernetes.io/hostname": "n1"}, ())


def fits(pod: dict[str, Any], node: Node = NODE, daemonset: bool = False) -> bool:
    f = node_filter(pod, daemonset=daemonset)
    return f.selects(node.name, node.labels) and not f.blocking(node.taints)


def affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}}


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return {"matchExpressions": [e]}


@pytest.mark.parametrize(("term", "expected"), [
    (expr("a", "In", "1", "2"), True),
    (expr("a", "In", "2"), False),
    (expr("zz", "In", "1"), False),
    (expr("a", "NotIn", "2"), True),
    (expr("a", "NotIn", "1"), False),
    (expr("zz", "NotIn", "1"), True),  # a missing label is not in any set
    (expr("a", "Exists"), True),
    (expr("zz", "Exists"), False),
    (expr("zz", "DoesNotExist"), True),
    (expr("a", "DoesNotExist"), False),
    (expr("a", "Gt", "0"), True),
    (expr("a", "Gt", "1"), False),
    (expr("a", "Lt", "2"), True),
    (expr("a", "Lt", "1"), False),
    (expr("b", "Gt", "0"), False),  # the node's label is not an integer
    (expr("zz", "Lt", "9"), False),
    (expr("a", "Gt", "x"), False),  # the requirement does not parse: the term matches nothing
    (expr("a", "In"), False),  # In without values does not parse
    (expr("a", "Exists", "1"), False),  # Exists with values does not parse
    (expr("a", "Bogus", "1"), False),
    (expr("a", "In", "bad value"), False),  # not a label value
    ({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}, True),
    ({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}, False),
    ({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n2"]}]}, True),
    ({"matchFields": [{"key": "metadata.name", "operator": "Exists"}]}, False),
    ({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1", "n2"]}]},
     False),
])
def test_every_operator(term: dict[str, Any], expected: bool) -> None:
    assert fits(affinity(term)) is expected


def test_terms_are_ored_and_expressions_anded() -> None:
    both = {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]},
                                 {"key": "b", "operator": "In", "values": ["y"]}]}
    assert not fits(affinity(both))
    assert fits(affinity(both, expr("b", "In", "x")))
    # an empty term is dropped; a required affinity of only empty terms matches nothing
    assert not fits(affinity({}))
    assert fits(affinity({}, expr("a", "Exists")))
    assert not fits(affinity())


def test_node_selector_and_node_name() -> None:
    assert fits({"nodeSelector": {"a": "1"}})
    assert not fits({"nodeSelector": {"a": "1", "b": "y"}})
    assert fits({"nodeSelector": {"kubernetes.io/hostname": "n1"}})
    assert not fits({"nodeName": "n2"})
    assert fits({"nodeName": "n1", "nodeSelector": {"a": "1"}})


def tainted(*taints: Taint) -> Node:
    return Node("t", {}, taints)


@pytest.mark.parametrize(("effect", "blocks"), [
    ("NoSchedule", True), ("NoExecute", True), ("PreferNoSchedule", False)])
def test_effects(effect: str, blocks: bool) -> None:
    node = tainted(Taint("k", "v", effect))
    assert fits({}, node) is not blocks
    if effect == "PreferNoSchedule":
        assert node_filter({}).avoided(node.taints) == node.taints


@pytest.mark.parametrize(("toleration", "tolerated"), [
    ({"operator": "Exists"}, True),  # empty key + Exists tolerates everything
    ({"key": "k", "operator": "Exists"}, True),
    ({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "k", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "k", "operator": "Equal", "value": "v"}, True),
    ({"key": "k", "value": "v"}, True),  # empty operator means Equal
    ({"key": "k", "operator": "Equal", "value": "w"}, False),
    ({"key": "k", "operator": "Equal"}, False),  # Equal to "" against value v
    ({"key": "other", "operator": "Exists"}, False),
    ({"operator": "Equal", "value": "v"}, True),  # empty key, Equal: any key, that value
    ({"key": "k", "operator": "Lt", "value": "9"}, False),  # v is not an integer
    ({"key": "k", "operator": "Bogus", "value": "v"}, False),
])
def test_tolerations(toleration: dict[str, str], tolerated: bool) -> None:
    node = tainted(Taint("k", "v", "NoSchedule"))
    assert fits({"tolerations": [toleration]}, node) is tolerated


@pytest.mark.parametrize(("op", "value", "tolerated"), [
    ("Lt", "10", True), ("Lt", "5", False), ("Gt", "4", True), ("Gt", "5", False)])
def test_numeric_tolerations(op: str, value: str, tolerated: bool) -> None:
    node = tainted(Taint("gpu", "5", "NoSchedule"))
    pod = {"tolerations": [{"key": "gpu", "operator": op, "value": value}]}
    assert fits(pod, node) is tolerated


def test_every_taint_must_be_tolerated() -> None:
    node = tainted(Taint("a", "", "NoSchedule"), Taint("b", "", "NoExecute"))
    assert not fits({"tolerations": [{"key": "a", "operator": "Exists"}]}, node)
    assert fits({"tolerations": [{"key": "a", "operator": "Exists"},
                                 {"key": "b", "operator": "Exists"}]}, node)


def test_daemonset_default_tolerations() -> None:
    for key in ("not-ready", "unreachable"):
        node = tainted(Taint(f"node.kubernetes.io/{key}", "", "NoExecute"))
        assert fits({}, node, daemonset=True) and not fits({}, node)
    for key in ("disk-pressure", "memory-pressure", "pid-pressure", "unschedulable"):
        node = tainted(Taint(f"node.kubernetes.io/{key}", "", "NoSchedule"))
        assert fits({}, node, daemonset=True) and not fits({}, node)
    net = tainted(Taint("node.kubernetes.io/network-unavailable", "", "NoSchedule"))
    assert not fits({}, net, daemonset=True)
    assert fits({"hostNetwork": True}, net, daemonset=True)
    assert not fits({"hostNetwork": True}, net)
    other = tainted(Taint("species", "hypervisor", "NoSchedule"))
    assert not fits({}, other, daemonset=True)


def test_parse_int64_is_go_strconv() -> None:
    assert parse_int64("+5") == 5 and parse_int64("-0") == 0 and parse_int64("007") == 7
    assert parse_int64("1_000") is None and parse_int64(" 1") is None
    assert parse_int64("9223372036854775807") == 2**63 - 1
    assert parse_int64("9223372036854775808") is None


def test_toleration_text() -> None:
    assert Toleration("k", "Equal", "v", "NoSchedule").text() == "k=v:NoSchedule"
    assert Toleration("", "Exists", "", "").text() == "* Exists:*"


# --- property tests ---------------------------------------------------------------------

KEYS = ["a", "b", "zone", "kubernetes.io/hostname", "x/y", "bad key"]
VALUES = ["1", "2", "10", "x", "", "-3", "+4", "n0", "n1"]
EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
OPS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Bogus"]

values = st.sampled_from(VALUES)
labels = st.dictionaries(st.sampled_from(KEYS[:5]), values, max_size=4)
taint = st.builds(Taint, st.sampled_from(["k", "gpu", "node.kubernetes.io/unreachable"]),
                  values, st.sampled_from(EFFECTS))
requirement = st.fixed_dictionaries(
    {"key": st.sampled_from(KEYS), "operator": st.sampled_from(OPS)},
    optional={"values": st.lists(values, max_size=2)})
field = st.fixed_dictionaries(
    {"key": st.sampled_from(["metadata.name", "spec.x"]),
     "operator": st.sampled_from(["In", "NotIn", "Exists"])},
    optional={"values": st.lists(st.sampled_from(["n0", "n1", "n2"]), max_size=2)})
term = st.fixed_dictionaries({}, optional={
    "matchExpressions": st.lists(requirement, max_size=3),
    "matchFields": st.lists(field, max_size=1)})
toleration = st.fixed_dictionaries({}, optional={
    "key": st.sampled_from(["", "k", "gpu", "node.kubernetes.io/unreachable"]),
    "operator": st.sampled_from(["", "Equal", "Exists", "Lt", "Gt", "Bogus"]),
    "value": values,
    "effect": st.sampled_from(["", *EFFECTS])})
pod = st.fixed_dictionaries({}, optional={
    "nodeSelector": st.dictionaries(st.sampled_from(KEYS[:4]), values, max_size=2),
    "affinity": st.builds(lambda ts: {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": ts}}},
        st.lists(term, max_size=3)),
    "tolerations": st.lists(toleration, max_size=3),
    "hostNetwork": st.booleans()})


@st.composite
def node_sets(draw: st.DrawFn) -> list[Node]:
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        lab = draw(labels)
        if draw(st.booleans()):
            lab["kubernetes.io/hostname"] = f"n{i}"
        out.append(Node(f"n{i}", lab, tuple(draw(st.lists(taint, max_size=3)))))
    return out


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(pod, node_sets(), st.booleans())
def test_engine_matches_naive_reference(p: dict[str, Any], nodes: list[Node],
                                        daemonset: bool) -> None:
    f = node_filter(p, daemonset=daemonset)
    want = frozenset(n.name for n in nodes if naive_fits(p, n, daemonset))
    assert NodeIndex(nodes).fit(f).hosts == want
    for n in nodes:
        assert (f.selects(n.name, n.labels) and not f.blocking(n.taints)) == (n.name in want)


@settings(max_examples=300)
@given(toleration, taint)
def test_toleration_matches_naive_reference(tol: dict[str, str], t: Taint) -> None:
    ours = node_filter({"tolerations": [tol]}).tolerations[0]
    assert ours.tolerates(t) == tolerates(tol, t)


@settings(max_examples=200)
@given(pod, node_sets())
def test_blocked_and_fitting_hosts_partition_the_selected_ones(
        p: dict[str, Any], nodes: list[Node]) -> None:
    fit = NodeIndex(nodes).fit(node_filter(p))
    blocked = frozenset().union(*fit.blocked.values()) if fit.blocked else frozenset()
    assert not (blocked & fit.hosts)
    no_taints = {**p, "tolerations": [{"operator": "Exists"}]}
    assert blocked | fit.hosts == NodeIndex(nodes).fit(node_filter(no_taints)).hosts


# --- anti-affinity spread against brute force ---------------------------------------------

ZONE = "topology.kubernetes.io/zone"


def brute_cap(nodes: list[Node], keys: list[str]) -> int | None:
    """The most pods placeable with at most one per domain of each key, by trying every
    subset of nodes; None when a node outside every domain can take any number."""
    per_node = "kubernetes.io/hostname" in keys
    if not per_node and any(all(k not in n.labels for k in keys) for n in nodes):
        return None
    best = 0
    for mask in range(1 << len(nodes)):
        chosen = [n for i, n in enumerate(nodes) if mask >> i & 1]
        ok = all(
            len(vals) == len(set(vals))
            for k in keys
            for vals in [[n.labels[k] for n in chosen if k in n.labels]]
        )
        if ok:
            best = max(best, len(chosen))
    return best


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["az1", "az2", "az3", None]), min_size=1, max_size=7),
       st.sampled_from([[ZONE], ["kubernetes.io/hostname"], ["kubernetes.io/hostname", ZONE]]),
       st.integers(1, 8))
def test_spread_cap_is_the_maximum(zones: list[str | None], keys: list[str], want: int) -> None:
    nodes = [Node(f"n{i}", {"kubernetes.io/hostname": f"n{i}", **({ZONE: z} if z else {})}, ())
             for i, z in enumerate(zones)]
    index = NodeIndex(nodes)
    got = index.spread_cap([n.name for n in nodes], sorted(keys), want)
    expected = brute_cap(nodes, keys)
    if expected is None:  # unlimited; counting may stop once `want` fit
        assert got is None or got >= want
    else:
        assert got is not None and min(got, want) == min(expected, want)
