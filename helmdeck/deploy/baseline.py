"""The values a release had when it was last applied, recovered without storing them.

The applied state keeps only a hash of the values (the values hold secrets). The user
overrides are versioned, so the old values are found by re-combining today's static and
system layers with each stored revision of the user overrides, newest first, until one
reproduces the recorded hash. When none does, the site or the charts changed too, and the
plan says the old values are unknown rather than showing a wrong diff.
"""

from __future__ import annotations

from typing import Any

from helmdeck.deploy.desired import DesiredRelease, values_hash
from helmdeck.deploy.plan import Baseline
from helmdeck.overrides import OverrideService
from helmdeck.store.release_state import ReleaseState
from helmdeck.values.merge import merge_values

_MAX_TRIES = 50


def service_baseline(service: OverrideService) -> Baseline:
    """A ``plan.Baseline`` reading the layers and the revision history through the service."""

    def baseline(d: DesiredRelease, state: ReleaseState) -> dict[str, Any] | None:
        layers = service.get(d.chart, d.namespace)
        lower = merge_values(layers.static, layers.system)
        candidates = [r.values for r in reversed(service.history(d.chart, d.namespace))]
        for user in [*candidates[:_MAX_TRIES], {}]:
            values = merge_values(lower, user)
            if values_hash(values, state.chart_version) == state.values_hash:
                return values
        return None

    return baseline
