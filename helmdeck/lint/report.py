"""Findings as text (`file:line: RULE message`), JSON, or SARIF 2.1.0 for code-scanning UIs."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

from helmdeck.lint.model import Finding, Severity
from helmdeck.lint.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def as_text(findings: list[Finding]) -> str:
    """``file:line: severity RULE message`` per finding, then a one-line summary by severity
    (nothing at all for a clean chart, as linters do)."""
    if not findings:
        return ""
    lines = [f"{f.file}:{f.line}: {f.severity.label} {f.rule} {f.message}\n" for f in findings]
    counts = [(s, sum(1 for f in findings if f.severity is s)) for s in SARIF_LEVEL]
    summary = ", ".join(f"{n} {s.label}{'s' if n != 1 and s is not Severity.INFO else ''}"
                        for s, n in counts)
    return "".join(lines) + f"lint: {summary}\n"


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2) + "\n"


def _tool_version() -> str:
    try:
        return version("helmdeck")
    except PackageNotFoundError:
        return "0"


def as_sarif(findings: list[Finding]) -> str:
    ids = sorted(RULES)
    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.rationale},
            "help": {"text": f"Fix: {r.fix}"},
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
        }
        for r in (RULES[i] for i in ids)
    ]
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": ids.index(f.rule),
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file},
                        "region": {"startLine": max(f.line, 1)},
                    }
                }
            ],
        }
        for f in findings
    ]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "helmdeck-lint",
                        "version": _tool_version(),
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


FORMATS = {"text": as_text, "json": as_json, "sarif": as_sarif}
