"""``helmdeck verify`` and verify's gates: ``plan`` shows its errors, ``apply`` refuses them
unless ``--force``, ``helm-override-update`` refuses a change that leaves a workload with no
node. On the example charts with examples/site.yaml (CI-runnable)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support import REPO, Run, cli_runner

# keystone-api selects a label no host has: its pods never run (VFY001)
NOWHERE = ("--set", "labels.api.node_selector_key=no-such-label")


@pytest.fixture
def run(helmdeck_home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(helmdeck_home.parent))

    invoke = cli_runner(capsys)

    doc = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())
    doc["spec"]["charts"]["source"]["path"] = str(REPO / "examples" / "charts")
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(doc))
    assert invoke("site", "import", str(site))[0] == 0
    return invoke


def test_verify_of_the_example_site_finds_nothing(run: Run) -> None:
    rc, out, _ = run("verify")
    assert rc == 0
    assert out.splitlines() == [
        "verify: no findings",
        "verify: ovn is not deployed on this site: network is openvswitch, it needs ovn"]
    rc, out, _ = run("verify", "-o", "json")
    assert (rc, json.loads(out)) == (0, [])
    rc, out, _ = run("verify", "nova", "-o", "sarif")
    doc = json.loads(out)
    assert rc == 0 and doc["version"] == "2.1.0" and doc["runs"][0]["results"] == []


def test_unknown_chart_is_a_user_mistake(run: Run) -> None:
    rc, _, err = run("verify", "nope")
    assert rc == 2 and err.count("\n") == 1
    assert "chart nope: is not part of the application" in err
    rc, _, err = run("verify", "ovn")
    assert rc == 2 and "chart ovn: is disabled" in err


def test_an_unschedulable_change_is_refused_then_forced_then_gates_the_rollout(
        run: Run) -> None:
    rc, _, err = run("helm-override-update", "keystone", "openstack", "--reuse-values",
                     *NOWHERE)
    assert rc == 2 and err.count("\n") == 1
    assert ("keystone openstack: the change would leave Deployment/openstack/keystone-api "
            "unable to run: 3 pods stay Pending: no node matches no-such-label=enabled "
            "(VFY001)") in err and "pass --force" in err
    rc, out, _ = run("helm-override-show", "keystone", "openstack", "-o", "json")
    assert "no-such-label" not in out  # nothing stored
    rc, _, err = run("helm-override-update", "keystone", "openstack", "--reuse-values",
                     *NOWHERE, "--force")
    assert rc == 0, err

    rc, out, _ = run("verify", "-o", "json")
    assert rc == 1
    found = json.loads(out)
    assert [(f["rule"], f["object"], f["severity"]) for f in found][:1] == [
        ("VFY001", "Deployment/openstack/keystone-api", "error")]
    rc, out, _ = run("verify")
    assert rc == 1 and "VFY001 placement-no-host" in out and "fix: " in out
    rc, out, _ = run("verify", "glance")  # narrowed: the keystone finding is not glance's
    errors = [line for line in out.splitlines() if line.startswith("error")]
    assert all(" glance " in line for line in errors)

    rc, out, _ = run("plan")
    assert rc == 0
    assert "apply refuses to start until they are fixed (or --force)" in out
    assert "  ! keystone: VFY001 Deployment/openstack/keystone-api: 3 pods stay Pending" in out
    rc, out, err = run("plan", "-o", "json")
    assert rc == 0 and json.loads(out) and "verify: " in err and "error(s)" in err

    rc, out, err = run("apply", "--dry-run")
    assert rc == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("helmdeck: error: verify found ") and "--force" in lines[0]
    assert len(lines) == 1 + sum(1 for f in found if f["severity"] == "error")
    assert lines[1].startswith("keystone: VFY001 Deployment/openstack/keystone-api: ")
    rc, out, err = run("apply", "--dry-run", "--force")
    assert rc == 0 and "would apply 13, failed 0, skipped 0 (dry run: nothing recorded)" in out


def test_fixing_the_values_is_accepted_and_apply_runs(run: Run) -> None:
    run("helm-override-update", "keystone", "openstack", "--reuse-values", *NOWHERE, "--force")
    rc, _, err = run("helm-override-update", "keystone", "openstack", "--reuse-values",
                     "--set", "labels.api.node_selector_key=openstack-control-plane")
    assert rc == 0, err
    assert run("verify")[0] == 0
    rc, out, _ = run("apply", "--dry-run")
    assert rc == 0 and "would apply 13" in out
