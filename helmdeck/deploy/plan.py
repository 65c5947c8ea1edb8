"""What ``apply`` would change: desired releases against the last applied state.

A release is unchanged when its chart version and values hash equal what the last successful
apply recorded (and, with a cluster, its live revision is the recorded one). Deciding that
needs neither a render nor a Helm call, which is what keeps a plan of the whole application
fast; only changing releases are rendered, to name the objects that change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from helmdeck.application import Application
from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.objects import RenderedObject, digests, parse_objects
from helmdeck.overrides.diff import values_diff
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.release_state import ReleaseState
from helmdeck.verify import Finding

Action = Literal["install", "upgrade", "uninstall", "noop"]
DEPLOYED = "deployed"

Renderer = Callable[["DesiredRelease"], Mapping[str, str]]
# The values a release had at its last apply (real values; redacted before diffing), or None.
Baseline = Callable[["DesiredRelease", "ReleaseState"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class PlanItem:
    """One release of the application and what apply does to it."""

    chart: str
    release: str
    namespace: str
    level: int
    action: Action
    reason: str
    depends_on: tuple[str, ...] = ()
    wait: bool = True
    timeout: int = 600
    desired: DesiredRelease | None = None
    applied: ReleaseState | None = None
    changed_objects: tuple[str, ...] = ()
    recreate: tuple[tuple[str, str], ...] = ()  # (kind, name) deleted before the upgrade
    digests: dict[str, str] = field(default_factory=dict)
    diff: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "chart": self.chart,
            "namespace": self.namespace,
            "level": self.level,
            "action": self.action,
            "reason": self.reason,
            "depends_on": list(self.depends_on),
            "chart_version": self.desired.chart_version if self.desired else None,
            "changed_objects": list(self.changed_objects),
            "recreate": [f"{kind}/{name}" for kind, name in self.recreate],
            "diff": self.diff,
        }


@dataclass(frozen=True)
class Plan:
    """Every release of the application in rollout order; ``cluster`` says what was compared.
    ``findings``: what verify says of the rollout (``deploy.verification``), when asked."""

    items: tuple[PlanItem, ...]
    cluster: str
    findings: tuple[Finding, ...] = ()

    def changes(self) -> list[PlanItem]:
        return [i for i in self.items if i.action != "noop"]

    def to_json(self) -> list[dict[str, Any]]:
        return [i.to_json() for i in self.items]


def make_plan(
    app: Application,
    desired: list[DesiredRelease],
    applied: Mapping[tuple[str, str], ReleaseState],
    *,
    render: Renderer,
    namespace: str,
    baseline: Baseline | None = None,
    live: Mapping[tuple[str, str], int] | None = None,
    cluster: str = "",
    paths: SecretPaths | None = None,
) -> Plan:
    """Compare and, for changing releases only, render and diff.

    ``namespace`` is the site's, where charts without their own namespace are released.
    ``live`` (release revisions read from the cluster in one call) catches releases changed
    or deleted behind helmdeck's back; without it the recorded state is trusted. ``paths``
    say which values the diffs redact (the shared patterns when not given).
    """
    paths = paths or SecretPaths()
    level_of = {name: i for i, level in enumerate(app.levels()) for name in level}
    by_chart = {d.chart: d for d in desired}
    wanted = {(d.release, d.namespace) for d in desired}
    items: list[PlanItem] = []
    for chart in app.charts:
        d = by_chart.get(chart.name)
        template = PlanItem(chart=chart.name, release=chart.release,
                            namespace=chart.namespace or namespace, level=level_of[chart.name],
                            action="noop", reason="disabled", wait=chart.wait,
                            timeout=chart.timeout)
        if d is None:
            if not any(s.chart == chart.name for s in applied.values()):
                items.append(template)
            continue
        state = applied.get((d.release, d.namespace))
        action, reason = _decide(d, state, live)
        item = replace(template, release=d.release, namespace=d.namespace, action=action,
                       reason=reason, depends_on=d.depends_on, desired=d, applied=state)
        if action != "noop":
            objects = parse_objects(render(d), d.namespace)
            changed, recreate = _object_changes(objects, state, set(chart.recreate_on_change))
            previous = baseline(d, state) if baseline is not None and state is not None else None
            item = replace(item, changed_objects=changed, recreate=recreate,
                           digests=digests(objects), diff=_values_diff(d, state, previous, paths))
        items.append(item)
    end = len(app.levels())
    for key, state in sorted(applied.items()):
        if key not in wanted:
            level = level_of.get(state.chart, end)
            timeout = app.chart(state.chart).timeout if state.chart in level_of else 600
            items.append(_uninstall(state, level, timeout))
    items.sort(key=lambda i: (i.level, i.chart, i.namespace))
    return Plan(tuple(items), cluster)


def _decide(
    d: DesiredRelease, state: ReleaseState | None, live: Mapping[tuple[str, str], int] | None
) -> tuple[Action, str]:
    key = (d.release, d.namespace)
    if state is None or (state.status != DEPLOYED and state.revision == 0):
        if state is not None and state.error:
            return "install", f"last install failed: {_first_line(state.error)}"
        return "install", "not installed yet"
    if live is not None and key not in live:
        return "install", "release is missing from the cluster"
    if state.status != DEPLOYED:
        why = _first_line(state.error or "")
        return "upgrade", f"last apply {state.status}" + (f": {why}" if why else "")
    if state.chart_version != d.chart_version:
        return "upgrade", f"chart {state.chart_version} -> {d.chart_version}"
    if state.values_hash != d.values_hash:
        return "upgrade", "values changed"
    if live is not None and live[key] != state.revision:
        return "upgrade", (
            f"changed outside helmdeck (cluster revision {live[key]}, applied {state.revision})"
        )
    return "noop", "up to date"


def _uninstall(state: ReleaseState, level: int, timeout: int) -> PlanItem:
    return PlanItem(
        chart=state.chart, release=state.release, namespace=state.namespace, level=level,
        action="uninstall", reason="chart disabled or no longer in the application",
        timeout=timeout, applied=state,
        changed_objects=tuple(f"{k} (removed)" for k in sorted(state.manifest_digests)),
    )


def _object_changes(
    objects: list[RenderedObject], state: ReleaseState | None, recreate_kinds: set[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Objects added, changed or removed since the recorded digests; which to re-create."""
    old = state.manifest_digests if state is not None else {}
    changed: list[str] = []
    recreate: list[tuple[str, str]] = []
    for o in objects:
        if o.key not in old:
            changed.append(f"{o.key} (added)")
        elif old[o.key] != o.digest:
            changed.append(f"{o.key} (changed)")
            if o.kind in recreate_kinds and not o.hook:
                recreate.append((o.kind, o.name))
    new_keys = {o.key for o in objects}
    changed.extend(f"{k} (removed)" for k in sorted(old) if k not in new_keys)
    return tuple(changed), tuple(recreate)


def _values_diff(
    d: DesiredRelease, state: ReleaseState | None, previous: dict[str, Any] | None,
    paths: SecretPaths,
) -> str:

    if state is None or state.revision == 0:
        return values_diff({}, d.values, paths, label="values")
    if previous is None:
        return (
            "# values at the last apply are unknown (the site or the charts changed since); "
            "the values hash differs\n"
        )
    return values_diff(previous, d.values, paths, label="values")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
