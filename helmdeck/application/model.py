"""Application model, loader and dependency layering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, get_args, get_type_hints

import yaml

from helmdeck.application.remedies import ChartPatch, parse_patches
from helmdeck.errors import NotFoundError, UserError
from helmdeck.site.model import Network, Role, Site, Storage

DEFAULT_TIMEOUT = 600
_CHART_KEYS = {
    "name",
    "release",
    "namespace",
    "depends_on",
    "wait",
    "timeout",
    "recreate_on_change",
    "when",
    "patches",
}
# `when:` keys: the site trait each one tests (``enabled`` tests the other charts instead).
_WHEN_KEYS = ("network", "storage", "role", "enabled")


@dataclass(frozen=True)
class SiteTraits:
    """The few site facts a chart's ``when:`` may test, kept apart from the site model so the
    application stays a plain graph (and tests can state traits without a whole site)."""

    network: str = "openvswitch"
    storage: str = "local"
    roles: frozenset[str] = frozenset({"controller", "compute", "network", "storage"})

    @classmethod
    def of(cls, site: Site) -> SiteTraits:
        spec = site.spec
        roles = frozenset(str(r) for h in spec.hosts for r in h.roles)
        return cls(network=spec.network.backend, storage=spec.storage.backend, roles=roles)

    def values(self, key: str) -> frozenset[str]:
        if key == "role":
            return self.roles
        return frozenset({self.network if key == "network" else self.storage})


@dataclass(frozen=True)
class When:
    """When a chart belongs to a site: every key must hold; a key holds when ANY of its values
    does (``enabled: [nova, cinder]``: deploy while at least one of its consumers is enabled).

    A chart whose condition fails is not part of the site at all, as if it were not in the
    application: a dependency on it is void rather than missing.
    """

    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def holds(self, traits: SiteTraits, enabled: frozenset[str] | set[str]) -> bool:
        for key, wanted in self.conditions:
            have = enabled if key == "enabled" else traits.values(key)
            if not any(w in have for w in wanted):
                return False
        return True

    def charts(self) -> tuple[str, ...]:
        return dict(self.conditions).get("enabled", ())


@dataclass(frozen=True)
class AppChart:
    """One chart of the application and how to roll it out.

    ``namespace`` None means the site's namespace. ``wait`` False installs without waiting for
    readiness (libvirt and nova wait at runtime on charts that come later). ``recreate_on_change``
    names the kinds whose immutable fields force a delete before the upgrade. ``patches``
    are the remedies applied to the chart's staged copy (``remedies``).
    """

    name: str
    release: str
    namespace: str | None = None
    depends_on: tuple[str, ...] = ()
    wait: bool = True
    timeout: int = DEFAULT_TIMEOUT
    recreate_on_change: tuple[str, ...] = ()
    when: When = When()
    patches: tuple[ChartPatch, ...] = ()


@dataclass(frozen=True)
class Application:
    """A validated set of charts with an acyclic dependency graph."""

    name: str
    charts: tuple[AppChart, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.charts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UserError(f"application {self.name}: chart listed twice: {', '.join(dupes)}")
        known = set(names)
        for c in self.charts:
            unknown = sorted(set(c.depends_on) - known)
            if unknown:
                raise UserError(
                    f"application {self.name}: chart {c.name} depends on unknown chart "
                    f"{', '.join(unknown)}; add it to the application or drop the dependency"
                )
            unknown = sorted(set(c.when.charts()) - known)
            if unknown:
                raise UserError(
                    f"application {self.name}: chart {c.name} when.enabled names unknown chart "
                    f"{', '.join(unknown)}; add it to the application or fix the name"
                )
        cycle = _find_cycle({c.name: c.depends_on for c in self.charts})
        if cycle:
            raise UserError(
                f"application {self.name}: dependency cycle {' -> '.join(cycle)}; "
                "remove one of these depends_on entries"
            )

    @cached_property
    def _by_name(self) -> dict[str, AppChart]:
        return {c.name: c for c in self.charts}

    def names(self) -> list[str]:
        return [c.name for c in self.charts]

    def chart(self, name: str) -> AppChart:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFoundError(
                f"chart {name}: not part of application {self.name}; "
                f"known charts: {', '.join(sorted(self._by_name))}"
            ) from None

    def levels(self) -> list[list[str]]:
        """Charts grouped by longest dependency path: each level needs only earlier levels.

        Longest path (not shortest) so a chart never shares a level with anything it depends
        on, however indirectly; the levels can then run in parallel.
        """
        depth: dict[str, int] = {}

        def visit(name: str) -> int:
            if name not in depth:
                deps = self._by_name[name].depends_on
                depth[name] = 1 + max((visit(d) for d in deps), default=-1)
            return depth[name]

        for c in self.charts:
            visit(c.name)
        out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name, d in depth.items():
            out[d].append(name)
        return [sorted(level) for level in out]

    def active(self, candidates: set[str] | frozenset[str], traits: SiteTraits) -> frozenset[str]:
        """The candidates (charts the operator has not disabled) whose ``when:`` holds.

        Dropping a chart can fail another's ``enabled:`` condition (no nova, so no libvirt),
        so this repeats until nothing more drops; conditions only ask for charts to be
        present, so the set only shrinks and the loop ends.
        """
        on = {c.name for c in self.charts if c.name in candidates}
        while True:
            off = {n for n in on if not self._by_name[n].when.holds(traits, on)}
            if not off:
                return frozenset(on)
            on -= off

    def disabled_dependencies(
        self, enabled: set[str] | frozenset[str], traits: SiteTraits | None = None
    ) -> dict[str, tuple[str, ...]]:
        """Enabled chart -> the charts it depends on that are not enabled.

        An enabled chart whose dependency is off hangs its hook jobs until Helm's timeout
        (glance's ks-user waits for keystone), so callers refuse or at least say so up front.
        With ``traits``, a dependency whose ``when:`` fails for the site is not counted: it
        does not belong to this site (ovn on an Open vSwitch site), so nothing waits for it.
        """
        out = {}
        for c in self.charts:
            if c.name in enabled:
                missing = tuple(
                    d for d in c.depends_on
                    if d not in enabled
                    and (traits is None or self._by_name[d].when.holds(traits, enabled))
                )
                if missing:
                    out[c.name] = missing
        return out

    def dependents(self, name: str, transitive: bool = True) -> set[str]:
        """Charts that depend on ``name`` (directly, or through others when transitive)."""
        self.chart(name)
        direct: dict[str, set[str]] = {c.name: set() for c in self.charts}
        for c in self.charts:
            for d in c.depends_on:
                direct[d].add(c.name)
        found: set[str] = set()
        todo = list(direct[name])
        while todo:
            n = todo.pop()
            if n not in found:
                found.add(n)
                if transitive:
                    todo.extend(direct[n])
        return found


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None; iterates in sorted order so messages are stable."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(graph[n]):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def _parse_chart(raw: Any, where: str, base: Path | Traversable | None = None) -> AppChart:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise UserError(f"{where}: each chart needs a name; write `- name: <chart>`")
    extra = sorted(set(raw) - _CHART_KEYS)
    if extra:
        raise UserError(
            f"{where}: unknown key {', '.join(extra)}; allowed: {', '.join(sorted(_CHART_KEYS))}"
        )
    name = raw["name"]

    def strings(key: str) -> tuple[str, ...]:
        v = raw.get(key) or []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise UserError(f"{where}.{key}: must be a list of names")
        return tuple(v)

    wait, timeout = raw.get("wait", True), raw.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(wait, bool):
        raise UserError(f"{where}.wait: must be true or false")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise UserError(f"{where}.timeout: must be a positive number of seconds")
    namespace = raw.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise UserError(f"{where}.namespace: must be a string (or absent for the site namespace)")
    return AppChart(
        name=name,
        release=str(raw.get("release") or name),
        namespace=namespace,
        depends_on=strings("depends_on"),
        wait=wait,
        timeout=timeout,
        recreate_on_change=strings("recreate_on_change"),
        when=_parse_when(raw.get("when"), f"{where}.when"),
        patches=parse_patches(raw.get("patches"), f"{where}.patches", base),
    )


def _allowed_traits() -> dict[str, frozenset[str]]:
    """What each site trait can be, from the site model itself, so a typo (`network: ovm`)
    is refused on load instead of silently never matching."""

    return {
        "network": frozenset(get_args(get_type_hints(Network)["backend"])),
        "storage": frozenset(get_args(get_type_hints(Storage)["backend"])),
        "role": frozenset(str(r) for r in Role),
    }


def _parse_when(raw: Any, where: str) -> When:
    if raw is None:
        return When()
    if not isinstance(raw, Mapping) or not raw:
        raise UserError(f"{where}: must be a map such as {{network: ovn}} or {{enabled: nova}}")
    allowed = _allowed_traits()
    conditions = []
    for key in sorted(raw):
        if key not in _WHEN_KEYS:
            raise UserError(f"{where}: unknown key {key}; allowed: {', '.join(_WHEN_KEYS)}")
        value = raw[key]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(
            isinstance(v, str) for v in values
        ):
            raise UserError(f"{where}.{key}: must be a name or a non-empty list of names")
        bad = sorted(set(values) - allowed[key]) if key in allowed else []
        if bad:
            raise UserError(
                f"{where}.{key}: {', '.join(bad)} is not a site {key}; "
                f"one of: {', '.join(sorted(allowed[key]))}"
            )
        conditions.append((key, tuple(values)))
    return When(tuple(conditions))


def load_application(path: Path | None = None) -> Application:
    """The packaged openstack-helm application, or an operator's ``--app`` file."""
    base: Path | Traversable
    if path is None:
        base = resources.files("helmdeck.application")
        text = base.joinpath("openstack-helm.yaml").read_text()
        source = "openstack-helm.yaml"
    else:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise UserError(f"{path}: cannot read application file: {exc.strerror}") from None
        source = str(path)
        base = Path(path).parent
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{source}: not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("charts"), list):
        raise UserError(f"{source}: expected a map with a `charts:` list")
    charts = tuple(_parse_chart(c, f"{source}: charts[{i}]", base)
                   for i, c in enumerate(doc["charts"]))
    return Application(name=str(doc.get("name") or Path(source).stem), charts=charts)
