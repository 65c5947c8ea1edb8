"""Override management: the layers of a chart's values, the user overrides and their history.

``service.OverrideService`` is the one entry point shared by the CLI, the REST API and deploy,
with its typed requests in ``requests``; ``context`` builds each chart's layers, ``gate``
checks every write, ``redact``, ``diff``, ``rendering`` and ``formats`` are helpers for its
results.
"""

from helmdeck.overrides.requests import Reapply, UpdateRequest, ValuesInput
from helmdeck.overrides.service import (
    ApplicationStatus,
    ChartInfo,
    ChartOverrides,
    Explanation,
    OverrideService,
    ReleaseValues,
    Updated,
)

__all__ = [
    "ApplicationStatus",
    "ChartInfo",
    "ChartOverrides",
    "Explanation",
    "OverrideService",
    "Reapply",
    "ReleaseValues",
    "UpdateRequest",
    "Updated",
    "ValuesInput",
]
