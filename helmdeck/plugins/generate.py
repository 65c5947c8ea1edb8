"""Running plugins: which secrets a site needs, and a chart's system overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.errors import UserError
from helmdeck.plugins.base import ChartRef, Plugin, SiteSnapshot, SystemOverrides
from helmdeck.values import tree


def required_secrets(plugins: Mapping[str, Plugin], enabled: Iterable[str]) -> set[str]:
    """Every secret the enabled charts need: generated once, before any plugin runs."""
    names: set[str] = set()
    for chart in enabled:
        plugin = plugins.get(chart)
        if plugin is not None:
            names.update(plugin.secrets())
    return names


def system_overrides(
    plugin: Plugin, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
) -> SystemOverrides:
    """The plugin's overrides with keys sorted at every level, so equal input is equal bytes.

    Sorting here (not trusting each plugin) keeps third-party plugins deterministic too; a
    missing secret means the caller skipped ``required_secrets``/``ensure_secrets``.
    """
    missing = sorted(set(plugin.secrets()) - set(snapshot.secrets))
    if missing:
        raise UserError(
            f"chart {ref.chart}: secrets not generated yet: {', '.join(missing)}; "
            "generate them with ensure_secrets before computing overrides"
        )
    result = plugin.overrides(snapshot, ref, chart_values)
    return SystemOverrides(
        values=tree.sort(result.values),
        provenance=dict(sorted(result.provenance.items())),
    )
