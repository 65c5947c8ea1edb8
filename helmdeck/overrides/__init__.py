"""Override management: the layers of a chart's values, the user overrides and their history.

``service.OverrideService`` is the one entry point shared by the CLI, the REST API and deploy;
``redact``, ``diff`` and ``formats`` are pure helpers any of them may use on its results.
"""

from helmdeck.overrides.service import ChartInfo, ChartOverrides, OverrideService, ReleaseValues

__all__ = ["ChartInfo", "ChartOverrides", "OverrideService", "ReleaseValues"]
