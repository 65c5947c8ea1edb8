"""``helmdeck render | plan | apply | remove | nodes | export`` end to end on the tiny charts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from deploy_env import make_site
from deploy_fakes import MemoryReleases
from support import Run, cli_runner

from helmdeck import config
from helmdeck.store import audit, chart_state, open_store, sites

APP_FILE = str(Path(__file__).resolve().parent / "app.yaml")
def set_enabled(chart: str, namespace: str, enabled: bool) -> None:
    with open_store() as store, store.transaction() as s:
        chart_state.set_chart_enabled(s, chart, namespace, enabled)




@pytest.fixture
def run(helmdeck_home: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(helmdeck_home.parent))  # no ~/.kube/config
    with open_store() as store, store.transaction() as s:
        sites.save_site(s, make_site())

    return cli_runner(capsys)


def test_render_twice_gives_identical_private_files(run: Run, tmp_path: Path) -> None:
    rc, out, _ = run("render", "--app", APP_FILE, "--out", str(tmp_path / "a"))
    assert rc == 0 and "ConfigMap 1, Deployment 1, Job 2" in out
    (tmp_path / "a" / "api" / "templates" / "stale.yaml").write_text("old")
    run("render", "--app", APP_FILE, "--out", str(tmp_path / "b"))
    run("render", "--app", APP_FILE, "--out", str(tmp_path / "a"))
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.yaml"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.yaml"))
    assert files_a == files_b and len(files_a) == 8  # the stale file is gone
    for rel in files_a:
        a, b = tmp_path / "a" / rel, tmp_path / "b" / rel
        assert a.read_bytes() == b.read_bytes()
        assert stat.S_IMODE(a.stat().st_mode) == 0o600
    secret = (tmp_path / "a" / "db" / "templates" / "statefulset.yaml").read_text()
    assert secret.startswith("---\n# Source: db/templates/statefulset.yaml\n")


def test_render_named_charts_and_refuses_unknown(run: Run) -> None:
    rc, out, _ = run("render", "--app", APP_FILE, "-o", "json", "web", "db")
    assert rc == 0
    assert [(r["chart"], r["objects"]) for r in json.loads(out)] == [
        ("web", {"ConfigMap": 1}), ("db", {"Secret": 1, "StatefulSet": 1}),
    ]
    rc, _, err = run("render", "--app", APP_FILE, "nope")
    assert rc == 2 and "chart nope: is not part of the application" in err


def test_plan_json_lists_every_release_and_says_no_cluster(run: Run) -> None:
    rc, out, err = run("plan", "--app", APP_FILE, "-o", "json")
    assert rc == 0
    doc = json.loads(out)
    assert [(r["release"], r["chart"], r["namespace"], r["level"], r["action"]) for r in doc] == [
        ("cache", "cache", "openstack", 0, "install"),
        ("db", "db", "openstack", 0, "install"),
        ("api", "api", "openstack", 1, "install"),
        ("tool-rel", "tool", "tools", 1, "install"),
        ("web", "web", "openstack", 2, "install"),
    ]
    assert "Secret/db-admin (added)" in doc[1]["changed_objects"]
    assert "no cluster reachable" in err


def test_apply_dry_run_then_real_apply_needs_a_cluster(run: Run) -> None:
    rc, out, err = run("apply", "--app", APP_FILE, "--dry-run", "--concurrency", "2")
    assert rc == 0 and "would apply 5, failed 0, skipped 0 (dry run: nothing recorded)" in out
    assert "ok web (openstack): would install" in err and "installed" not in err
    rc, _, err = run("apply", "--app", APP_FILE)
    assert rc == 2
    assert err.count("\n") == 1 and "no Kubernetes cluster configured" in err


def test_a_kubeconfig_naming_a_missing_file_says_so(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    rc, _, err = run("apply", "--app", APP_FILE)
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"KUBECONFIG={missing}: no such file" in err and "KUBECONFIG unset" not in err


def test_apply_records_and_plan_then_shows_nothing(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = MemoryReleases(fail={"api"})
    monkeypatch.setattr("helmdeck.cli.deploy_cmd.connect", lambda dry_run: ops)
    rc, out, _ = run("apply", "--app", APP_FILE)
    assert rc == 1 and "applied 3, failed 1, skipped 1" in out
    rc, out, _ = run("plan", "--app", APP_FILE)
    assert "+ install api (openstack, chart api): last install failed" in out
    assert "plan: 2 to install, 0 to upgrade, 0 to uninstall, 3 unchanged" in out
    ops.fail.clear()
    rc, out, _ = run("apply", "--app", APP_FILE)
    assert rc == 0 and "applied 2, failed 0, skipped 0" in out
    rc, out, _ = run("plan", "--app", APP_FILE)
    assert "no changes: every release is up to date" in out


def test_remove_guard_and_cascade(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    ops = MemoryReleases()
    monkeypatch.setattr("helmdeck.cli.deploy_cmd.connect", lambda dry_run: ops)
    run("apply", "--app", APP_FILE)
    rc, _, err = run("remove", "--app", APP_FILE, "api")
    assert rc == 2 and "api: enabled charts depend on it: web;" in err
    rc, out, _ = run("remove", "--app", APP_FILE, "api", "--cascade")
    assert rc == 0 and out.splitlines() == ["removed web (openstack)", "removed api (openstack)"]
    assert ops.of("uninstall") == [("uninstall", "web"), ("uninstall", "api")]
    rc, out, _ = run("plan", "--app", APP_FILE, "-o", "json")
    actions = {r["chart"]: (r["action"], r["reason"]) for r in json.loads(out)}
    assert "api" not in actions and "web" not in actions  # removed charts are disabled
    with open_store() as store, store.transaction() as s:
        log = [(e.actor, e.action, e.target) for e in reversed(audit.audit_log(s))]
    me = config.actor()
    applied = [entry for entry in log if entry[1] == "release.apply"]
    assert len(applied) == 5 and {actor for actor, _, _ in applied} == {me}
    assert log[len(applied):] == [
        (me, "release.remove", "web@openstack"), (me, "chart.disable", "web@openstack"),
        (me, "release.remove", "api@openstack"), (me, "chart.disable", "api@openstack"),
    ]


def test_rollout_refuses_a_disabled_dependency_but_overrides_still_work(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the refusal api and tool would install with no db and hang in their hooks."""
    ops = MemoryReleases()
    monkeypatch.setattr("helmdeck.cli.deploy_cmd.connect", lambda dry_run: ops)
    rc, _, err = run("chart", "disable", "--app", APP_FILE, "db", "openstack")
    assert rc == 2 and "enabled charts depend on it: api, tool" in err
    set_enabled("db", "openstack", False)  # as a site.yaml `disabled: [db]` leaves it
    for argv in (("plan",), ("plan", "-o", "json"), ("apply",), ("apply", "--dry-run")):
        rc, out, err = run(*argv, "--app", APP_FILE)
        assert rc == 2, argv
        assert err.count("\n") == 1 and "Traceback" not in err
        assert ("db is disabled but enabled api, tool depend on it: enable it "
                "(helmdeck chart enable db openstack) or disable them too") in err
    assert ops.calls == []
    rc, _, _ = run("helm-override-update", "--app", APP_FILE, "api", "openstack", "--set", "x=1")
    assert rc == 0
    assert run("helm-override-list", "--app", APP_FILE)[0] == 0
    set_enabled("api", "openstack", False)
    set_enabled("tool", "tools", False)
    rc, _, err = run("plan", "--app", APP_FILE)
    assert rc == 2 and "api is disabled but enabled web depends on it" in err
    run("chart", "disable", "--app", APP_FILE, "web", "openstack")
    rc, out, _ = run("plan", "--app", APP_FILE, "-o", "json")
    # Disabled charts are no part of the plan; the text says how many were left out.
    assert rc == 0 and [(r["chart"], r["action"]) for r in json.loads(out)] == [
        ("cache", "install")]
    rc, out, _ = run("plan", "--app", APP_FILE)
    assert "plan: 1 to install, 0 to upgrade, 0 to uninstall, 0 unchanged, 4 disabled" in out


