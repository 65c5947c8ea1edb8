"""apply, plan and remove against the live API server, on the tiny charts of tests/kube/charts.

Each test deploys db, cache -> api -> web (tool needs only db) into a namespace of its own on
the shared cluster, and judges the result by what the cluster holds: Helm's release records
(revisions, statuses), Jobs and workloads read through the API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from kube_env import CHARTS, Deck, tiny_app, tiny_site
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import Job

from helmdeck.application import load_application
from helmdeck.deploy.apply import execute
from helmdeck.deploy.deployer import StoreRecorder, current_plan
from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.ops import Deployed, HelmOps, Report, connect
from helmdeck.helm.charts import load_chart
from helmdeck.overrides.service import OverrideService
from helmdeck.store import open_store
from helmdeck.store.release_state import release_states


def installed(deck: Deck, **app: dict[str, object]) -> None:
    deck.app(tiny_app(**app))
    deck.site(tiny_site())
    deck.run("apply")


def test_a_rejected_release_skips_its_dependents_and_the_next_apply_resumes(deck: Deck) -> None:
    deck.app(tiny_app())
    deck.site(tiny_site())
    # A value the API server rejects: a Service port name must be an RFC 1123 label.
    deck.run("helm-override-update", "db", deck.namespace, "--set", "port_name=bad_name")
    code, _, err = deck.run("apply", ok=False)
    assert code == 2 and "VFY" in err and "--force" in err  # verify saw it coming
    code, out, err = deck.run("apply", "--force", ok=False)
    assert code == 1 and "applied 1, failed 1, skipped 3" in out
    assert f"failed db ({deck.namespace}): db ({deck.namespace}): " in err
    assert 'Service "db" is invalid' in err and "spec.ports[0].name" in err
    for dependent in ("api", "web", "tool-rel"):
        assert f"skipped {dependent} ({deck.namespace}): depends on " in err
    assert f"skipped api ({deck.namespace}): depends on db, which did not apply" in err
    assert f"ok cache ({deck.namespace}): installed, revision 1" in err  # independent
    assert deck.revisions() == {"cache": 1, "db": 1}
    assert deck.statuses()["db"] == "failed"
    with open_store() as store, store.transaction() as s:
        state = release_states(s)[("db", deck.namespace)]
    assert state.status == "failed" and 'Service "db" is invalid' in (state.error or "")

    deck.run("helm-override-delete", "db", deck.namespace)
    code, out, err = deck.run("apply")
    assert "applied 4, failed 0, skipped 0" in out
    assert "cache" not in err  # what succeeded is not redone
    assert deck.revisions() == {"cache": 1, "db": 2, "api": 1, "web": 1, "tool-rel": 1}
    assert set(deck.statuses().values()) == {"deployed"}
    _, out, _ = deck.run("plan")
    assert "no changes: every release is up to date" in out


def test_a_changed_job_template_is_deleted_and_recreated_under_the_policy(deck: Deck) -> None:
    installed(deck)
    client = deck.cluster.client(deck.namespace)
    before = client.get(Job, "api-db-sync")
    deck.run("helm-override-update", "api", deck.namespace, "--set", "image=api:2")
    _, out, _ = deck.run("plan")
    assert "! Job/api-db-sync is deleted before the upgrade (immutable fields changed)" in out
    _, out, err = deck.run("apply")
    assert "applied 1, failed 0, skipped 0" in out
    assert "api: Job/api-db-sync deleted to be re-created (immutable fields changed)" in err
    after = client.get(Job, "api-db-sync")
    assert after.metadata.uid != before.metadata.uid
    assert after.spec.template.spec.containers[0].image == "api:2"
    assert after.status.succeeded == 1  # the new Job ran (and apply waited for it)
    assert deck.revisions()["api"] == 2


def test_without_the_policy_the_refused_patch_names_the_job_and_the_setting(deck: Deck) -> None:
    installed(deck, api={"depends_on": ["db", "cache"], "timeout": 60})
    deck.run("helm-override-update", "api", deck.namespace, "--set", "image=api:2")
    _, out, _ = deck.run("plan")
    assert "is deleted before the upgrade" not in out
    code, out, err = deck.run("apply", ok=False)
    assert code == 1 and "applied 0, failed 1, skipped 0" in out
    line = next(ln for ln in err.splitlines() if ln.lstrip().startswith("failed api"))
    assert "field is immutable" in line
    assert ("Job/api-db-sync cannot be changed in place: add `recreate_on_change: [Job]` to "
            "chart api in the application file (--app)") in line


def test_dependents_start_only_after_hook_jobs_and_workloads_are_done(deck: Deck) -> None:
    deck.app(tiny_app())
    deck.site(tiny_site())
    client = deck.cluster.client(deck.namespace)
    seen: dict[str, object] = {}

    class Watching(HelmOps):
        """At the moment web starts, read what its dependency api left in the cluster."""

        def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int,
                   report: Report | None = None) -> Deployed:
            if release.chart == "web":
                hook = client.get(Job, "api-bootstrap")
                dep = client.get(Deployment, "api")
                seen["hook_succeeded"] = hook.status.succeeded
                seen["api_available"] = dep.status.availableReplicas
            return super().deploy(release, wait=wait, timeout=timeout, report=report)

    deck.use()
    ops = connect(dry_run=False)
    events: list[tuple[str, str]] = []
    with open_store() as store:
        service = OverrideService(store, app=load_application(deck.app_file), actor="test")
        outcomes = execute(current_plan(service, ops=ops), Watching(ops.helm, ops.client),
                           recorder=StoreRecorder(store),
                           on_event=lambda item, text: events.append((item.chart, text)))
    assert {o.status for o in outcomes} == {"ok"}
    assert seen == {"hook_succeeded": 1, "api_available": 2}
    api_events = [text for chart, text in events if chart == "api"]
    assert api_events[0] == "Helm revision 1 done, hooks complete"
    assert "Deployment/api rolled out (2 of 2 replicas available)" in api_events
    assert "Job/api-db-sync complete" in api_events


def test_apply_waits_for_rollout_and_times_out_naming_the_workload(deck: Deck) -> None:
    # cache's pods select a node nobody has: its Deployment never becomes available.
    deck.app(tiny_app(cache={"timeout": 4}))
    deck.site(tiny_site())
    deck.run("helm-override-update", "cache", deck.namespace, "--set-json",
             'node_selector={"no-such-label":"x"}', "--force")
    code, out, err = deck.run("apply", "--force", ok=False)
    assert code == 1 and "skipped 2" in out  # api and web wait on cache
    line = next(ln for ln in err.splitlines() if ln.lstrip().startswith("failed cache"))
    assert ("not rolled out within the chart's timeout (4s): Deployment/cache (0 of 1 updated "
            "replicas available)") in line
    assert "cache: Deployment/cache: " in err  # progress, one line per event (not a tty)
    assert f"ok db ({deck.namespace})" in err and "db: StatefulSet/db-server rolled out" in err


def test_progress_bars_on_a_terminal(deck: Deck) -> None:
    deck.app(tiny_app())
    deck.site(tiny_site())
    deck.monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich: treat stderr as a terminal
    deck.monkeypatch.setenv("COLUMNS", "100")
    _, out, err = deck.run("apply")
    assert "applied 5, failed 0, skipped 0" in out
    assert "━" in err and "5/5" in err  # the overall bar
    assert f"ok api ({deck.namespace}): installed, revision 1" in err
    assert "    api: " not in err  # no per-event lines: they update the bar's rows


def test_a_release_upgraded_behind_helmdecks_back_is_drifted(deck: Deck) -> None:
    installed(deck)
    cfg = deck.helm()
    values = cfg.get_values("web") or {}
    values["title"] = "changed by hand"
    # What `helm upgrade web CHART -f values` does, through Helm's own SDK.
    cfg.upgrade(load_chart(CHARTS / "web"), "web", values, namespace=deck.namespace,
                wait="hookOnly", timeout=60)
    _, out, _ = deck.run("plan")
    assert ("~ upgrade web (" f"{deck.namespace}, chart web): drifted: changed outside helmdeck "
            "(cluster revision 2, applied 1); values differ; objects differ: ConfigMap/web "
            "(changed)") in out
    assert "      -title: changed by hand" in out  # back to the chart default
    _, out, _ = deck.run("plan", "-o", "json")
    (web,) = [r for r in json.loads(out) if r["action"] != "noop"]
    assert web["drift"] == {"cluster_revision": 2, "applied_revision": 1,
                            "cluster_chart_version": None, "values_changed": True,
                            "objects": ["ConfigMap/web (changed)"]}
    deck.run("apply")
    assert deck.revisions()["web"] == 3
    assert not cfg.get_values("web")
    _, out, _ = deck.run("plan")
    assert "no changes" in out


def test_a_second_apply_is_refused_naming_the_holder(deck: Deck) -> None:
    # The first apply waits for cache (its pods can never be scheduled) until its timeout.
    deck.app(tiny_app(cache={"timeout": 30}))
    deck.site(tiny_site())
    deck.run("helm-override-update", "cache", deck.namespace, "--set-json",
             'node_selector={"no-such-label":"x"}', "--force")
    env = {**os.environ}
    first = subprocess.Popen([sys.executable, "-m", "helmdeck", "apply", "--force"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while "cache: Deployment/cache" not in _peek_stderr(first, deadline):
            pass
        code, _, err = deck.run("apply", "--lock-wait", "0", ok=False)
        assert code == 2 and err.count("\n") == 1
        assert "apply: the site is locked by another deploy: cli:" in err
        assert f", pid {first.pid}, since " in err
        code, _, err = deck.run("remove", "web", "--lock-wait", "0.3", ok=False)
        assert code == 2 and err.startswith("waiting for the deploy lock held by cli:")
        assert "remove: the site is locked by another deploy" in err
    finally:
        first.wait(120)
    # Never two Helm operations on one release: each release has one clean revision.
    assert deck.revisions() == {"db": 1, "cache": 1, "tool-rel": 1}
    assert deck.statuses() == {"db": "deployed", "cache": "deployed", "tool-rel": "deployed"}


_stderr_seen: dict[int, str] = {}


def _peek_stderr(proc: subprocess.Popen[str], deadline: float) -> str:
    """What ``proc`` wrote to stderr so far (one more line per call), bounded by deadline."""
    assert time.monotonic() < deadline, "the first apply never started waiting"
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line or proc.poll() is None, f"first apply ended: {_stderr_seen.get(proc.pid)}"
    _stderr_seen[proc.pid] = _stderr_seen.get(proc.pid, "") + line
    return _stderr_seen[proc.pid]

