"""Application model, loader and dependency layering.

Two sets of models, both pydantic and strict: the domain (``Application``, ``AppChart``,
``When``, ``SiteTraits``; frozen, validated however they are built) and the file format
(``_AppFile`` and its parts: what an operator writes, with the shorthands the domain does
not need, such as a missing ``release`` or ``when: {network: ovn}``). Every problem in a
file is reported as ``FILE:LINE: path: message``, from the same line-keeping reader as
``site.yaml``; the dependency graph is ``graphlib``'s.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import ErrorDetails

from helmdeck.application.remedies import ChartPatch, parse_patches
from helmdeck.errors import NotFoundError, UserError
from helmdeck.site.model import Network, Role, Site, Storage
from helmdeck.values.located import (
    DocumentError,
    Location,
    Problem,
    compose,
    format_problems,
    read_document,
    validation_problems,
)

DEFAULT_TIMEOUT = 600
_STRICT = ConfigDict(strict=True, extra="forbid")

WhenKey = Literal["enabled", "network", "role", "storage"]
Names = tuple[str, ...]
Seconds = Annotated[int, Field(gt=0)]


@dataclass(frozen=True, config=_STRICT)
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


@dataclass(frozen=True, config=_STRICT)
class When:
    """When a chart belongs to a site: every key must hold; a key holds when ANY of its values
    does (``enabled: [nova, cinder]``: deploy while at least one of its consumers is enabled).

    A chart whose condition fails is not part of the site at all, as if it were not in the
    application: a dependency on it is void rather than missing.
    """

    conditions: tuple[tuple[WhenKey, Names], ...] = ()

    def holds(self, traits: SiteTraits, enabled: frozenset[str] | set[str]) -> bool:
        for key, wanted in self.conditions:
            have = enabled if key == "enabled" else traits.values(key)
            if not any(w in have for w in wanted):
                return False
        return True

    def charts(self) -> Names:
        return dict(self.conditions).get("enabled", ())


@dataclass(frozen=True, config=_STRICT)
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
    depends_on: Names = ()
    wait: bool = True
    timeout: Seconds = DEFAULT_TIMEOUT
    recreate_on_change: Names = ()
    when: When = When()
    patches: tuple[ChartPatch, ...] = ()


class ApplicationError(UserError):
    """An application whose charts do not form a valid graph; ``problems`` are located in
    the ``charts:`` list, so the loader can point at the file's lines."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        super().__init__(f"application {name}: {problems[0][1]}")
        self.problems = problems


