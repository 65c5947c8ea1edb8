"""``helmdeck render``: every enabled release rendered offline, in parallel across charts.

Helm's engine runs in Go behind ctypes, which releases the GIL for the length of each call,
so a thread pool renders several charts at once (see bench/bench_deploy.py for the ratio).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.objects import RenderedObject, kind_counts, parse_objects
from helmdeck.deploy.plan import Renderer
from helmdeck.errors import UserError
from helmdeck.fileio import replace_dir


@dataclass(frozen=True)
class RenderedRelease:
    chart: str
    release: str
    namespace: str
    manifests: Mapping[str, str]
    objects: list[RenderedObject]

    def counts(self) -> dict[str, int]:
        return kind_counts(self.objects)

    def files(self) -> dict[str, str]:
        """Template path -> text, laid out like ``helm template --output-dir``."""
        return {
            path: f"---\n# Source: {path}\n{text.strip()}\n"
            for path, text in sorted(self.manifests.items())
            if text.strip() and not path.endswith("NOTES.txt")
        }


def select(desired: list[DesiredRelease], charts: Sequence[str], known: Sequence[str]) -> list[
    DesiredRelease
]:
    """The releases named on the command line (all when none), refusing unknown or disabled."""
    if not charts:
        return desired
    by_chart = {d.chart: d for d in desired}
    for name in charts:
        if name not in by_chart:
            why = "is disabled" if name in known else "is not part of the application"
            raise UserError(f"chart {name}: {why}; enabled charts: {', '.join(sorted(by_chart))}")
    return [by_chart[c] for c in dict.fromkeys(charts)]


def render_all(
    desired: list[DesiredRelease], *, render: Renderer, workers: int | None = None
) -> list[RenderedRelease]:
    """Render every release (in the given order); ``workers`` 1 renders one after another."""
    fn = render

    def one(d: DesiredRelease) -> RenderedRelease:
        manifests = fn(d)
        return RenderedRelease(d.chart, d.release, d.namespace, manifests,
                               parse_objects(manifests, d.namespace))

    n = workers or min(len(desired), os.cpu_count() or 1, 8) or 1
    if n == 1:
        return [one(d) for d in desired]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="helmdeck-render") as pool:
        return list(pool.map(one, desired))


def write_rendered(out: Path, rendered: list[RenderedRelease]) -> None:
    """``<out>/<chart>/templates/...``, each chart's directory replaced as a whole (0600 files:
    Secrets and service configs carry the site's passwords)."""
    for r in rendered:
        prefix = f"{r.chart}/"
        replace_dir(out / r.chart, {p.removeprefix(prefix): t for p, t in r.files().items()})
