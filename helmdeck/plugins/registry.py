"""Plugin discovery through the ``helmdeck.plugins`` entry-point group, validated on load.

helmdeck registers its own plugins in that group too, so a third-party package replaces a
built-in simply by registering the same chart name: the built-in (distribution ``helmdeck``)
always loses to another distribution's entry point, whatever order metadata lists them in.

Like pluggy validating hook implementations, every plugin is checked when it is registered:
its chart name, its methods, its ``extra`` hook's signature, its secret declarations (valid
names, one generator per name across all plugins) and the endpoints it provides (one
provider per endpoint type). A broken plugin fails every command at once, naming its
package, instead of half-way through a plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from helmdeck.errors import UserError
from helmdeck.plugin import Catalog, ChartPlugin, Generator, Plugin, Provides, Secret, check_extra
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.secrets import check_secret_name
from helmdeck.values.paths import parse_path

GROUP = "helmdeck.plugins"
BUILTIN_DIST = "helmdeck"


class Plugins(Mapping[str, Plugin]):
    """The loaded plugins by chart, with what they declare together: the endpoint catalog,
    the secret paths and each secret's generator."""

    def __init__(self, plugins: Mapping[str, Plugin], origins: Mapping[str, str] | None = None
                 ) -> None:
        self._plugins = dict(sorted(plugins.items()))
        origins = origins or {}
        self.secrets: dict[str, Secret] = {}
        entries: dict[str, tuple[str, Provides]] = {}
        for chart, plugin in self._plugins.items():
            where = origins.get(chart, f"plugin {chart}")
            for secret in plugin.secrets():
                self._declare(where, secret)
            for provides in plugin.provides():
                if provides.endpoint in entries:
                    other = entries[provides.endpoint][0]
                    raise UserError(
                        f"{where}: endpoint type {provides.endpoint} is already provided by "
                        f"chart {other}; one chart provides each endpoint type"
                    )
                entries[provides.endpoint] = (chart, provides)
        self.catalog = Catalog(entries)
        self.secret_paths = SecretPaths(p for s in self.secrets.values() for p in s.paths)

    def _declare(self, where: str, secret: Secret) -> None:
        try:
            check_secret_name(secret.name)
            for path in secret.paths:
                parse_path(path)
        except UserError as exc:
            raise UserError(f"{where}: secret {secret.name!r}: {exc}") from None
        known = self.secrets.get(secret.name)
        if known is not None and known.generator != secret.generator:
            raise UserError(
                f"{where}: secret {secret.name} declared as {secret.generator.value}, but "
                f"another plugin declares it {known.generator.value}; a shared secret has one "
                "kind"
            )
        paths = tuple(sorted({*(known.paths if known else ()), *secret.paths}))
        self.secrets[secret.name] = Secret(secret.name, paths, secret.generator)

    def __getitem__(self, chart: str) -> Plugin:
        return self._plugins[chart]

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)

    def generators(self, names: set[str]) -> dict[str, Generator]:
        """Name -> declared generator for the given secret names."""
        return {n: self.secrets[n].generator for n in sorted(names) if n in self.secrets}


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return (dist.name if dist is not None else "") or ""


def _instantiate(ep: EntryPoint) -> Plugin:
    where = f"entry point {ep.name} = {ep.value} ({_dist_name(ep) or 'unknown package'})"
    obj: Any = ep.load()
    plugin = obj() if isinstance(obj, type) else obj
    if getattr(plugin, "chart", None) != ep.name:
        raise UserError(
            f"{where}: plugin says it is for chart {getattr(plugin, 'chart', None)!r}; "
            "the entry-point name must be the chart name"
        )
    for method in ("secrets", "provides", "overrides"):
        if not callable(getattr(plugin, method, None)):
            raise UserError(f"{where}: plugin has no {method}(); build it with "
                            "helmdeck.plugin.ChartPlugin(ChartSpec(...))")
    if isinstance(plugin, ChartPlugin) and plugin.spec.extra is not None:
        check_extra(plugin.chart, plugin.spec.extra)
    return plugin  # type: ignore[no-any-return]


def load_plugins() -> Plugins:
    """Chart name → plugin, third-party plugins replacing built-ins of the same chart."""
    chosen: dict[str, EntryPoint] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, _dist_name(e), e.value)):
        current = chosen.get(ep.name)
        if current is None or _dist_name(current) == BUILTIN_DIST:
            chosen[ep.name] = ep
    origins = {name: f"entry point {name} ({_dist_name(ep) or 'unknown package'})"
               for name, ep in chosen.items()}
    return Plugins({name: _instantiate(ep) for name, ep in chosen.items()}, origins)
