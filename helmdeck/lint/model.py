"""Rules and findings as plain values, so every output format reads the same data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that ``--fail-on`` is a comparison."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True)
class Rule:
    """One convention: what it is, why it matters and how to fix a chart that breaks it."""

    id: str
    name: str
    severity: Severity
    rationale: str
    fix: str


@dataclass(frozen=True, order=True)
class Finding:
    """One place where a chart breaks a rule.

    ``key`` is what the finding is about (a values key such as ``labels.job``, a workload
    ``Kind/name`` or a define name); it identifies the finding independently of its wording.
    """

    chart: str
    file: str
    line: int
    rule: str
    key: str
    message: str
    severity: Severity

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "chart": self.chart,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }
