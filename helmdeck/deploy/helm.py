"""The one place helmdeck talks to Helm (Helm v4's Go engine in process, via helm-python-sdk).

Everything else goes through these functions, so Helm's semantics (chart loading, rendering,
schema validation, releases) come from Helm itself and never from a re-implementation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import helm_python
import yaml

from helmdeck.errors import UserError

helm_python.disable_logging()

_cache: dict[Path, helm_python.Chart] = {}
_cache_lock = threading.Lock()


class RenderError(UserError):
    """A chart failed to render with the given values (Helm's own message is kept)."""


def _file_dependencies(chart_dir: Path) -> list[tuple[str, Path]]:
    """Dependencies declared as ``file://`` that are not already vendored under charts/."""
    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    vendored = {p.name.split("-")[0] if p.suffix == ".tgz" else p.name
                for p in (chart_dir / "charts").glob("*")} if (chart_dir / "charts").is_dir() else set()
    deps = []
    for dep in meta.get("dependencies") or []:
        repo = str(dep.get("repository") or "")
        name = str(dep.get("name"))
        if name in vendored:
            continue
        if not repo.startswith("file://"):
            raise UserError(
                f"{chart_dir}/Chart.yaml: dependency {name} ({repo}) is not vendored under charts/; "
                f"run `helm dependency build {chart_dir}`"
            )
        target = (chart_dir / repo.removeprefix("file://")).resolve()
        if not (target / "Chart.yaml").is_file():
            raise UserError(f"{chart_dir}/Chart.yaml: dependency {name} not found at {target}")
        deps.append((name, target))
    return deps


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def load_chart(chart_dir: Path) -> helm_python.Chart:
    """Load a chart directory, resolving ``file://`` dependencies the way ``helm dep build`` would.

    openstack-helm charts depend on ``file://../helm-toolkit`` and do not vendor it. Rather than
    writing into the operator's checkout, the chart is staged in a temporary directory of
    symlinks with the dependency linked under charts/; Helm reads everything into memory on
    load, so the staging directory is removed at once. Loaded charts are immutable and cached.
    Files are hard-linked (copied across filesystems), not symlinked: Helm logs every symlink.
    """
    chart_dir = Path(chart_dir).resolve()
    with _cache_lock:
        cached = _cache.get(chart_dir)
    if cached is not None:
        return cached
    if not (chart_dir / "Chart.yaml").is_file():
        raise UserError(f"{chart_dir}: not a chart directory (no Chart.yaml)")
    deps = _file_dependencies(chart_dir)
    try:
        if not deps:
            chart = helm_python.Chart.load(chart_dir)
        else:
            stage = Path(tempfile.mkdtemp(prefix="helmdeck-chart-"))
            try:
                staged = stage / chart_dir.name
                shutil.copytree(chart_dir, staged, copy_function=_link_or_copy)
                (staged / "charts").mkdir(exist_ok=True)
                for name, target in deps:
                    shutil.copytree(target, staged / "charts" / name, copy_function=_link_or_copy)
                chart = helm_python.Chart.load(staged)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
    except helm_python.HelmError as exc:
        raise UserError(f"{chart_dir}: Helm cannot load the chart: {exc}") from None
    with _cache_lock:
        _cache[chart_dir] = chart
    return chart


def chart_metadata(chart_dir: Path) -> dict[str, Any]:
    """The chart's Chart.yaml as Helm reads it."""
    return load_chart(chart_dir).metadata


def render(
    chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str
) -> dict[str, str]:
    """Render offline (``helm template``): template path -> manifest text."""
    try:
        return load_chart(chart_dir).render(
            values=values, name=release, namespace=namespace, is_install=True
        )
    except helm_python.HelmError as exc:
        raise RenderError(f"{chart_dir.name}: render failed: {exc}") from None


def validate_schema(chart_dir: Path, values: dict[str, Any]) -> None:
    """Check values (already coalesced with defaults) against the chart's values.schema.json."""
    try:
        load_chart(chart_dir).validate_schema(values)
    except helm_python.HelmError as exc:
        raise UserError(f"{chart_dir.name}: values break values.schema.json: {exc}") from None
