"""The plain data verify works on: nodes, rendered releases, options, rules and findings.

Everything here is a frozen value built from ordinary Python data, so the engine can be fed
from a live render, from files on disk or from a test, and gives the same answer for the
same input. Nothing in this package talks to Helm or to a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from helmdeck.errors import UserError

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


class Taint(NamedTuple):
    """A node taint; a plain ``(key, value, effect)`` tuple is one too."""

    key: str
    value: str
    effect: str

    def text(self) -> str:
        """``key=value:Effect`` (``key:Effect`` without a value), as kubectl writes it."""
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


@dataclass(frozen=True)
class Node:
    """A node as the scheduler sees it: its name, every label (Kubernetes' own included) and
    its taints. Not hashable (labels is a dict): index nodes by name."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    taints: tuple[Taint, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """One release's render: every manifest document, parsed (NOTES.txt and empty ones left
    out). ``namespace`` is the release namespace, where objects without their own go.
    ``sources``, when given, is each document's template path (same order), which findings
    and SARIF point at."""

    chart: str
    release: str
    namespace: str
    documents: tuple[Mapping[str, Any], ...]
    sources: tuple[str, ...] = ()


# The kinds of object an operator can declare as provided outside the application.
EXTERNAL_KINDS = (
    "services",
    "secrets",
    "configmaps",
    "serviceaccounts",
    "persistentvolumeclaims",
    "jobs",
    "daemonsets",
    "pods",
    "custom_resources",
)


@dataclass(frozen=True)
class External:
    """Objects that exist outside the application's renders (made by another tool, by hand,
    or at run time by a job), so a reference to them is not a finding.

    Each entry is ``name`` (in any namespace) or ``namespace/name``; for ``pods`` it is a
    ``key=value,key=value`` label set; for ``custom_resources`` it is ``Kind/name`` or
    ``Kind/namespace/name``.
    """

    services: frozenset[str] = frozenset()
    secrets: frozenset[str] = frozenset()
    configmaps: frozenset[str] = frozenset()
    serviceaccounts: frozenset[str] = frozenset()
    persistentvolumeclaims: frozenset[str] = frozenset()
    jobs: frozenset[str] = frozenset()
    daemonsets: frozenset[str] = frozenset()
    pods: frozenset[str] = frozenset()
    custom_resources: frozenset[str] = frozenset()

    def has(self, kind: str, namespace: str, name: str) -> bool:
        """Whether ``name`` in ``namespace`` is declared under ``kind`` (a field name)."""
        declared: frozenset[str] = getattr(self, kind)
        return name in declared or f"{namespace}/{name}" in declared

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any] | None, *, where: str = "external") -> External:
        """``{services: [...], secrets: [...], ...}`` as a site or a file writes it.

        Unknown keys and non-string entries are a user mistake (exit 2): a misspelt kind
        would silently declare nothing and the findings would stay.
        """
        if not doc:
            return cls()
        if not isinstance(doc, Mapping):
            raise UserError(f"{where}: expected a mapping of kinds to lists of names")
        unknown = sorted(set(map(str, doc)) - set(EXTERNAL_KINDS))
        if unknown:
            raise UserError(f"{where}.{unknown[0]}: unknown kind; use one of "
                            f"{', '.join(EXTERNAL_KINDS)}")
        return cls(**{str(k): _names(v, f"{where}.{k}") for k, v in doc.items()})


def _names(value: Any, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{where}: expected a list of names")
    return frozenset(value)


@dataclass(frozen=True)
class Options:
    """What verify needs to know about the site besides its nodes.

    ``registry``: the image mirror (``spec.registry``) or None; ``storage_class``: the class
    every claim must use (``spec.storage.class_name``) or None not to check; ``roles``: host
    names per role, only used to say in a finding which role a host has.

    ``storage_classes`` describes the cluster rather than the site: the classes whose claims
    get bound there (None: assume every claim that exists binds), with
    ``default_storage_class`` given to claims that name none. Set them to predict Pending
    pods on a cluster whose storage is known, such as the test cluster.
    """

    registry: str | None = None
    storage_class: str | None = None
    external: External = External()
    roles: Mapping[str, frozenset[str]] | None = None
    storage_classes: frozenset[str] | None = None
    default_storage_class: str | None = None


@dataclass(frozen=True)
class Rule:
    """One check: a stable ID, a short name, its severity and what it is about."""

    id: str
    name: str
    severity: Severity
    summary: str


@dataclass(frozen=True)
class Finding:
    """One problem with one object of one release.

    ``object`` is ``Kind/namespace/name`` (``Kind/name`` for cluster-scoped kinds);
    ``hosts`` lists the hosts the finding is about, when it is about some (sorted);
    ``source`` is the template that rendered the object (``chart/templates/x.yaml``), when
    known.
    """

    rule: str
    severity: Severity
    release: str
    chart: str
    object: str
    reason: str
    fix: str
    hosts: tuple[str, ...] = ()
    source: str = ""

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        """Errors first, then by release, object and rule: stable whatever the rule order."""
        return (SEVERITIES.index(self.severity), self.release, self.object, self.rule,
                self.reason, self.chart)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings without duplicates, in their one deterministic order."""
    return sorted(set(findings), key=Finding.sort_key)
