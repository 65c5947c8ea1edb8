"""Running plugins: which secrets a site needs, and a chart's system overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.errors import UserError
from helmdeck.plugin import ChartRef, Generator, Plugin, SiteSnapshot, SystemOverrides
from helmdeck.plugins.registry import Plugins
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values import tree
from helmdeck.values.paths import format_path


def required_secrets(plugins: Plugins, enabled: Iterable[str]) -> dict[str, Generator]:
    """Every secret the enabled charts need, with its generator: made once, before any
    plugin runs, so every chart sees the same value whichever runs first."""
    names = {s.name for chart in enabled if chart in plugins
             for s in plugins[chart].secrets()}
    return plugins.generators(names)


def _undeclared(plugin: Plugin, values: dict[str, Any], paths: SecretPaths) -> list[str]:
    """Leaves at secret-looking paths the plugin did not declare a secret for."""
    declared = SecretPaths(p for s in plugin.secrets() for p in s.paths)
    return [format_path(parts) for parts, value in tree.leaves(values)
            if value is not None and paths.looks_secret(parts)
            and not declared.is_declared(parts)]


def system_overrides(
    plugin: Plugin, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
) -> SystemOverrides:
    """The plugin's overrides with keys sorted at every level, so equal input is equal bytes.

    Sorting here (not trusting each plugin) keeps third-party plugins deterministic too. A
    plugin that writes a value at a secret-looking path without declaring that secret is
    refused: undeclared, the value would escape redaction and the user-override guard.
    """
    missing = sorted({s.name for s in plugin.secrets()} - set(snapshot.secrets))
    if missing:
        raise UserError(
            f"chart {ref.chart}: secrets not generated yet: {', '.join(missing)}; "
            "generate them with ensure_secrets before computing overrides"
        )
    result = plugin.overrides(snapshot, ref, chart_values)
    undeclared = _undeclared(plugin, result.values, SecretPaths())
    if undeclared:
        raise UserError(
            f"chart plugin {ref.chart}: sets {', '.join(undeclared[:3])} without declaring a "
            "secret there; declare it with helmdeck.plugin.Secret(name, paths=...) in the "
            "ChartSpec, so it is generated, redacted and guarded"
        )
    return SystemOverrides(
        values=tree.sort(result.values),
        provenance=dict(sorted(result.provenance.items())),
    )
