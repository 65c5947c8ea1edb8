"""Override management: the layers of a chart's values, the user overrides and their history.

``service.OverrideService`` is the one entry point shared by the CLI, the REST API and deploy,
with its typed requests in ``requests``; ``context`` builds each chart's layers, ``gate``
checks every write, ``redact``, ``diff``, ``rendering`` and ``formats`` are helpers for its
results.
"""

from helmdeck.overrides.requests import UpdateRequest, ValuesInput
from helmdeck.overrides.service import (
    ChartInfo,
    ChartOverrides,
    Explanation,
    OverrideService,
    ReleaseValues,
    Updated,
)

__all__ = [
    "ChartInfo",
    "ChartOverrides",
    "Explanation",
    "OverrideService",
    "ReleaseValues",
    "UpdateRequest",
    "Updated",
    "ValuesInput",
]