def test_chart_disable_with_dependents_is_refused_unless_cascade(run: Run) -> None:
    rc, out, err = run("chart", "disable", "--app", APP_FILE, "db", "openstack")
    assert (rc, out) == (2, "") and err.count("\n") == 1
    assert "enabled charts depend on it: api, tool" in err and "--cascade" in err
    rc, out, _ = run("chart", "disable", "--app", APP_FILE, "db", "openstack", "--cascade")
    assert rc == 0
    rc, out, _ = run("plan", "--app", APP_FILE, "-o", "json")
    assert rc == 0 and [r["chart"] for r in json.loads(out)] == ["cache"]


def test_nodes_plan_prints_kubectl(run: Run) -> None:
    rc, out, _ = run("nodes", "plan")
    assert rc == 0
    assert out.splitlines() == [
        "kubectl label node ctl-0 openstack-control-plane=enabled openvswitch=enabled "
        "topology.kubernetes.io/zone=az1 --overwrite",
        "kubectl label node cmp-0 hardware=gpu openstack-compute-node=enabled "
        "openvswitch=enabled topology.kubernetes.io/zone=az2 --overwrite",
        "kubectl taint node cmp-0 species=gpu:NoSchedule --overwrite",
        "kubectl label node net-0 l3-agent=enabled openstack-compute-node=enabled "
        "openstack-network-node=enabled openvswitch=enabled --overwrite",
    ]
    rc, _, err = run("nodes", "apply")
    assert rc == 2 and "no Kubernetes cluster configured" in err


