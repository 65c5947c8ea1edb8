"""The data a chart plugin receives and declares: the site snapshot, its chart's release, the
secrets it sets and the services it provides to the endpoint catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.site.model import Site
from helmdeck.store.secrets import Generator


@dataclass(frozen=True)
class ChartRef:
    """One release of a chart: which chart, under which release name, in which namespace."""

    chart: str
    release: str
    namespace: str


@dataclass(frozen=True)
class Secret:
    """A secret a plugin sets: its site-wide name, the value paths it goes to, how it is made.

    ``paths`` are dotted value paths (``*`` stands for one key). They are what makes the value
    secret everywhere: redacted in every output, refused as a user override, hidden in diffs.
    With ``place`` the plugin framework writes the secret at each path itself; without it the
    plugin's ``extra`` hook does (``out.secret(path, name)``), for secrets set conditionally.
    A name shared by several charts (the keystone admin) is one value in all of them.
    """

    name: str
    paths: tuple[str, ...] = ()
    generator: Generator = Generator.ALNUM32
    place: bool = True


@dataclass(frozen=True)
class Provides:
    """A service a chart's Service objects answer, as other charts find it in ``endpoints``.

    ``endpoint`` is the endpoint type (``endpoints.<endpoint>``). With ``public``, the public
    host is ``<public>.<public_domain>`` on the ``port`` named here, in every chart that
    references the type; ``public_here_only`` sets it in the providing chart alone (a
    management UI kept out of the catalog). ``registers``: the chart registers the type in the
    keystone catalog (its ks-endpoints job).
    """

    endpoint: str
    public: str | None = None
    port: str = "api"
    registers: bool = False
    public_here_only: bool = False


@dataclass(frozen=True)
class Catalog:
    """Every provided endpoint type and its provider chart: the one table charts agree on."""

    entries: Mapping[str, tuple[str, Provides]] = field(default_factory=dict)

    def provider(self, endpoint: str) -> str | None:
        """The chart whose Service answers ``endpoint``, if any chart provides it."""
        entry = self.entries.get(endpoint)
        return entry[0] if entry is not None else None

    def public(self, endpoint: str) -> Provides | None:
        """How ``endpoint`` is published, if it has a public host in every chart."""
        entry = self.entries.get(endpoint)
        if entry is None or entry[1].public is None or entry[1].public_here_only:
            return None
        return entry[1]

    def public_here(self, endpoint: str, chart: str) -> Provides | None:
        """A public host only ``chart``, the provider, sets for ``endpoint``."""
        entry = self.entries.get(endpoint)
        if entry is None or entry[0] != chart or not entry[1].public_here_only:
            return None
        return entry[1]

    def registered(self) -> dict[str, tuple[str, ...]]:
        """Chart -> the endpoint types it registers in the keystone catalog, in table order."""
        out: dict[str, list[str]] = {}
        for endpoint, (chart, provides) in self.entries.items():
            if provides.registers:
                out.setdefault(chart, []).append(endpoint)
        return {chart: tuple(types) for chart, types in out.items()}


@dataclass(frozen=True)
class SiteSnapshot:
    """Everything a plugin may read: the site, its generated secrets, the enabled charts, every
    chart's release and the endpoint catalog."""

    site: Site
    secrets: Mapping[str, str]
    enabled: frozenset[str]
    releases: Mapping[str, ChartRef]
    catalog: Catalog = field(default_factory=Catalog)


@dataclass
class SystemOverrides:
    """A chart's system overrides and, per dotted leaf path, the inventory fact behind it."""

    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