@dataclass(frozen=True, config=_STRICT)
class Application:
    """A validated set of charts with an acyclic dependency graph."""

    name: str
    charts: tuple[AppChart, ...]

    @model_validator(mode="after")
    def _valid_graph(self) -> Application:
        problems = _graph_problems(self.charts)
        if problems:
            raise ApplicationError(self.name, problems)
        return self

    @cached_property
    def _by_name(self) -> dict[str, AppChart]:
        return {c.name: c for c in self.charts}

    def names(self) -> list[str]:
        return [c.name for c in self.charts]

    def armada(self) -> Application:
        """This application with every release named as Armada names it under the manifest
        helmdeck writes (``release_prefix`` = the application's name): ``<name>-<release>``.

        Armada always prefixes (``release_prefix`` is required and joined with ``-``, so an
        empty one gives ``-keystone``, which Helm refuses). The values that depend on release
        names (``endpoints.oslo_messaging.statefulset.name``) are computed for these names.
        """
        charts = tuple(dataclasses.replace(c, release=f"{self.name}-{c.release}")
                       for c in self.charts)
        return dataclasses.replace(self, charts=charts)

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
        on, however indirectly; the levels can then run in parallel. Taking every ready chart
        in rounds gives exactly that: a chart is ready once its deepest dependency is done.
        """
        sorter = _sorter(self.charts)
        sorter.prepare()
        out: list[list[str]] = []
        while sorter.is_active():
            level = sorted(sorter.get_ready())
            sorter.done(*level)
            out.append(level)
        return out

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
    ) -> dict[str, Names]:
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


def _sorter(charts: tuple[AppChart, ...]) -> TopologicalSorter[str]:
    """The dependency graph, fed in name order so that what graphlib finds is stable."""
    return TopologicalSorter({c.name: sorted(c.depends_on) for c in sorted(charts,
                                                                         key=lambda c: c.name)})


def _graph_problems(charts: tuple[AppChart, ...]) -> list[Problem]:
    """Duplicate names, unknown dependencies and ``when.enabled`` names, and a cycle."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, c in enumerate(charts):
        if c.name in first:
            problems.append((("charts", i, "name"), f"chart listed twice: {c.name} (first "
                             f"at charts[{first[c.name]}]); list it once"))
        first.setdefault(c.name, i)
    for i, c in enumerate(charts):
        for j, dep in enumerate(c.depends_on):
            if dep not in first:
                problems.append((("charts", i, "depends_on", j),
                                 f"chart {c.name} depends on unknown chart {dep}; add it to "
                                 "the application or drop the dependency"))
        unknown = [n for n in c.when.charts() if n not in first]
        if unknown:
            problems.append((("charts", i, "when", "enabled"),
                             f"chart {c.name} when.enabled names unknown chart "
                             f"{', '.join(unknown)}; add it to the application or fix the name"))
    cycle = _find_cycle(charts)
    if cycle:
        problems.append((("charts", first[cycle[0]], "depends_on"),
                         f"dependency cycle {' -> '.join(cycle)}; remove one of these "
                         "depends_on entries"))
    return problems


