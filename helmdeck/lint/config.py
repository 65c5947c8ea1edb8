"""`.helmdeck-lint.yaml`: which rules a chart (or a tree of charts) opts out of.

The nearest file wins, looked up from the chart directory upwards, so a repository can set
a policy at its root and a chart can refine it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helmdeck.errors import UserError
from helmdeck.lint.rules import RULES

CONFIG_NAME = ".helmdeck-lint.yaml"
KNOWN_KEYS = {"disable"}


def find_config(chart_dir: Path) -> Path | None:
    for d in (chart_dir.resolve(), *chart_dir.resolve().parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_disabled(path: Path) -> frozenset[str]:
    """The rule IDs ``path`` disables; a typo in a rule ID is an error, not a silent no-op."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror}); fix the path") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{path}{where}: not valid YAML; fix the file") from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: expected a map with `disable: [OSH0xx, ...]`")
    unknown = sorted(set(map(str, doc)) - KNOWN_KEYS)
    if unknown:
        raise UserError(f"{path}: unknown key {unknown[0]!r}; only `disable` is supported")
    disable = doc.get("disable") or []
    if not isinstance(disable, list):
        raise UserError(f"{path}: disable must be a list of rule IDs, e.g. [OSH013]")
    ids = [str(x).upper() for x in disable]
    bad = [i for i in ids if i not in RULES]
    if bad:
        raise UserError(
            f"{path}: unknown rule {bad[0]}; known rules are {', '.join(sorted(RULES))}"
        )
    return frozenset(ids)
