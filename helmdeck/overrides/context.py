"""One transaction's view of the site, and each chart's layers below the user overrides.

Everything a chart's overrides derive from (the site, its secrets, the enabled flags) moves
the store's generation, so results are remembered per generation: the parsed site, and each
chart's base and system layer per (generation, chart, files' stamp). Equal keys, equal
results, in this process or any other on the same store.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from helmdeck.application import Application, SiteTraits
from helmdeck.application.remedies import ChartPatch
from helmdeck.errors import NotFoundError
from helmdeck.overrides.layers import ChartBase, chart_base
from helmdeck.plugin import ChartRef, SiteSnapshot
from helmdeck.plugins.generate import required_secrets, system_overrides
from helmdeck.plugins.registry import Plugins
from helmdeck.site.model import Site
from helmdeck.store.chart_state import chart_enabled
from helmdeck.store.db import is_readonly
from helmdeck.store.generation import current_generation
from helmdeck.store.secrets import SecretBox, all_secrets, ensure_secrets
from helmdeck.store.sites import load_site
from helmdeck.values.merge import merge_values

_MAX_MEMO = 512


@dataclass(frozen=True)
class SiteContext:
    """The site, chart refs of every chart, which are enabled, and the secrets.

    ``generation`` is the store's generation this view is exact for, or None when a writer
    committed while it was being read (then nothing derived from it is remembered).
    """

    site: Site
    refs: dict[str, ChartRef]
    enabled: frozenset[str]
    secrets: Mapping[str, str]
    generation: int | None


class NeedsWrite(Exception):
    """A read found secrets still to generate: it is retried in a writing transaction."""


@dataclass(frozen=True)
class Layers:
    """A chart's base (defaults, static overrides) and system layer; shared, never changed."""

    base: ChartBase
    system: dict[str, Any]
    system_facts: dict[str, str]

    def lower(self) -> dict[str, Any]:
        """Static and system overrides merged: everything below the user overrides."""
        return merge_values(self.base.static, self.system)

    def combined(self, user: dict[str, Any]) -> dict[str, Any]:
        return merge_values(self.lower(), user)


class Contexts:
    """Builds ``SiteContext`` and ``Layers``, remembering them per store generation."""

    def __init__(self, app: Application, plugins: Plugins, box: SecretBox | None) -> None:
        self.app = app
        self.plugins = plugins
        self._box = box
        self._lock = threading.Lock()
        self._sites: dict[int, Site] = {}
        self._layers: dict[Hashable, Layers] = {}

    @property
    def box(self) -> SecretBox:
        with self._lock:
            if self._box is None:
                self._box = SecretBox()
            return self._box

    def read(self, s: Session, *, secrets_for: str | None = None,
             all_enabled_secrets: bool = False) -> SiteContext:
        """The context in ``s``; with secrets when a plugin will run.

        Secrets are generated here, once, for every enabled chart (and the chart asked for,
        which may be disabled): a plugin must see the same values whichever chart runs first.
        In a read-only transaction a missing secret raises ``NeedsWrite`` instead.
        """
        generation = current_generation(s)
        site = self.site_at(s, generation)
        refs = self.refs(site)
        explicit = chart_enabled(s)
        disabled = set(site.spec.charts.disabled)
        # The operator's choice first, then the application's `when:` (charts that do not
        # belong to this site: ovn on an OVS site, libvirt without nova) even if enabled.
        enabled = self.app.active(
            {name for name, ref in refs.items()
             if explicit.get((name, ref.namespace), name not in disabled)},
            SiteTraits.of(site),
        )
        secrets: Mapping[str, str] = {}
        if secrets_for is not None or all_enabled_secrets:
            wanted = set(enabled) | ({secrets_for} if secrets_for else set())
            kinds = required_secrets(self.plugins, wanted)
            if is_readonly(s):
                secrets = all_secrets(s, self.box)
                if not set(kinds) <= secrets.keys():
                    raise NeedsWrite
            else:
                secrets = ensure_secrets(s, self.box, kinds)
        exact = current_generation(s) == generation
        return SiteContext(site, refs, enabled, secrets, generation if exact else None)

    def site_at(self, s: Session, generation: int) -> Site:
        """The stored site, parsed once per generation (read in ``s``, at ``generation``)."""
        with self._lock:
            site = self._sites.get(generation)
        if site is not None:
            return site
        site = load_site(s)
        if site is None:
            raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
        if current_generation(s) == generation:
            with self._lock:
                self._sites = {generation: site}
        return site

    def known_site(self, generation: int) -> Site | None:
        with self._lock:
            return self._sites.get(generation)

    def refs(self, site: Site) -> dict[str, ChartRef]:
        return {
            c.name: ChartRef(c.name, c.release, c.namespace or site.spec.namespace)
            for c in self.app.charts
        }

    def ref(self, refs: Mapping[str, ChartRef], chart: str, namespace: str) -> ChartRef:
        """The chart's release, refusing a chart outside the application or the wrong namespace."""
        ref = refs.get(chart)
        if ref is None:
            raise NotFoundError(
                f"chart {chart}: not part of application {self.app.name}; "
                f"known charts: {', '.join(sorted(refs))}"
            )
        if namespace != ref.namespace:
            raise NotFoundError(
                f"chart {chart}: no release in namespace {namespace}; it is in {ref.namespace}"
            )
        return ref

    def patches(self, chart: str) -> tuple[ChartPatch, ...]:
        """The application's remedies for ``chart`` (none for a chart it does not know)."""
        names = self.app.names()
        return self.app.chart(chart).patches if chart in names else ()

    def depends_on(self, ctx: SiteContext, chart: str) -> tuple[str, ...]:
        return tuple(d for d in self.app.chart(chart).depends_on if d in ctx.enabled)

    def layers(self, ctx: SiteContext, ref: ChartRef) -> Layers:
        """The chart's base and system layer: shared, so callers copy before changing them.

        Remembered per (generation, chart, files' stamp): the plugin sees nothing else (the
        site, secrets and enabled set all move the generation), so equal keys, equal layers.
        """
        base = chart_base(ctx.site, ref.chart, self.patches(ref.chart))
        key = (ctx.generation, ref, base.stamp)
        if ctx.generation is not None:
            with self._lock:
                memo = self._layers.get(key)
            if memo is not None:
                return memo
        plugin = self.plugins.get(ref.chart)
        if plugin is None:
            layers = Layers(base, {}, {})
        else:
            snapshot = SiteSnapshot(ctx.site, ctx.secrets, ctx.enabled, ctx.refs,
                                    self.plugins.catalog)
            result = system_overrides(plugin, snapshot, ref, base.chart_values)
            layers = Layers(base, result.values, result.provenance)
        if ctx.generation is not None:
            with self._lock:
                if len(self._layers) >= _MAX_MEMO:
                    self._layers.clear()
                self._layers[key] = layers
        return layers
