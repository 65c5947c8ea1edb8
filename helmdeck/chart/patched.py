"""The chart directory helmdeck renders and installs when the application patches a chart.

The remedies an application declares for a chart (``helmdeck.application.remedies``) are
applied to a staged copy kept under ``<HELMDECK_HOME>/charts/patched/`` (``helmdeck.helm.
patched_chart``); a patch whose ``versions`` do not match the chart's version is skipped,
and said so. Everything else reads that copy as the chart: defaults, version (marked
``+patched.<digest>``), renders and installs. The directory may be deleted at any time: it
is made again on next use.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helmdeck import config
from helmdeck.application.remedies import ChartPatch
from helmdeck.chart.source import chart_version
from helmdeck.helm import chart_stamp, patched_chart


@dataclass(frozen=True)
class PatchState:
    """A declared patch and whether the chart got it (``why`` says why not)."""

    patch: ChartPatch
    applied: bool
    why: str = ""


def patches_root() -> Path:
    return config.home() / "charts" / "patched"


def patch_states(chart_dir: Path, patches: Sequence[ChartPatch]) -> tuple[PatchState, ...]:
    """Which of ``patches`` the chart at ``chart_dir`` gets, by its version."""
    version = chart_version(chart_dir)
    out = []
    for p in patches:
        if p.applies_to(version):
            out.append(PatchState(p, True))
        else:
            out.append(PatchState(p, False, f"chart version {version} is not one of "
                                            f"{', '.join(p.versions)}"))
    return tuple(out)


def patched_dir(chart_dir: Path, patches: Sequence[ChartPatch]) -> tuple[
    Path, tuple[PatchState, ...]
]:
    """The directory to use for the chart and the state of each patch: ``chart_dir`` itself
    when no patch applies, else the staged, patched copy."""
    states = patch_states(chart_dir, patches)
    applied = [(f"{s.patch.file}", s.patch.text) for s in states if s.applied]
    if not applied:
        return chart_dir, states
    return patched_chart(chart_dir, applied, patches_root()), states


def patches_key(chart_dir: Path, patches: Sequence[ChartPatch]) -> Hashable:
    """What a patched chart's base depends on beyond Chart.yaml and values.yaml: the diffs
    and every file of the source chart (a template edit re-stages it). () without patches."""
    if not patches:
        return ()
    return (tuple(p.digest for p in patches), chart_stamp(chart_dir))
