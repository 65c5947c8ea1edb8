"""The contract between the plugin framework and a chart plugin.

A plugin sees one frozen ``SiteSnapshot`` (loaded with a fixed number of queries, never one
per host) and returns its chart's system overrides together with, for every leaf key it set,
the inventory fact that caused it. That pairing is what lets ``helmdeck explain`` answer
"why is this value here" without re-running anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from helmdeck.site.model import Site


@dataclass(frozen=True)
class ChartRef:
    """One release of a chart: which chart, under which release name, in which namespace."""

    chart: str
    release: str
    namespace: str


@dataclass(frozen=True)
class SiteSnapshot:
    """Everything a plugin may read: the site, its generated secrets and the enabled charts."""

    site: Site
    secrets: Mapping[str, str]
    enabled: frozenset[str]
    releases: Mapping[str, ChartRef]


@dataclass
class SystemOverrides:
    """A chart's system overrides and, per dotted leaf path, the inventory fact behind it."""

    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)


class Plugin(Protocol):
    """What the entry-point group ``helmdeck.plugins`` must yield for each chart."""

    chart: str

    def secrets(self) -> tuple[str, ...]:
        """Names of the site secrets this chart needs generated before it runs."""
        ...

    def overrides(
        self, snapshot: SiteSnapshot, ref: ChartRef, chart_values: Mapping[str, Any]
    ) -> SystemOverrides:
        """The chart's system overrides for this site.

        ``chart_values`` is the chart's values.yaml coalesced with its static overrides: what
        the plugin builds on (image tags to rewrite to the mirror, endpoint types present).
        """
        ...
