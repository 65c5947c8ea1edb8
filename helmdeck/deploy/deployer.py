"""The deploy steps on a real store: gather desired and applied state, plan, record results.

Commands (and the bench) call these; the engine underneath (``plan``, ``apply``) knows neither
the store nor Helm, which is what lets the tests drive it with an in-memory release store.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy.orm import Session

from helmdeck import config
from helmdeck.application import Application, SiteTraits
from helmdeck.deploy.baseline import service_baseline
from helmdeck.deploy.desired import DesiredRelease, desired_releases
from helmdeck.deploy.objects import digests, parse_objects
from helmdeck.deploy.ops import ReleaseOps
from helmdeck.deploy.plan import Inspect, LiveState, Plan, Renderer, make_plan
from helmdeck.errors import NotFoundError, UserError
from helmdeck.overrides import OverrideService
from helmdeck.overrides.rendering import render_safely
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store import Store
from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.chart_state import set_chart_enabled
from helmdeck.store.reapply import reapply_marks
from helmdeck.store.release_state import (
    ReleaseState,
    forget_release,
    record_release,
    release_states,
)
from helmdeck.store.sites import load_site


def release_renderer(paths: SecretPaths) -> Renderer:
    """``helm template`` of a desired release (what plan diffs and apply records), whose
    failures never quote a secret (see ``overrides.rendering``)."""

    def render(d: DesiredRelease) -> Mapping[str, str]:
        return render_safely(d.chart_dir, d.values, release=d.release, namespace=d.namespace,
                             paths=paths)

    return render


def current_plan(
    service: OverrideService,
    *,
    ops: ReleaseOps | None = None,
    render: Renderer | None = None,
    cluster: str = "",
    only: Collection[str] | None = None,
) -> Plan:
    """The plan for the service's application, site and applied state (``only``: of those
    charts).

    With ``ops`` able to reach a cluster, live revisions are read in one call (and a drifted
    release is read whole); otherwise the recorded state is all there is to compare with,
    and ``cluster`` says so.
    """

    desired = desired_releases(service)
    with service.store.transaction() as s:
        applied = release_states(s)
        marks = reapply_marks(s)
        site = load_site(s)
    if site is None:
        raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
    refuse_disabled_dependencies(service.app, {d.chart for d in desired},
                                 SiteTraits.of(site), site.spec.namespace)
    live = ops.revisions() if ops is not None else None
    return make_plan(service.app, desired, applied,
                     render=render or release_renderer(service.secret_paths),
                     namespace=site.spec.namespace, baseline=service_baseline(service),
                     live=live, cluster=cluster, paths=service.secret_paths,
                     inspect=live_inspector(ops) if ops is not None else None, only=only,
                     reapply=marks)


def live_inspector(ops: ReleaseOps) -> Inspect:
    """``plan.Inspect`` over the cluster: the release now and at the applied revision."""

    def inspect(d: DesiredRelease, applied_revision: int) -> LiveState | None:
        now = ops.live(d.release, d.namespace)
        if now is None:
            return None
        then = ops.live(d.release, d.namespace, revision=applied_revision)
        return LiveState(
            revision=now.revision, chart_version=now.chart_version, values=now.values,
            manifest_digests=_digests(now.manifest, d.namespace),
            applied_values=then.values if then is not None else None,
            applied_digests=_digests(then.manifest, d.namespace) if then is not None else None,
        )

    return inspect


def _digests(manifest: str, namespace: str) -> dict[str, str]:
    return digests(parse_objects({"manifest": manifest}, namespace))


def refuse_disabled_dependencies(
    app: Application, enabled: set[str], traits: SiteTraits, namespace: str
) -> None:
    """Refuse a rollout in which an enabled chart needs a disabled one.

    Helm would not notice: the dependents install, and their ks-*/db-* hook jobs wait for a
    service that never comes until Helm's timeout. Editing overrides stays allowed (a chart
    may be disabled for a while); only the rollout is refused, before anything is touched.
    """

    needed: dict[str, list[str]] = {}
    for chart, missing in app.disabled_dependencies(enabled, traits).items():
        for dep in missing:
            needed.setdefault(dep, []).append(chart)
    if not needed:
        return
    parts = []
    for dep in sorted(needed):
        ns = app.chart(dep).namespace or namespace
        users = sorted(needed[dep])
        verb = "depends" if len(users) == 1 else "depend"
        parts.append(
            f"{dep} is disabled but enabled {', '.join(users)} {verb} on it: "
            f"enable it (helmdeck chart enable {dep} {ns}) or disable them too"
        )
    raise UserError("charts: " + "; ".join(parts))


class StoreRecorder:
    """Records apply and remove results in the store, each in its own transaction (resume
    needs that), with an audit entry naming ``actor`` (default: the local user)."""

    def __init__(self, store: Store, *, actor: str | None = None) -> None:
        self.store = store
        self.actor = actor or config.actor()

    def record(self, state: ReleaseState) -> None:

        with self.store.transaction() as s:
            record_release(s, state)
            audit(s, actor=self.actor, action=AuditAction.RELEASE_APPLY,
                  target=f"{state.release}@{state.namespace}",
                  detail=f"{state.status}, revision {state.revision}")

    def forget(self, release: str, namespace: str) -> None:

        with self.store.transaction() as s:
            self._forget(s, release, namespace)

    def removed(self, chart: str, release: str, namespace: str) -> None:
        """A chart's release is uninstalled: forget its state and disable the chart, so the
        next plan neither reinstalls it nor compares against what is gone."""
        with self.store.transaction() as s:
            self._forget(s, release, namespace)
            set_chart_enabled(s, chart, namespace, False)
            audit(s, actor=self.actor, action=AuditAction.CHART_DISABLE,
                  target=f"{chart}@{namespace}", detail="removed")

    def _forget(self, s: Session, release: str, namespace: str) -> None:
        forget_release(s, release, namespace)
        audit(s, actor=self.actor, action=AuditAction.RELEASE_REMOVE,
              target=f"{release}@{namespace}")
