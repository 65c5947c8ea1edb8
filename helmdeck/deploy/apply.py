"""Carrying out a plan: level by level, in parallel within a level, stopping only what depends
on a failure.

Results are recorded one by one as they arrive, so an interrupted or partly failed apply
resumes where it stopped: the next plan sees the successful releases as unchanged. A failure
is recorded WITHOUT the new values hash (the old one is kept, with the error), so the release
stays in the next plan and its values diff still starts from what is really deployed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from helmdeck.application import Application
from helmdeck.deploy.ops import ReleaseOps
from helmdeck.deploy.plan import Plan, PlanItem
from helmdeck.errors import UserError
from helmdeck.overrides.redact import redact_text, secret_values
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store.release_state import ReleaseState

Status = Literal["ok", "failed", "skipped"]
# What the API server says when an upgrade patches a field it will not change in place:
# `Job.batch "api-db-sync" is invalid: spec.template: Invalid value: ...: field is immutable`.
_IMMUTABLE = re.compile(
    r'\b([A-Z][A-Za-z]+)(?:\.[\w.]+)? "([^"]+)" is invalid:.*field is immutable')


@dataclass(frozen=True)
class Outcome:
    """What happened to one release of the plan."""

    item: PlanItem
    status: Status
    detail: str = ""
    revision: int | None = None


class Recorder(Protocol):
    """Where results go: ``record`` after an install/upgrade, ``forget`` after an uninstall.

    None of these run in worker threads: the engine calls them from the thread that runs the
    apply, so a store needs no locking of its own.
    """

    def record(self, state: ReleaseState) -> None:
        """Store the new applied state of a release."""

    def forget(self, release: str, namespace: str) -> None:
        """Drop the applied state of an uninstalled release."""


def execute(
    plan: Plan,
    ops: ReleaseOps,
    *,
    recorder: Recorder | None = None,
    concurrency: int = 4,
    on_start: Callable[[PlanItem], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    on_event: Callable[[PlanItem, str], None] | None = None,
    paths: SecretPaths | None = None,
    dry_run: bool = False,
) -> list[Outcome]:
    """Apply every change of ``plan``; ``recorder`` None (dry run) records nothing.

    ``on_event`` hears what happens inside one release (Helm done, a workload rolled out),
    from the worker thread running it. ``dry_run`` words the outcomes as what would happen.

    Uninstalls go first, last level first, so nothing is removed while a release that is
    being kept still waits on it at install time. A release is skipped when any release it
    depends on failed or was skipped, which propagates a failure to every transitive
    dependent and to nothing else.
    """
    paths = paths or SecretPaths()
    if concurrency < 1:
        raise UserError(f"--concurrency {concurrency}: must be at least 1")
    outcomes: list[Outcome] = []
    blocked: set[str] = set()

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if outcome.status != "ok":
            blocked.add(outcome.item.chart)
        if recorder is not None and outcome.status != "skipped":
            _record(recorder, outcome)
        if on_done is not None:
            on_done(outcome)

    changes = plan.changes()
    removals = sorted((i for i in changes if i.action == "uninstall"),
                      key=lambda i: -i.level)
    run = _Runner(ops, on_start, on_event, paths, dry_run)
    for item in removals:
        finish(run(item))
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="helmdeck-apply") as pool:
        for level in sorted({i.level for i in changes if i.action != "uninstall"}):
            running: list[Future[Outcome]] = []
            for item in changes:
                if item.level != level or item.action == "uninstall":
                    continue
                failed_deps = sorted(set(item.depends_on) & blocked)
                if failed_deps:
                    finish(Outcome(item, "skipped",
                                   f"depends on {', '.join(failed_deps)}, which did not apply"))
                    continue
                running.append(pool.submit(run, item))
            for future in running:
                finish(future.result())
    return outcomes


def removal_order(app: Application, chart: str, *, enabled: set[str], cascade: bool) -> list[str]:
    """The charts ``remove`` uninstalls, dependents first; refuses enabled dependents unless
    ``cascade``, because uninstalling shared infrastructure under a running chart is the
    mistake Helm's own chart dependencies cannot prevent."""
    blockers = sorted(app.dependents(chart) & enabled)
    if blockers and not cascade:
        raise UserError(
            f"{chart}: enabled charts depend on it: {', '.join(blockers)}; remove those first "
            "or pass --cascade to remove them too"
        )
    level_of = {name: i for i, level in enumerate(app.levels()) for name in level}
    return sorted([*blockers, chart], key=lambda c: (-level_of[c], c))


