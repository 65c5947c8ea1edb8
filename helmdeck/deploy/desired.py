"""A release as deploy wants it: the chart, its combined overrides and their hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from helmdeck.overrides import OverrideService, ReleaseValues


@dataclass(frozen=True)
class DesiredRelease(ReleaseValues):
    """What deploy compares with the applied state and hands to Helm: the release's values
    and the hash that stands for them (with the chart version) in the applied state."""

    values_hash: str = ""

    @classmethod
    def of(cls, r: ReleaseValues) -> DesiredRelease:
        fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
        return cls(**fields, values_hash=values_hash(r.values, r.chart_version))


def values_hash(values: dict[str, Any], chart_version: str) -> str:
    """sha256 of canonical JSON: equal values and chart version give the same hash anywhere."""
    doc = {"chart_version": chart_version, "values": values}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def desired_releases(service: OverrideService) -> list[DesiredRelease]:
    """The enabled releases of the service's application, in rollout order."""
    return [DesiredRelease.of(r) for r in service.release_values()]
