"""Where a chart comes from and what sits below the system overrides.

``source`` finds a chart's directory and reads its defaults and version; ``static`` picks
the openstack-helm ``values_overrides`` files for the site's release, distro and features
(the layer between the chart's defaults and the system overrides) and checks those names
against the source.
"""

from __future__ import annotations

from helmdeck.chart.source import chart_defaults, chart_version, check_source, locate, source_root
from helmdeck.chart.static import (
    candidates,
    source_problems,
    static_override_files,
    static_overrides,
)

__all__ = [
    "candidates",
    "chart_defaults",
    "chart_version",
    "check_source",
    "locate",
    "source_problems",
    "source_root",
    "static_override_files",
    "static_overrides",
]
