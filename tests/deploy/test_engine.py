"""Plan and apply against the in-memory release store: order, parallelism, failures, resume."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from deploy_env import APP, make_site
from deploy_fakes import MemoryReleases

from helmdeck.application import AppChart, Application, When
from helmdeck.deploy.apply import execute, remove
from helmdeck.deploy.deployer import StoreRecorder, current_plan, release_renderer
from helmdeck.deploy.desired import DesiredRelease, desired_releases
from helmdeck.deploy.ops import Deployed
from helmdeck.errors import UserError
from helmdeck.overrides import OverrideService, UpdateRequest
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.store import Store, chart_state, sites
from helmdeck.store.release_state import release_states
from helmdeck.store.secrets import SecretBox


class CountingRender:
    """The real render, counted: an unchanged release must cost none."""

    def __init__(self) -> None:
        self.charts: list[str] = []

    def __call__(self, d: DesiredRelease) -> Mapping[str, str]:
        self.charts.append(d.chart)
        return release_renderer(SecretPaths())(d)


def apply_all(service: OverrideService, ops: MemoryReleases, **kw: object) -> list:
    plan = current_plan(service)
    return execute(plan, ops, recorder=StoreRecorder(service.store), **kw)  # type: ignore[arg-type]


def test_first_plan_installs_everything_level_by_level(service: OverrideService) -> None:
    plan = current_plan(service)
    assert [(i.chart, i.level, i.action) for i in plan.items] == [
        ("cache", 0, "install"),
        ("db", 0, "install"),
        ("api", 1, "install"),
        ("tool", 1, "install"),
        ("web", 2, "install"),
    ]
    tool = plan.items[3]
    assert (tool.release, tool.namespace) == ("tool-rel", "tools")
    api = plan.items[2]
    assert "Job/api-db-sync (added)" in api.changed_objects
    assert api.recreate == ()


def test_apply_runs_dependencies_first_and_records_every_release(
    service: OverrideService,
) -> None:
    ops = MemoryReleases()
    outcomes = apply_all(service, ops, concurrency=2)
    assert {o.status for o in outcomes} == {"ok"}
    done_at = {c[1]: n for n, c in enumerate(ops.calls) if c[0] == "done"}
    started_at = {c[1]: n for n, c in enumerate(ops.calls) if c[0] == "start"}
    for chart in APP.charts:
        for dep in chart.depends_on:
            assert done_at[dep] < started_at[chart.name], (dep, chart.name)
    with service.store.transaction() as s:
        states = release_states(s)
    assert {k: v.status for k, v in states.items()} == {
        ("db", "openstack"): "deployed",
        ("cache", "openstack"): "deployed",
        ("api", "openstack"): "deployed",
        ("web", "openstack"): "deployed",
        ("tool-rel", "tools"): "deployed",
    }
    assert "Job/api-db-sync" in states[("api", "openstack")].manifest_digests


def test_releases_of_a_level_run_in_parallel(service: OverrideService) -> None:
    plan = current_plan(service)
    only_level0 = type(plan)(tuple(i for i in plan.items if i.level == 0), "")
    ops = MemoryReleases(barrier=threading.Barrier(2))  # breaks unless both run at once
    outcomes = execute(only_level0, ops, concurrency=2)
    assert [o.status for o in outcomes] == ["ok", "ok"]


def test_failure_skips_transitive_dependents_and_the_rest_continues(
    service: OverrideService,
) -> None:
    ops = MemoryReleases(fail={"db"})
    outcomes = {o.item.chart: o for o in apply_all(service, ops)}
    assert outcomes["db"].status == "failed"
    assert "hook job failed" in outcomes["db"].detail
    assert outcomes["cache"].status == "ok"
    assert outcomes["api"].status == "skipped" and "db" in outcomes["api"].detail
    assert outcomes["tool"].status == "skipped"
    assert outcomes["web"].status == "skipped" and "api" in outcomes["web"].detail
    assert {c[1] for c in ops.of("start")} == {"db", "cache"}
    with service.store.transaction() as s:
        states = release_states(s)
    assert states[("db", "openstack")].status == "failed"
    assert states[("db", "openstack")].revision == 0
    assert ("api", "openstack") not in states  # skipped: nothing recorded


def test_rerun_resumes_after_a_failure(service: OverrideService) -> None:
    apply_all(service, MemoryReleases(fail={"api"}))
    plan = current_plan(service)
    actions = {i.chart: i.action for i in plan.items}
    assert actions == {
        "db": "noop",
        "cache": "noop",
        "tool": "noop",
        "api": "install",
        "web": "install",
    }
    assert plan.items[2].reason.startswith("last install failed: api: hook job failed")
    ops = MemoryReleases()
    outcomes = execute(plan, ops, recorder=StoreRecorder(service.store))
    assert [(o.item.chart, o.status) for o in outcomes] == [("api", "ok"), ("web", "ok")]
    assert [c[1] for c in ops.of("start")] == ["api", "web"]
    assert current_plan(service).changes() == []


def test_one_user_override_change_plans_exactly_one_release_and_renders_only_it(
    service: OverrideService,
) -> None:
    apply_all(service, MemoryReleases())
    service.update("web", "openstack", UpdateRequest.of(flag="reuse", set=["title=changed"]))
    render = CountingRender()
    ops = MemoryReleases()
    plan = current_plan(service, ops=ops, render=render)
    changes = plan.changes()
    assert [(i.chart, i.action, i.reason) for i in changes] == [
        ("web", "upgrade", "values changed")
    ]
    assert render.charts == ["web"]
    assert ops.calls == [("revisions",)]  # one listing, no per-release Helm call
    assert changes[0].changed_objects == ("ConfigMap/web (changed)",)
    assert "+  title: changed" in changes[0].diff or "+title: changed" in changes[0].diff
    assert "-title: helmdeck" not in changes[0].diff  # the default was never an override


def test_values_diff_starts_from_the_values_really_applied(service: OverrideService) -> None:
    service.update("web", "openstack", UpdateRequest.of(flag="reuse", set=["title=first"]))
    apply_all(service, MemoryReleases())
    service.update("web", "openstack", UpdateRequest.of(flag="reuse", set=["title=second"]))
    service.update("web", "openstack", UpdateRequest.of(flag="reuse", set=["title=third"]))
    (item,) = current_plan(service).changes()
    assert "-title: first" in item.diff and "+title: third" in item.diff
    assert "second" not in item.diff


def test_plan_diff_is_redacted() -> None:
    from helmdeck.deploy.plan import _values_diff

    d = DesiredRelease(
        chart="db",
        release="db",
        namespace="openstack",
        chart_dir=Path("."),
        chart_version="1",
        values={"endpoints": {"oslo_db": {"auth": {"admin": {"password": "s3cr3t"}}}}},
        values_hash="x",
        depends_on=(),
    )
    text = _values_diff(d, None, None, SecretPaths())
    assert "s3cr3t" not in text and "<redacted>" in text


def test_changed_non_hook_job_is_recreated_before_the_upgrade(service: OverrideService) -> None:
    apply_all(service, MemoryReleases())
    service.update("api", "openstack", UpdateRequest.of(flag="reuse", set=["image=api:2"]))
    (item,) = current_plan(service).changes()
    assert item.chart == "api"
    assert item.recreate == (("Job", "api-db-sync"),)  # the hook Job is Helm's to re-create
    assert "Job/api-bootstrap (changed, a Helm hook: Helm runs it again)" in item.changed_objects
    ops = MemoryReleases()
    execute(current_plan(service), ops, recorder=StoreRecorder(service.store))
    assert ops.calls.index(("delete", "Job", "api-db-sync")) < ops.calls.index(("start", "api"))


def test_disabled_chart_is_uninstalled_first(service: OverrideService) -> None:
    apply_all(service, MemoryReleases())
    service.set_enabled("web", "openstack", False)
    plan = current_plan(service)
    assert [(i.chart, i.action) for i in plan.changes()] == [("web", "uninstall")]
    ops = MemoryReleases()
    execute(plan, ops, recorder=StoreRecorder(service.store))
    assert ops.calls == [("uninstall", "web")]
    plan = current_plan(service)
    assert plan.changes() == []
    assert [i.chart for i in plan.items if i.chart == "web"] == []
    assert plan.disabled == ("web",)


def test_live_revision_drift_is_planned(service: OverrideService) -> None:
    ops = MemoryReleases(cluster=True)
    apply_all(service, ops)
    ops.releases[("cache", "openstack")]["revision"] = 7
    del ops.releases[("web", "openstack")]
    plan = current_plan(service, ops=ops)
    reasons = {i.chart: (i.action, i.reason) for i in plan.changes()}
    assert reasons == {
        "cache": ("upgrade", "drifted: changed outside helmdeck (cluster revision 7, applied 1)"),
        "web": ("install", "release is missing from the cluster"),
    }


def test_remove_refuses_while_an_enabled_chart_depends_on_it() -> None:
    ops = MemoryReleases()
    releases = {c.name: (c.release, c.namespace or "openstack") for c in APP.charts}
    with pytest.raises(UserError, match="enabled charts depend on it: api, tool, web"):
        remove(
            APP,
            "db",
            enabled=set(APP.names()),
            releases=releases,
            cascade=False,
            ops=ops,
            on_removed=lambda c: None,
        )
    assert ops.calls == []


def test_remove_cascade_removes_dependents_first_in_reverse_order() -> None:
    ops = MemoryReleases()
    releases = {c.name: (c.release, c.namespace or "openstack") for c in APP.charts}
    removed: list[str] = []
    order = remove(
        APP,
        "api",
        enabled=set(APP.names()),
        releases=releases,
        cascade=True,
        ops=ops,
        on_removed=removed.append,
    )
    assert order == removed == ["web", "api"]
    assert ops.calls == [("uninstall", "web"), ("uninstall", "api")]


def test_remove_without_dependents_uninstalls_alone() -> None:
    ops = MemoryReleases()
    releases = {c.name: (c.release, c.namespace or "openstack") for c in APP.charts}
    enabled = set(APP.names()) - {"api", "web", "tool"}
    assert remove(
        APP,
        "db",
        enabled=enabled,
        releases=releases,
        cascade=False,
        ops=ops,
        on_removed=lambda c: None,
    ) == ["db"]
    assert ops.calls == [("uninstall", "db")]


def test_helm_error_text_is_redacted_where_recorded_and_shown() -> None:
    """Helm may quote a rendered manifest in its error: the release's secrets must not leak."""
    from helmdeck.deploy.plan import Plan, PlanItem
    from helmdeck.store.release_state import ReleaseState

    values = {
        "endpoints": {"oslo_db": {"auth": {"admin": {"password": "s3cr3t-value"}}}},
        "conf": {"url": "mysql://root:s3cr3t-value@db"},
    }
    d = DesiredRelease(
        chart="db",
        release="db",
        namespace="openstack",
        chart_dir=Path("."),
        chart_version="1",
        values=values,
        values_hash="x",
        depends_on=(),
    )
    item = PlanItem(
        chart="db",
        release="db",
        namespace="openstack",
        level=0,
        action="install",
        reason="",
        desired=d,
    )

    class Quoting(MemoryReleases):
        def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int,
                   report: object = None) -> Deployed:
            raise UserError(f"db (openstack): manifest invalid near {release.values}")

    class Recorder:
        def __init__(self) -> None:
            self.states: list[ReleaseState] = []

        def record(self, state: ReleaseState) -> None:
            self.states.append(state)

        def forget(self, release: str, namespace: str) -> None:
            raise AssertionError("nothing is uninstalled")

    shown: list[str] = []
    recorder = Recorder()
    [outcome] = execute(
        Plan((item,), ""), Quoting(), recorder=recorder, on_done=lambda o: shown.append(o.detail)
    )
    assert outcome.status == "failed" and "<redacted>" in outcome.detail
    assert "manifest invalid" in outcome.detail
    for text in (outcome.detail, recorder.states[0].error or "", *shown):
        assert "s3cr3t" not in text


