"""The DaemonSets helm-toolkit makes from per-host overrides, computed without rendering.

openstack-helm's per-host mechanism (``helm-toolkit.utils.daemonset_overrides`` and
``daemonset_overrides_root``) turns each host or label rule into a DaemonSet of its own plus a
default one, each named after a hash of its node selector terms. Knowing those names and
terms from the values alone is what lets ``plan`` say which DaemonSets (and nodes) a change
rolls, and the bench count DaemonSets, without asking Helm. The tests render the real templates
and check every name and term here against them.

The two forms:

* ``conf`` — ``conf.overrides.<chart>_<ds>: {hosts: [{name, conf}], labels: [{label: {key,
  values}, conf}]}``: a host rule beats a label rule, the last matching label rule wins, names
  are ``<chart>-<ds>-<host[:20] | label key | default>-<sha256(terms)[:8]>``.
* ``root`` — ``overrides.<chart>_<ds>.labels."<key>::<value>".values``: every rule excludes
  every other one, names are ``<chart>-<ds>-<sha256(terms)[:16]>`` and ``<chart>-<ds>-default``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

HOSTNAME = "kubernetes.io/hostname"
Term = dict[str, Any]  # one matchExpressions entry: {key, operator, values}


class Form(Enum):
    """Which of helm-toolkit's per-host mechanisms a chart's DaemonSet uses."""

    CONF = "conf"  # conf.overrides.<key>: hosts and labels, only conf differs
    ROOT = "root"  # overrides.<key>.labels."k::v".values: labels only, any value differs


@dataclass(frozen=True)
class RuleDaemonSet:
    """One DaemonSet helm-toolkit generates: its name, node selector terms and overrides.

    ``rule`` is ``host``, ``label`` or ``default``; ``label`` the ``(key, values)`` it selects on;
    ``terms`` None means no node affinity at all (no overrides for this DaemonSet).
    """

    name: str
    rule: str
    terms: tuple[Term, ...] | None
    overrides: Mapping[str, Any]
    label: tuple[str, tuple[str, ...]] | None = None


def _go(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for the YAML data helm-toolkit formats."""
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_go(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _go_quote(text: str) -> str:
    """``strconv.Quote`` for printable ASCII and the escapes it needs."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def terms_hash(terms: tuple[Term, ...] | list[Term], length: int) -> str:
    """``$terms | quote | sha256sum | trunc N``, as helm-toolkit names a DaemonSet."""
    return hashlib.sha256(_go_quote(_go(list(terms))).encode()).hexdigest()[:length]


def _dns(text: str) -> str:
    return text.lower().replace("_", "-")


def _label_terms(label: Mapping[str, Any], operator: str) -> Term:
    term = {k: v for k, v in label.items() if k != "NULL"}
    term["operator"] = operator
    return term


def _host_term(name: str, operator: str) -> Term:
    return {"key": HOSTNAME, "operator": operator, "values": [name]}


def conf_daemonsets(key: str, values: Mapping[str, Any]) -> list[RuleDaemonSet]:
    """The DaemonSets of ``daemonset_overrides`` for ``conf.overrides.<key>`` in ``values``."""
    root = _dns(key)
    overrides = (values.get("conf") or {}).get("overrides") or {}
    if key not in overrides:
        return [RuleDaemonSet(f"{root}-default", "default", None, {})]
    spec = overrides[key] or {}
    hosts = list(spec.get("hosts") or [])
    labels = list(spec.get("labels") or [])
    out: list[RuleDaemonSet] = []
    for host in hosts:
        only: tuple[Term, ...] = (_host_term(str(host["name"]), "In"),)
        out.append(RuleDaemonSet(f"{root}-{_dns(str(host['name'])[:20])}-{terms_hash(only, 8)}",
                                 "host", only, {"conf": host.get("conf") or {}}))
    remaining = list(labels)
    for rule in labels:
        remaining = [r for r in remaining if r != rule]
        label = rule["label"]
        terms_list = [_label_terms(label, "In")]
        terms_list += [_label_terms(other["label"], "NotIn") for other in remaining]
        terms_list += [_host_term(str(h["name"]), "NotIn") for h in hosts]
        terms = tuple(terms_list)
        selected = (str(label["key"]), tuple(str(v) for v in label.get("values") or ()))
        out.append(RuleDaemonSet(f"{root}-{_dns(str(label['key']))}-{terms_hash(terms, 8)}",
                                 "label", terms, {"conf": rule.get("conf") or {}}, selected))
    default: list[Term] = [_host_term(str(h["name"]), "NotIn") for h in hosts]
    default += [_label_terms(r["label"], "NotIn") for r in labels]
    out.append(RuleDaemonSet(f"{root}-default-{terms_hash(default, 8)}", "default",
                             tuple(default), {}))
    return out


def _split(label: str) -> tuple[str, str]:
    name, _, value = label.partition("::")
    return name, value


def root_daemonsets(key: str, values: Mapping[str, Any]) -> list[RuleDaemonSet]:
    """The DaemonSets of ``daemonset_overrides_root`` for ``overrides.<key>`` in ``values``."""
    root = _dns(key)
    spec = (values.get("overrides") or {}).get(key)
    if spec is None:
        return [RuleDaemonSet(f"{root}-default", "default", None, {})]
    labels: Mapping[str, Any] = spec.get("labels") or {}
    out: list[RuleDaemonSet] = []
    for lname in sorted(labels):
        name, value = _split(lname)
        terms_list: list[Term] = [{"key": name, "operator": "In", "values": [value]}]
        for other in sorted(labels):
            if other != lname:
                k, v = _split(other)
                terms_list.append({"key": k, "operator": "NotIn", "values": [v]})
        terms = tuple(terms_list)
        body = (labels[lname] or {}).get("values") or {}
        out.append(RuleDaemonSet(_dns(f"{root}-{terms_hash(terms, 16)}"), "label", terms, body,
                                 (name, (value,))))
    if spec.get("overrides_default", True):
        default = tuple({"key": _split(lname)[0], "operator": "NotIn",
                         "values": [_split(lname)[1]]} for lname in sorted(labels))
        out.append(RuleDaemonSet(f"{root}-default", "default", default, {}))
    return out


def daemonsets(form: Form, key: str, values: Mapping[str, Any]) -> list[RuleDaemonSet]:
    """Every DaemonSet helm-toolkit makes for ``key`` from the chart's ``values``."""
    return conf_daemonsets(key, values) if form is Form.CONF else root_daemonsets(key, values)


def term_matches(term: Term, node: str, labels: Mapping[str, str]) -> bool:
    """A nodeSelectorRequirement (In / NotIn / Exists / DoesNotExist) against one node."""
    key, op = term["key"], term["operator"]
    have = node if key == HOSTNAME and key not in labels else labels.get(key)
    wanted = [str(v) for v in term.get("values") or ()]
    if op == "In":
        return have is not None and have in wanted
    if op == "NotIn":
        return have is None or have not in wanted
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    raise ValueError(f"unsupported node selector operator {op}")


def runs_on(ds: RuleDaemonSet, node: str, labels: Mapping[str, str]) -> bool:
    """Whether the DaemonSet's node affinity admits the node (its base nodeSelector aside)."""
    return ds.terms is None or all(term_matches(t, node, labels) for t in ds.terms)
