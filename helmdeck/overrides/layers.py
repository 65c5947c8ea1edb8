"""The layers below the user overrides, and why every combined key has its value.

A chart's defaults and static overrides only change when their files do, yet every show,
update and plan needs them; parsing a large openstack-helm values.yaml costs far more than
the rest of a request. So they are cached per process, keyed by the files' mtime and size,
and a changed file is simply read again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from helmdeck.site.model import Site

Layer = Literal["static", "system", "user"]


@dataclass(frozen=True)
class Provenance:
    """Why a key has its value: the layer that set it and the input behind it."""

    layer: Layer
    fact: str


@dataclass(frozen=True)
class ChartBase:
    """What a chart brings before the site's plugins run (shared: never change in place)."""

    chart_dir: Path
    chart_version: str
    defaults: dict[str, Any]
    static: dict[str, Any]
    static_provenance: dict[str, str]
    chart_values: dict[str, Any]  # defaults coalesced with static: what a plugin builds on


_MAX_CACHED = 256
_cache: dict[tuple[Any, ...], ChartBase] = {}
_cache_lock = threading.Lock()


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


def chart_base(site: Site, chart: str) -> ChartBase:
    """The chart's directory, version, defaults and static overrides for this site."""
    from helmdeck.chart import (
        chart_defaults,
        chart_dir,
        chart_version,
        static_override_files,
        static_overrides,
    )
    from helmdeck.values.merge import coalesce

    directory = chart_dir(site, chart).resolve()
    files = static_override_files(site, chart)
    key = (
        chart,
        _stamp(directory / "Chart.yaml"),
        _stamp(directory / "values.yaml"),
        tuple(_stamp(f) for f in files),
    )
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    defaults = chart_defaults(directory)
    static, provenance = static_overrides(site, chart)
    base = ChartBase(
        chart_dir=directory,
        chart_version=chart_version(directory),
        defaults=defaults,
        static=static,
        static_provenance={k: v.removeprefix("static: ") for k, v in provenance.items()},
        chart_values=coalesce(defaults, static),
    )
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key] = base
    return base


def _nearest(facts: dict[str, str], parts: tuple[str | int, ...]) -> str | None:
    """The fact recorded for ``parts`` or, failing that, for its closest ancestor."""
    from helmdeck.values.paths import format_path

    for n in range(len(parts), 0, -1):
        fact = facts.get(format_path(parts[:n]))
        if fact is not None:
            return fact
    return None


def _has_path(values: dict[str, Any], parts: tuple[str | int, ...]) -> bool:
    from helmdeck.values.paths import get_path

    try:
        get_path(values, parts)
    except KeyError:
        return False
    return True


def combined_provenance(
    combined: dict[str, Any],
    *,
    static_facts: dict[str, str],
    system: dict[str, Any],
    system_facts: dict[str, str],
    user: dict[str, Any],
    user_fact: str,
    chart: str,
) -> dict[str, Provenance]:
    """Dotted leaf path → provenance for every leaf of ``combined``.

    A leaf comes from the highest layer that holds it: user overrides are merged last, so a
    user leaf always wins; below that the system facts, then the static file that set it.
    """
    from helmdeck.values.paths import format_path, leaf_paths

    user_leaves = {parts for parts, _ in leaf_paths(user)}
    out: dict[str, Provenance] = {}
    for parts, _ in leaf_paths(combined):
        if parts in user_leaves:
            prov = Provenance("user", user_fact)
        elif _has_path(system, parts):
            prov = Provenance("system", _nearest(system_facts, parts) or f"{chart} plugin")
        else:
            prov = Provenance("static", _nearest(static_facts, parts) or "values_overrides")
        out[format_path(parts)] = prov
    return out
