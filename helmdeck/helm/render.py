"""Rendering and schema validation with Helm's own engine (``helm template`` offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmdeck.helm.charts import load_chart
from helmdeck.helm.errors import RenderError, helm_errors


def render(
    chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str
) -> dict[str, str]:
    """Render offline: template path -> manifest text."""
    chart = load_chart(chart_dir)
    with helm_errors(f"{Path(chart_dir).name}: render failed", as_type=RenderError):
        return chart.render(values=values, name=release, namespace=namespace, is_install=True)


def validate_schema(chart_dir: Path, values: dict[str, Any]) -> None:
    """Check values (already coalesced with defaults) against the chart's values.schema.json."""
    chart = load_chart(chart_dir)
    with helm_errors(f"{Path(chart_dir).name}: values break values.schema.json"):
        chart.validate_schema(values)
