"""Carrying out a plan: level by level, in parallel within a level, stopping only what depends
on a failure.

Results are recorded one by one as they arrive, so an interrupted or partly failed apply
resumes where it stopped: the next plan sees the successful releases as unchanged. A failure
is recorded WITHOUT the new values hash (the old one is kept, with the error), so the release
stays in the next plan and its values diff still starts from what is really deployed.
"""

from __future__ import annotations

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
    paths: SecretPaths | None = None,
) -> list[Outcome]:
    """Apply every change of ``plan``; ``recorder`` None (dry run) records nothing.

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
    for item in removals:
        finish(_run(ops, item, on_start, paths))
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
                running.append(pool.submit(_run, ops, item, on_start, paths))
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


def _run(ops: ReleaseOps, item: PlanItem, on_start: Callable[[PlanItem], None] | None,
         paths: SecretPaths) -> Outcome:
    """One release: uninstall, or delete what must be re-created, then install/upgrade.

    Any exception becomes a failed outcome naming the release: one broken chart must not
    abort the releases that do not depend on it. Its text is recorded and printed, and
    Helm's messages may quote rendered manifests, so the release's secret values are
    redacted from it.
    """
    if on_start is not None:
        on_start(item)
    try:
        if item.action == "uninstall":
            ops.uninstall(item.release, item.namespace, timeout=item.timeout)
            return Outcome(item, "ok", "uninstalled")
        assert item.desired is not None
        for kind, name in item.recreate:
            ops.delete_object(item.namespace, kind, name)
        done = ops.deploy(item.desired, wait=item.wait, timeout=item.timeout)
    except Exception as exc:

        text = " ".join(str(exc).split()) or type(exc).__name__
        secrets = secret_values(item.desired.values, paths) if item.desired is not None else []
        return Outcome(item, "failed", redact_text(text, secrets))
    verb = "installed" if item.action == "install" else "upgraded"
    return Outcome(item, "ok", f"{verb}, revision {done.revision}", done.revision)


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
