"""Findings as a table for people, JSON for scripts, and SARIF 2.1.0 for code-scanning UIs."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from helmdeck.verify.model import Finding
from helmdeck.verify.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "helmdeck-verify"


def _name(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return rule.name if rule else ""


def to_json(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """One dict per finding, in the findings' order (``hosts`` and ``source`` only when
    known)."""
    out = []
    for f in findings:
        row: dict[str, Any] = {
            "rule": f.rule, "name": _name(f.rule), "severity": f.severity,
            "release": f.release, "chart": f.chart, "object": f.object,
            "reason": f.reason, "fix": f.fix,
        }
        if f.hosts:
            row["hosts"] = list(f.hosts)
        if f.source:
            row["source"] = f.source
        out.append(row)
    return out


def to_table(findings: Sequence[Finding]) -> str:
    """Aligned columns (severity, rule, release, object), the reason, the fix below it,
    and a count line; "no findings" when there are none."""
    if not findings:
        return "verify: no findings\n"
    heads = [(f.severity, f"{f.rule} {_name(f.rule)}", f.release, f.object) for f in findings]
    widths = [max(len(h[i]) for h in heads) for i in range(4)]
    lines = []
    for h, f in zip(heads, findings, strict=True):
        cols = "  ".join(c.ljust(w) for c, w in zip(h, widths, strict=True))
        lines.append(f"{cols}  {f.reason}")
        lines.append(f"{' ' * (widths[0] + 2)}fix: {f.fix}")
    errors = sum(1 for f in findings if f.severity == "error")
    lines.append(f"verify: {errors} error(s), {len(findings) - errors} warning(s)")
    return "\n".join(lines) + "\n"


def _tool_version() -> str:
    try:
        return version("helmdeck")
    except PackageNotFoundError:
        return "0"


def _location(f: Finding) -> dict[str, Any]:
    loc: dict[str, Any] = {"logicalLocations": [{
        "name": f.object, "fullyQualifiedName": f"{f.release}/{f.object}", "kind": "object"}]}
    if f.source:
        loc["physicalLocation"] = {"artifactLocation": {"uri": f.source}}
    return loc


def to_sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log: every rule in ``tool.driver.rules``, one result per finding with
    its rule, level, message (reason and fix) and a logical location naming the object
    (fully qualified ``release/Kind/namespace/name``), plus the template as a physical
    location when known (code-scanning UIs file results under it)."""
    ids = sorted(RULES)
    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "defaultConfiguration": {"level": r.severity},
        }
        for r in (RULES[i] for i in ids)
    ]
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": ids.index(f.rule),
            "level": f.severity,
            "message": {"text": f"{f.reason}. Fix: {f.fix}"},
            "locations": [_location(f)],
            "properties": {"release": f.release, "chart": f.chart,
                           **({"hosts": list(f.hosts)} if f.hosts else {})},
        }
        for f in findings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": _tool_version(), "rules": rules}},
            "results": results,
        }],
    }
