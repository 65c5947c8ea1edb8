"""What ``apply`` would change: desired releases against the last applied state.

A release is unchanged when its chart version and values hash equal what the last successful
apply recorded (and, with a cluster, its live revision is the recorded one). Deciding that
needs neither a render nor a Helm call, which is what keeps a plan of the whole application
fast; only changing releases are rendered, to name the objects that change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from helmdeck.application import Application
from helmdeck.deploy.desired import DesiredRelease, values_hash
from helmdeck.deploy.objects import RenderedObject, digests, parse_objects
from helmdeck.overrides.diff import values_diff
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.reapply import ReapplyMarks
from helmdeck.store.release_state import ReleaseState
from helmdeck.verify import Finding

Action = Literal["install", "upgrade", "uninstall", "noop"]
DEPLOYED = "deployed"

Renderer = Callable[["DesiredRelease"], Mapping[str, str]]
# The values a release had at its last apply (real values; redacted before diffing), or None.
Baseline = Callable[["DesiredRelease", "ReleaseState"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class LiveState:
    """A release as the cluster has it now, and at the revision helmdeck applied (None when
    Helm no longer keeps that revision), for telling what changed behind helmdeck's back.

    Both sides come from Helm's storage, so they compare like with like (values after the
    same JSON round trip, manifests as Helm stored them).
    """

    revision: int
    chart_version: str
    values: dict[str, Any]
    manifest_digests: dict[str, str]
    applied_values: dict[str, Any] | None = None
    applied_digests: dict[str, str] | None = None


# The live state of a release whose cluster revision (given) is not the one helmdeck applied.
Inspect = Callable[["DesiredRelease", int], "LiveState | None"]


@dataclass(frozen=True)
class Drift:
    """What differs between the release helmdeck applied and the one in the cluster."""

    cluster_revision: int
    applied_revision: int
    chart_version: str | None = None  # the cluster's, when it is not the applied one
    values_changed: bool | None = None  # None: not read from the cluster
    objects: tuple[str, ...] = ()

    def text(self) -> str:
        parts = [f"drifted: changed outside helmdeck (cluster revision {self.cluster_revision},"
                 f" applied {self.applied_revision})"]
        if self.chart_version is not None:
            parts.append(f"chart {self.chart_version} in the cluster")
        if self.values_changed is not None:
            parts.append("values differ" if self.values_changed else "same values")
        if self.objects:
            parts.append(f"objects differ: {', '.join(self.objects)}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"cluster_revision": self.cluster_revision,
                "applied_revision": self.applied_revision,
                "cluster_chart_version": self.chart_version,
                "values_changed": self.values_changed, "objects": list(self.objects)}


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
    drift: Drift | None = None

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
            "drift": self.drift.to_json() if self.drift is not None else None,
        }


@dataclass(frozen=True)
class Plan:
    """The enabled releases of the application in rollout order (and the installed ones to
    uninstall); ``cluster`` says what was compared, ``disabled`` the charts left out.
    ``findings``: what verify says of the rollout (``deploy.verification``), when asked."""

    items: tuple[PlanItem, ...]
    cluster: str
    disabled: tuple[str, ...] = ()
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
    inspect: Inspect | None = None,
    only: Collection[str] | None = None,
    reapply: ReapplyMarks | None = None,
) -> Plan:
    """Compare and, for changing releases only, render and diff.

    ``namespace`` is the site's, where charts without their own namespace are released.
    ``live`` (release revisions read from the cluster in one call) catches releases changed
    or deleted behind helmdeck's back; without it the recorded state is trusted. For such a
    drifted release ``inspect`` reads what the cluster has, to say what differs and diff
    the values against it. ``paths`` say which values the diffs redact (the shared patterns
    when not given). ``only`` limits the plan to those charts (nothing else is rendered).
    Disabled charts are not part of the plan; ``Plan.disabled`` names them. ``reapply``:
    the marks ``helm-override-update --reapply`` left, which upgrade an unchanged release.
    """
    paths = paths or SecretPaths()
    level_of = {name: i for i, level in enumerate(app.levels()) for name in level}
    by_chart = {d.chart: d for d in desired}
    wanted = {(d.release, d.namespace) for d in desired}
    items: list[PlanItem] = []
    disabled: list[str] = []
    for chart in app.charts:
        if only is not None and chart.name not in only:
            continue
        d = by_chart.get(chart.name)
        if d is None:
            if not any(s.chart == chart.name for s in applied.values()):
                disabled.append(chart.name)
            continue
        state = applied.get((d.release, d.namespace))
        action, reason = _decide(d, state, live)
        mark = reapply.pending(app.name, chart.name, d.namespace, state.applied_at) \
            if reapply is not None and state is not None and action == "noop" else None
        if mark is not None:
            action, reason = "upgrade", f"reapply asked by {mark.actor} ({mark.at:%Y-%m-%d %H:%M})"
        drift, seen = _drift(d, state, live, inspect)
        if drift is not None:
            reason = drift.text()
        item = PlanItem(chart=chart.name, release=d.release, namespace=d.namespace,
                        level=level_of[chart.name], action=action, reason=reason,
                        depends_on=d.depends_on, wait=chart.wait, timeout=chart.timeout,
                        desired=d, applied=state, drift=drift)
        if action != "noop":
            objects = parse_objects(render(d), d.namespace)
            changed, recreate = _object_changes(objects, state, set(chart.recreate_on_change))
            previous = baseline(d, state) if baseline is not None and state is not None else None
            if drift is not None and drift.values_changed and seen is not None:
                previous = seen.values
            elif previous is None and state is not None and inspect is not None:
                # The site or the charts changed too: Helm still has the applied values.
                seen = inspect(d, state.revision)
                previous = seen.applied_values if seen is not None else None
            item = replace(item, changed_objects=changed, recreate=recreate,
                           digests=digests(objects), diff=_values_diff(d, state, previous, paths))
        items.append(item)
    end = len(app.levels())
    for key, state in sorted(applied.items()):
        if only is not None and state.chart not in only:
            continue
        if key not in wanted:
            level = level_of.get(state.chart, end)
            timeout = app.chart(state.chart).timeout if state.chart in level_of else 600
            items.append(_uninstall(state, level, timeout))
    items.sort(key=lambda i: (i.level, i.chart, i.namespace))
    return Plan(tuple(items), cluster, tuple(disabled))


def _drift(
    d: DesiredRelease, state: ReleaseState | None, live: Mapping[tuple[str, str], int] | None,
    inspect: Inspect | None,
) -> tuple[Drift | None, LiveState | None]:
    """For a deployed release whose cluster revision is not the applied one: what differs,
    and what the cluster has (None when it could not be read); (None, None) otherwise."""
    key = (d.release, d.namespace)
    if (state is None or state.status != DEPLOYED or live is None or key not in live
            or live[key] == state.revision):
        return None, None
    drift = Drift(cluster_revision=live[key], applied_revision=state.revision)
    seen = inspect(d, state.revision) if inspect is not None else None
    if seen is None:
        return drift, None
    old = seen.applied_digests if seen.applied_digests is not None else state.manifest_digests
    if seen.applied_values is not None:
        values_changed = seen.values != seen.applied_values
    else:
        values_changed = values_hash(seen.values, state.chart_version) != state.values_hash
    objects = [f"{k} ({'changed' if k in old else 'added'})"
               for k, digest in sorted(seen.manifest_digests.items()) if old.get(k) != digest]
    objects += [f"{k} (removed)" for k in sorted(old) if k not in seen.manifest_digests]
    return replace(
        drift,
        chart_version=seen.chart_version if seen.chart_version != state.chart_version else None,
        values_changed=values_changed,
        objects=tuple(objects),
    ), seen


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
        return "upgrade", "drifted: changed outside helmdeck"
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
            changed.append(f"{o.key} (changed, a Helm hook: Helm runs it again)" if o.hook
                           else f"{o.key} (changed)")
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
