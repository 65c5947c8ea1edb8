"""The layers below the user overrides, and why every combined key has its value.

A chart's defaults and static overrides only change when their files do, yet every show,
update and plan needs them; parsing a large openstack-helm values.yaml costs far more than
the rest of a request. So they are cached per process, keyed by the files' paths, mtimes and
sizes, and a changed file is simply read again. A command-line process lives for one
command, so it may also keep them on disk (``use_disk_cache``) under the same keys.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from helmdeck.chart import (
    chart_defaults,
    chart_version,
    locate,
    static_override_files,
    static_overrides,
)
from helmdeck.fileio import write_atomic
from helmdeck.site.model import Site
from helmdeck.values import tree
from helmdeck.values.merge import coalesce
from helmdeck.values.paths import format_path

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
    stamp: Hashable  # the files' state this was read at (see ``files_key``)


_MAX_CACHED = 256
_cache: dict[Hashable, ChartBase] = {}
_cache_lock = threading.Lock()
_disk: Path | None = None


def use_disk_cache(directory: Path | None) -> None:
    """Keep chart bases in ``directory`` too (None: memory only, the default).

    Meant for ``<HELMDECK_HOME>/cache``: the files are pickles, so the directory must be
    writable by this user only, as the home is (0700).
    """
    global _disk
    _disk = directory


def _disk_file(key: Hashable) -> Path | None:
    if _disk is None:
        return None
    return _disk / f"chart-base-{hashlib.sha256(repr(key).encode()).hexdigest()[:40]}.pickle"


def _load_disk(key: Hashable) -> ChartBase | None:
    path = _disk_file(key)
    if path is None:
        return None
    try:
        base = pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return None
    return base if isinstance(base, ChartBase) and base.stamp == key else None


def _save_disk(base: ChartBase) -> None:
    """Write atomically (temp file + rename, 0600); a cache that cannot be written is skipped."""
    path = _disk_file(base.stamp)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, pickle.dumps(base, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        return


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


def files_key(site: Site, chart: str) -> Hashable:
    """The state of every file the chart's base is read from, taken BEFORE reading them.

    A file that changes after its stamp was taken is read new under the old stamp, and the
    next stamp differs: a result cached under this key is never older than its key.
    """
    directory = locate(site, chart).resolve()
    return (
        chart,
        _stamp(directory / "Chart.yaml"),
        _stamp(directory / "values.yaml"),
        tuple(_stamp(f) for f in static_override_files(site, chart)),
    )


def chart_base(site: Site, chart: str) -> ChartBase:
    """The chart's directory, version, defaults and static overrides for this site."""
    key = files_key(site, chart)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None:
        cached = _load_disk(key)
    if cached is not None:
        with _cache_lock:
            _cache[key] = cached
        return cached
    directory = locate(site, chart).resolve()
    defaults = chart_defaults(directory)
    static, provenance = static_overrides(site, chart)
    base = ChartBase(
        chart_dir=directory,
        chart_version=chart_version(directory),
        defaults=defaults,
        static=static,
        static_provenance={k: v.removeprefix("static: ") for k, v in provenance.items()},
        chart_values=coalesce(defaults, static),
        stamp=key,
    )
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key] = base
    _save_disk(base)
    return base


def _nearest(facts: dict[str, str], parts: tuple[str | int, ...]) -> str | None:
    """The fact recorded for ``parts`` or, failing that, for its closest ancestor."""

    for n in range(len(parts), 0, -1):
        fact = facts.get(format_path(parts[:n]))
        if fact is not None:
            return fact
    return None


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

    user_leaves = {parts for parts, _ in tree.leaves(user)}
    out: dict[str, Provenance] = {}
    for parts, _ in tree.leaves(combined):
        if parts in user_leaves:
            prov = Provenance("user", user_fact)
        elif tree.has(system, parts):
            prov = Provenance("system", _nearest(system_facts, parts) or f"{chart} plugin")
        else:
            prov = Provenance("static", _nearest(static_facts, parts) or "values_overrides")
        out[format_path(parts)] = prov
    return out
