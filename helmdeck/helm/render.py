"""Rendering and schema validation with Helm's own engine (``helm template`` offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmdeck.helm.charts import load_chart
from helmdeck.helm.errors import RenderError, helm_errors


def render(
    chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str
) -> dict[str, str]:
    """Render offline: template path -> manifest text.

    Values whose map/scalar shape clashes with the chart's defaults are refused first, with
    the path and both kinds named: Helm would print its coalesce warning ("cannot overwrite
    table with non table") raw on the process's stderr, drop the value and fail later.
    """
    chart = load_chart(chart_dir)
    what = f"{Path(chart_dir).name}: render failed"
    with helm_errors(what, as_type=RenderError):
        clash = table_clash(values, chart.values)
        if clash is not None:
            raise RenderError(f"{what}: {clash}")
        return chart.render(values=values, name=release, namespace=namespace, is_install=True)


def _kind(value: Any) -> str:
    return "map" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def table_clash(values: dict[str, Any], defaults: dict[str, Any]) -> str | None:
    """Where ``values`` has a map and the chart a non-map (or the other way round), both
    non-null: the first such path and the two kinds, never the values themselves (they may
    be secrets). A null deletes the default and never clashes."""
    stack: list[tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]] = [((), values, defaults)]
    while stack:
        prefix, mine, chart = stack.pop()
        for key in sorted(mine.keys() & chart.keys(), key=str):
            value, default, path = mine[key], chart[key], (*prefix, str(key))
            if value is None or default is None:
                continue
            if isinstance(value, dict) and isinstance(default, dict):
                stack.append((path, value, default))
            elif isinstance(value, dict) or isinstance(default, dict):
                return (f"{'.'.join(path)}: the chart has a {_kind(default)} here but the "
                        f"overrides give a {_kind(value)}; give a {_kind(default)} instead")
    return None


def validate_schema(chart_dir: Path, values: dict[str, Any]) -> None:
    """Check values (already coalesced with defaults) against the chart's values.schema.json."""
    chart = load_chart(chart_dir)
    with helm_errors(f"{Path(chart_dir).name}: values break values.schema.json"):
        chart.validate_schema(values)
