"""Plugin discovery through the ``helmdeck.plugins`` entry-point group.

helmdeck registers its own plugins in that group too, so a third-party package replaces a
built-in simply by registering the same chart name: the built-in (distribution ``helmdeck``)
always loses to another distribution's entry point, whatever order metadata lists them in.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from helmdeck.errors import UserError
from helmdeck.plugins.base import Plugin

GROUP = "helmdeck.plugins"
BUILTIN_DIST = "helmdeck"


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return (dist.name if dist is not None else "") or ""


def _instantiate(ep: EntryPoint) -> Plugin:
    obj: Any = ep.load()
    plugin = obj() if isinstance(obj, type) else obj
    if getattr(plugin, "chart", None) != ep.name:
        raise UserError(
            f"entry point {ep.name} = {ep.value} ({_dist_name(ep) or 'unknown package'}): "
            f"plugin says it is for chart {getattr(plugin, 'chart', None)!r}; "
            "the entry-point name must be the chart name"
        )
    for method in ("secrets", "overrides"):
        if not callable(getattr(plugin, method, None)):
            raise UserError(f"entry point {ep.name} = {ep.value}: plugin has no {method}()")
    return plugin  # type: ignore[no-any-return]


def load_plugins() -> dict[str, Plugin]:
    """Chart name → plugin, third-party plugins replacing built-ins of the same chart."""
    chosen: dict[str, EntryPoint] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, _dist_name(e), e.value)):
        current = chosen.get(ep.name)
        if current is None or _dist_name(current) == BUILTIN_DIST:
            chosen[ep.name] = ep
    return {name: _instantiate(ep) for name, ep in sorted(chosen.items())}
