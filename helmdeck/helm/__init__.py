"""The Helm adapter: Helm v4's Go engine in process, through helm-python-sdk.

Everything helmdeck asks of Helm (loading charts with ``file://`` dependencies staged,
rendering, schema validation, pulling from repositories and OCI registries, release
operations) goes through this package, so Helm's semantics come from Helm itself, and
Helm's errors are mapped to helmdeck's in one place (``errors``).
"""

from helmdeck.helm.charts import chart_stamp, load_chart, patched_chart
from helmdeck.helm.errors import RenderError
from helmdeck.helm.pull import pull_chart
from helmdeck.helm.releases import HelmReleases
from helmdeck.helm.render import render, validate_schema

__all__ = [
    "HelmReleases",
    "RenderError",
    "chart_stamp",
    "load_chart",
    "patched_chart",
    "pull_chart",
    "render",
    "validate_schema",
]
