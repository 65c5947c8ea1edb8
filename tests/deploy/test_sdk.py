"""The Helm adapter against the real SDK: client-side dry-run apply, render, chart pulls."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from deploy_env import make_site

from helmdeck.chart import locate
from helmdeck.deploy.apply import execute
from helmdeck.deploy.deployer import StoreRecorder, current_plan, release_renderer
from helmdeck.deploy.desired import desired_releases
from helmdeck.deploy.ops import HelmOps
from helmdeck.deploy.render import render_all
from helmdeck.helm import HelmReleases
from helmdeck.overrides.service import OverrideService
from helmdeck.store.release_state import release_states


def test_dry_run_apply_goes_through_helm_without_a_cluster(service: OverrideService) -> None:
    plan = current_plan(service)
    ops = HelmOps(HelmReleases(dry_run=True))
    assert ops.revisions() is None
    outcomes = execute(plan, ops, recorder=None, concurrency=3)
    assert [(o.item.chart, o.status) for o in outcomes] == [
        ("cache", "ok"), ("db", "ok"), ("api", "ok"), ("tool", "ok"), ("web", "ok"),
    ]
    assert all(o.revision == 1 for o in outcomes)
    with service.store.transaction() as s:
        assert release_states(s) == {}  # a dry run records nothing


def test_dry_run_reports_a_broken_chart_as_a_failed_release(
    service: OverrideService, tmp_path: Path
) -> None:
    (item,) = [i for i in current_plan(service).items if i.chart == "web"]
    assert item.desired is not None
    broken = tmp_path / "web"
    broken.mkdir()
    (broken / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (broken / "templates").mkdir()
    (broken / "templates" / "cm.yaml").write_text('{{ fail "broken on purpose" }}\n')
    bad = replace(item, desired=replace(item.desired, chart_dir=broken))
    plan = type(current_plan(service))((bad,), "")
    ops = HelmOps(HelmReleases(dry_run=True))
    (outcome,) = execute(plan, ops, recorder=StoreRecorder(service.store))
    assert outcome.status == "failed"
    assert outcome.detail.startswith("web (openstack): ") and "broken on purpose" in outcome.detail
    with service.store.transaction() as s:
        assert release_states(s)[("web", "openstack")].status == "failed"


def test_parallel_render_equals_sequential_render(service: OverrideService) -> None:
    desired = desired_releases(service)
    render = release_renderer(service.secret_paths)
    parallel = render_all(desired, render=render, workers=4)
    sequential = render_all(desired, render=render, workers=1)
    assert [r.files() for r in parallel] == [r.files() for r in sequential]
    assert [r.chart for r in parallel] == [d.chart for d in desired]
    api = next(r for r in parallel if r.chart == "api")
    assert api.counts() == {"ConfigMap": 1, "Deployment": 1, "Job": 2}


def test_remote_chart_source_is_pulled_once_into_the_home(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pulls: list[tuple[str, str | None, str | None]] = []

    def fake_pull(chart: str, *, dest: Path, repo_url: str | None = None,
                  oci: str | None = None) -> Path:
        pulls.append((chart, repo_url, oci))
        (dest / chart).mkdir(parents=True)
        (dest / chart / "Chart.yaml").write_text(f"name: {chart}\nversion: 1.0.0\n")
        return dest / chart

    monkeypatch.setattr("helmdeck.chart.source.pull_chart", fake_pull)
    site = make_site(charts={"source": {"oci": "oci://registry.example.com/osh"}})
    first = locate(site, "keystone")
    again = locate(site, "keystone")
    assert first == again and (first / "Chart.yaml").is_file()
    assert first.is_relative_to(helmdeck_home / "charts")
    assert pulls == [("keystone", None, "oci://registry.example.com/osh")]


def test_local_chart_source_is_used_in_place() -> None:
    from deploy_env import CHARTS

    assert locate(make_site(), "api") == CHARTS / "api"


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def test_unreachable_cluster_is_one_line_and_plan_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helmdeck.deploy.ops import connect, probe
    from helmdeck.errors import ClusterError

    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(config))
    with pytest.raises(ClusterError) as exc:
        connect(dry_run=False)
    assert "Kubernetes cluster unreachable" in str(exc.value)
    assert "use --dry-run" in str(exc.value) and "\n" not in str(exc.value)
    ops, note = probe()
    assert ops is None and note.startswith("no cluster reachable (")
    assert note.endswith("compared with the recorded state only")
