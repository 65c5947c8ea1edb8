"""Lint chart directories: expand the arguments, apply each chart's config, run every rule."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from helmdeck.errors import UserError
from helmdeck.lint.chart import LintChart
from helmdeck.lint.config import find_config, load_disabled
from helmdeck.lint.model import Finding
from helmdeck.lint.rendered import check_rendered
from helmdeck.lint.static import LIBRARY_CHECKS, STATIC_CHECKS


def chart_dirs(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(chart directories, skipped files).

    A directory without a Chart.yaml stands for the charts directly inside it; a plain file
    (a README picked up by ``charts/*``) is skipped rather than failing the whole run.
    """
    charts: list[Path] = []
    skipped: list[Path] = []
    for p in paths:
        if not p.exists():
            raise UserError(f"{p}: no such chart directory; give the path of a chart")
        if p.is_file():
            skipped.append(p)
        elif (p / "Chart.yaml").is_file():
            charts.append(p)
        else:
            inner = sorted(d for d in p.iterdir() if (d / "Chart.yaml").is_file())
            if not inner:
                raise UserError(f"{p}: not a chart directory (no Chart.yaml) and holds no charts")
            charts.extend(inner)
    return charts, skipped


def lint_chart(chart_dir: Path, disabled: frozenset[str] = frozenset()) -> list[Finding]:
    """Every finding for one chart, sorted by file and line, without disabled rules."""
    chart = LintChart(chart_dir)
    checks = LIBRARY_CHECKS if chart.is_library else (*STATIC_CHECKS, check_rendered)
    found = {f for check in checks for f in check(chart)}
    return sorted((f for f in found if f.rule not in disabled), key=_order)


def _order(f: Finding) -> tuple[str, str, int, str, str]:
    return (f.chart, f.file, f.line, f.rule, f.key)


def lint_paths(
    paths: Iterable[Path], config: Path | None = None
) -> tuple[list[Finding], list[Path]]:
    """(findings of every chart, skipped files). ``config`` overrides the per-chart lookup."""
    charts, skipped = chart_dirs(paths)
    forced = load_disabled(config) if config is not None else None
    findings: list[Finding] = []
    for d in charts:
        if forced is not None:
            disabled = forced
        else:
            found = find_config(d)
            disabled = load_disabled(found) if found else frozenset()
        findings.extend(lint_chart(d, disabled))
    return findings, skipped