def _find_cycle(charts: tuple[AppChart, ...]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]`` (a depends on b ...), starting at its smallest name."""
    try:
        _sorter(charts).prepare()
    except CycleError as exc:
        found: list[str] = exc.args[1]  # each a dependency of the next: reverse for "needs"
        ring = list(reversed(found))[:-1]
        start = ring.index(min(ring))
        ring = ring[start:] + ring[:start]
        return [*ring, ring[0]]
    return None


# --- the file --------------------------------------------------------------------------


def _allowed_traits() -> dict[str, frozenset[str]]:
    """What each site trait can be, from the site model itself, so a typo (`network: ovm`)
    is refused on load instead of silently never matching."""

    return {
        "network": frozenset(get_args(get_type_hints(Network)["backend"])),
        "storage": frozenset(get_args(get_type_hints(Storage)["backend"])),
        "role": frozenset(str(r) for r in Role),
    }


_WHEN_EXAMPLE = "must be a map such as {network: ovn} or {enabled: nova}"
_NonEmptyNames = Annotated[Names, Field(min_length=1)]


class _File(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _WhenFile(_File):
    """``when:`` as written: each key a name or a list of names."""

    enabled: _NonEmptyNames = ()
    network: _NonEmptyNames = ()
    role: _NonEmptyNames = ()
    storage: _NonEmptyNames = ()

    @field_validator("enabled", "network", "role", "storage", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """A single name stands for a list of one (tuples: Python input is strict)."""
        return (value,) if isinstance(value, str) else tuple(value) if isinstance(
            value, list) else value

    @field_validator("network", "role", "storage")
    @classmethod
    def _site_trait(cls, value: Names, info: Any) -> Names:
        allowed = _allowed_traits()[info.field_name]
        bad = sorted(set(value) - allowed)
        if bad:
            raise ValueError(f"{', '.join(bad)} is not a site {info.field_name}; "
                             f"one of: {', '.join(sorted(allowed))}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> _WhenFile:
        if not self.model_fields_set:
            raise ValueError(_WHEN_EXAMPLE)
        return self

    def when(self) -> When:
        """The keys given, in name order (as ``When`` compares)."""
        given: dict[WhenKey, Names] = {"enabled": self.enabled, "network": self.network,
                                       "role": self.role, "storage": self.storage}
        return When(tuple((k, v) for k, v in given.items() if k in self.model_fields_set))


class _ChartFile(_File):
    name: str
    release: str | None = None
    namespace: str | None = None
    depends_on: Names = ()
    wait: bool = True
    timeout: Seconds = DEFAULT_TIMEOUT
    recreate_on_change: Names = ()
    when: _WhenFile | None = None
    # Checked by ``parse_patches``, which reads the diff files the entries name.
    patches: Any = None

    def chart(self, where: str, base: Path | Traversable) -> AppChart:
        """The chart entry, its ``patches:`` read relative to ``base`` (``where`` locates
        them in messages)."""
        return AppChart(
            name=self.name, release=self.release or self.name, namespace=self.namespace,
            depends_on=self.depends_on, wait=self.wait, timeout=self.timeout,
            recreate_on_change=self.recreate_on_change,
            when=self.when.when() if self.when is not None else When(),
            patches=parse_patches(self.patches, where, base),
        )


class _AppFile(_File):
    apiVersion: Literal["helmdeck/v1"] = "helmdeck/v1"  # camelCase: the file's own key
    kind: Literal["Application"] = "Application"
    name: str | None = None
    charts: tuple[_ChartFile, ...]


_FIELDS: dict[int, type[_File]] = {0: _AppFile, 2: _ChartFile, 3: _WhenFile}
_TOP_KEY_MESSAGES = {
    "apiVersion": "must be helmdeck/v1",
    "kind": "must be Application",
    "name": "must be a string (or absent for the file's name)",
}
# Where a key of a chart entry is wrong, what it must be.
_CHART_KEY_MESSAGES = {
    "wait": "must be true or false",
    "timeout": "must be a positive number of seconds",
    "namespace": "must be a string (or absent for the site namespace)",
    "depends_on": "must be a list of names",
    "recreate_on_change": "must be a list of names",
    "when": _WHEN_EXAMPLE,
    "name": "must be a string",
    "release": "must be a string",
}


def _describe(err: ErrorDetails, loc: Location) -> Problem:
    """Pydantic's error at ``loc`` as ``(location, message)`` in the file's terms."""
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _FIELDS.get(len(loc) - 1)
        allowed = ", ".join(sorted(model.model_fields)) if model is not None else "none"
        return loc[:-1], f"unknown key {loc[-1]}; allowed: {allowed}"
    if len(loc) == 1 and loc[0] in _TOP_KEY_MESSAGES:
        return loc, _TOP_KEY_MESSAGES[str(loc[0])]
    if len(loc) <= 1:
        return loc, "expected a map with a `charts:` list"
    if len(loc) == 2 or (len(loc) == 3 and kind == "missing" and loc[2] == "name"):
        return loc[:2], "each chart needs a name; write `- name: <chart>`"
    if kind == "value_error":
        return loc[:4], err["msg"].removeprefix("Value error, ")
    if len(loc) >= 4 and loc[2] == "when":
        return loc[:4], "must be a name or a non-empty list of names"
    return loc[:3], _CHART_KEY_MESSAGES.get(str(loc[2]), err["msg"])


def _read(path: Path | None) -> tuple[str, str, Path | Traversable]:
    """(text, name for messages, directory its chart patches are relative to) of the packaged
    application or of ``path``."""
    if path is None:
        package = resources.files("helmdeck.application")
        return package.joinpath("openstack-helm.yaml").read_text(), "openstack-helm.yaml", package
    return read_document(path, "application file"), str(path), Path(path).parent


def load_application(path: Path | None = None) -> Application:
    """The packaged openstack-helm application, or an operator's ``--app`` file."""
    text, source, base = _read(path)
    data, lines = compose(text, source, "a map with a `charts:` list")
    try:
        spec = _AppFile.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        problems = validation_problems(exc, _describe, set())
        raise DocumentError(format_problems(problems, lines, source)) from None
    charts = tuple(
        c.chart(f"{source}:{lines.get(('charts', i), 1)}: charts[{i}].patches", base)
        for i, c in enumerate(spec.charts)
    )
    try:
        return Application(spec.name or Path(source).stem, charts)
    except ApplicationError as exc:
        raise DocumentError(format_problems(exc.problems, lines, source)) from None