def remove(
    app: Application,
    chart: str,
    *,
    enabled: set[str],
    releases: dict[str, tuple[str, str]],
    cascade: bool,
    ops: ReleaseOps,
    on_removed: Callable[[str], None],
) -> list[str]:
    """Uninstall ``chart`` (and with ``cascade`` its dependents first); the charts removed.

    ``releases`` maps chart -> (release, namespace). ``on_removed`` runs right after each
    uninstall (forget its state, disable it), so a later failure leaves a true record.
    """
    order = removal_order(app, chart, enabled=enabled, cascade=cascade)
    for name in order:
        release, namespace = releases[name]
        ops.uninstall(release, namespace, timeout=app.chart(name).timeout)
        on_removed(name)
    return order


class _Runner:
    """One release: uninstall, or delete what must be re-created, then install/upgrade."""

    def __init__(self, ops: ReleaseOps, on_start: Callable[[PlanItem], None] | None,
                 on_event: Callable[[PlanItem, str], None] | None, paths: SecretPaths,
                 dry_run: bool) -> None:
        self.ops = ops
        self.on_start = on_start
        self.on_event = on_event
        self.paths = paths
        self.dry_run = dry_run

    def __call__(self, item: PlanItem) -> Outcome:
        """Any exception becomes a failed outcome naming the release: one broken chart must
        not abort the releases that do not depend on it. Its text is recorded and printed,
        and Helm's messages may quote rendered manifests, so the release's secret values are
        redacted from it.
        """
        if self.on_start is not None:
            self.on_start(item)
        on_event = self.on_event
        report = (lambda text: on_event(item, text)) if on_event is not None else None
        try:
            if item.action == "uninstall":
                if not self.dry_run:
                    self.ops.uninstall(item.release, item.namespace, timeout=item.timeout)
                return Outcome(item, "ok", "would uninstall" if self.dry_run else "uninstalled")
            assert item.desired is not None
            for kind, name in item.recreate:
                if not self.dry_run:
                    self.ops.delete_object(item.namespace, kind, name)
                if report is not None:
                    report(f"{kind}/{name} {'would be ' if self.dry_run else ''}deleted "
                           "to be re-created (immutable fields changed)")
            done = self.ops.deploy(item.desired, wait=item.wait, timeout=item.timeout,
                                   report=report)
        except Exception as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            text += _immutable_hint(text, item)
            secrets = (secret_values(item.desired.values, self.paths)
                       if item.desired is not None else [])
            return Outcome(item, "failed", redact_text(text, secrets))
        if self.dry_run:
            return Outcome(item, "ok", f"would {item.action}", done.revision)
        verb = "installed" if item.action == "install" else "upgraded"
        return Outcome(item, "ok", f"{verb}, revision {done.revision}", done.revision)


def _immutable_hint(text: str, item: PlanItem) -> str:
    """For an upgrade the API server refused on an immutable field: which object, and the
    application setting that makes helmdeck delete it before the upgrade."""
    found = _IMMUTABLE.search(text)
    if found is None:
        return ""
    kind, name = found.groups()
    return (f"; {kind}/{name} cannot be changed in place: add `recreate_on_change: [{kind}]` "
            f"to chart {item.chart} in the application file (--app) so helmdeck deletes it "
            "before the upgrade")


def _record(recorder: Recorder, outcome: Outcome) -> None:

    item, now = outcome.item, datetime.now(UTC)
    if item.action == "uninstall":
        if outcome.status == "ok":
            recorder.forget(item.release, item.namespace)
        elif item.applied is not None:
            recorder.record(replace(item.applied, status="failed", error=outcome.detail,
                                    applied_at=now))
        return
    if outcome.status == "ok":
        assert item.desired is not None and outcome.revision is not None
        recorder.record(ReleaseState(
            release=item.release,
            namespace=item.namespace,
            chart=item.chart,
            chart_version=item.desired.chart_version,
            values_hash=item.desired.values_hash,
            status="deployed",
            revision=outcome.revision,
            applied_at=now,
            manifest_digests=dict(item.digests),
        ))
    elif item.applied is not None:
        recorder.record(replace(item.applied, status="failed", error=outcome.detail,
                                applied_at=now))
    else:
        recorder.record(ReleaseState(
            release=item.release, namespace=item.namespace, chart=item.chart, chart_version="",
            values_hash="", status="failed", revision=0, applied_at=now, error=outcome.detail,
        ))