EXPORT_OPTIONS = {
    "fluxcd": ["--repo-url", "https://git.example/charts.git"],
    "argocd": ["--repo-url", "https://git.example/charts.git", "--export-path", "x"],
    "helmfile": [],
    "armada": [],
}


@pytest.mark.parametrize("fmt", ["fluxcd", "argocd", "helmfile", "armada"])
def test_export_writes_the_whole_application(run: Run, tmp_path: Path, fmt: str) -> None:
    rc, _, err = run("export", "--app", APP_FILE, "--format", fmt, "--out", str(tmp_path / "x"))
    assert rc == 2 and "--sops-age" in err and not (tmp_path / "x").exists()
    rc, out, err = run("export", "--app", APP_FILE, "--format", fmt, "--out",
                       str(tmp_path / "x"), "--reveal", *EXPORT_OPTIONS[fmt])
    assert rc == 0, err
    files = {p.name: p for p in (tmp_path / "x").iterdir()}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files.values())
    docs = [d for p in files.values() if p.suffix == ".yaml"
            for d in yaml.safe_load_all(p.read_text()) if d]
    if fmt == "helmfile":
        (doc,) = docs
        needs = {r["name"]: r.get("needs") for r in doc["releases"]}
        assert needs["web"] == ["openstack/api"] and needs["tool-rel"] == ["openstack/db"]
    elif fmt == "fluxcd":
        helm_releases = {d["metadata"]["name"]: d for d in docs if d["kind"] == "HelmRelease"}
        assert helm_releases["api"]["spec"]["dependsOn"] == [
            {"name": "db", "namespace": "openstack"}, {"name": "cache", "namespace": "openstack"}
        ]
        assert "kustomization.yaml" in files
        (source,) = [d for d in docs if d["kind"] == "GitRepository"]
        refs = {hr["spec"]["chart"]["spec"]["sourceRef"]["namespace"]
                for hr in helm_releases.values()}
        assert refs == {source["metadata"]["namespace"]} == {"openstack"}
        assert helm_releases["tool-rel"]["metadata"]["namespace"] == "tools"
    elif fmt == "armada":
        groups = [d for d in docs if d.get("schema") == "armada/ChartGroup/v1"]
        assert [g["data"]["chart_group"] for g in groups] == [
            ["cache", "db"], ["api", "tool-rel"], ["web"]
        ]
    else:
        assert {d["metadata"]["name"] for d in docs if d.get("kind") == "Application"} == {
            "db", "cache", "api", "web", "tool-rel"
        }
    assert len(out.splitlines()) == len(files)



def test_plan_of_one_chart_and_the_summary(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    rc, out, _ = run("plan", "--app", APP_FILE, "--chart", "api", "-o", "json")
    assert rc == 0 and [r["chart"] for r in json.loads(out)] == ["api"]
    rc, _, err = run("plan", "--app", APP_FILE, "--chart", "nope")
    assert rc == 2 and "chart nope: not part of application" in err
    rc, full, _ = run("plan", "--app", APP_FILE, "--full")
    assert "      Secret/db-admin (added)" in full
    rc, summary, _ = run("plan", "--app", APP_FILE, "--summary")
    assert "Secret/db-admin (added)" not in summary
    assert ("  + install db (openstack, chart db): not installed yet\n"
            "      2 objects change") in summary
    assert f"(summary; {len(full.splitlines()) - 1} lines in full: pass --full" in summary
    # Off a terminal the default is the full plan; on one, the summary once it is long.
    rc, out, _ = run("plan", "--app", APP_FILE)
    assert out == full
    monkeypatch.setattr("helmdeck.cli.deploy_cmd.SUMMARY_AFTER", 5)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    rc, out, _ = run("plan", "--app", APP_FILE)
    assert "(summary; " in out