# web is only for api (when enabled api); tool only for ovn sites, and api then waits for it.
COND_APP = Application(
    name="cond",
    charts=(
        AppChart("db", "db"),
        AppChart("cache", "cache"),
        AppChart(
            "tool",
            "tool-rel",
            namespace="tools",
            depends_on=("db",),
            when=When((("network", ("ovn",)),)),
        ),
        AppChart("api", "api", depends_on=("db", "cache", "tool")),
        AppChart("web", "web", depends_on=("api",), when=When((("enabled", ("api",)),))),
    ),
)


def cond_service(store: Store, **site: object) -> OverrideService:
    if site:
        with store.transaction() as s:
            sites.save_site(s, make_site(**site))
    return OverrideService(store, app=COND_APP, box=SecretBox(Fernet.generate_key()))


def test_charts_outside_their_when_are_neither_deployed_nor_missing(store: Store) -> None:
    service = cond_service(store)
    assert [d.chart for d in desired_releases(service)] == ["cache", "db", "api", "web"]
    assert {c.name: c.enabled for c in service.list_charts()}["tool"] is False
    plan = current_plan(service)  # api's dependency on tool is void on an OVS site
    assert "tool" not in {i.chart for i in plan.items} and plan.disabled == ("tool",)
    assert desired_releases(service)[2].depends_on == ("db", "cache")

    apply_all(service, MemoryReleases())
    service.set_enabled("api", "openstack", False)  # web follows: its only consumer is gone
    assert [d.chart for d in desired_releases(service)] == ["cache", "db"]
    plan = current_plan(service)
    assert [(i.chart, i.action) for i in plan.changes()] == [
        ("api", "uninstall"),
        ("web", "uninstall"),
    ]


def test_on_an_ovn_site_the_conditional_chart_is_deployed_and_required(store: Store) -> None:
    service = cond_service(store, network={"backend": "ovn"})
    desired = {d.chart: d for d in desired_releases(service)}
    assert set(desired) == {"db", "cache", "tool", "api", "web"}
    assert desired["api"].depends_on == ("db", "cache", "tool")
    with store.transaction() as s:  # as a site.yaml `disabled: [tool]` would leave it
        chart_state.set_chart_enabled(s, "tool", "tools", False)
    with pytest.raises(
        UserError,
        match=r"charts: tool is disabled but enabled api depends on it: "
        r"enable it \(helmdeck chart enable tool tools\) or disable them too$",
    ):
        current_plan(service)


def test_a_reapply_mark_upgrades_an_unchanged_release_once(service: OverrideService) -> None:
    """``--reapply`` (StarlingX): the next apply applies the chart though nothing changed;
    the apply that records it spends the mark. ``--reapply-all`` does so for every chart."""
    apply_all(service, MemoryReleases())
    service.update("api", "openstack", UpdateRequest.of(flag="reuse", reapply="chart"))
    (item,) = current_plan(service).changes()
    assert (item.chart, item.action) == ("api", "upgrade")
    assert item.reason.startswith("reapply asked by ")
    apply_all(service, MemoryReleases())
    assert current_plan(service).changes() == []
    service.update("api", "openstack", UpdateRequest.of(flag="reuse", reapply="application"))
    assert {i.chart for i in current_plan(service).changes()} == {
        "cache", "db", "api", "tool", "web"}
