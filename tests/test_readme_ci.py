"""CI must run exactly what the README tells a person to run, or the README rots unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _blocks(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", section, re.S)]


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [ln for ln in lines if ln and not ln.startswith(("#", "set ", "cd "))]


def test_ci_runs_readme_setup_then_tests() -> None:
    setup, tests = _blocks("Set-up"), _blocks("Tests")
    assert len(setup) == 1 and len(tests) == 1
    assert _ci_commands() == [setup[0], tests[0]]


def test_readme_has_main_job() -> None:
    main_job = _blocks("Main job")
    assert main_job and "helmdeck" in main_job[0]


def test_readme_main_job_runs_offline(tmp_path: Path) -> None:
    """The README's main job is what a new operator runs first: it must work as written."""
    import os
    import subprocess

    for name in ("examples", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELMDECK_")}
    env["KUBECONFIG"] = str(tmp_path / "no-kubeconfig")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _blocks("Main job")[0]],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "13 charts agree" in result.stdout
    assert "https://keystone.cloud.example.com/v3" in result.stdout
    # nodes plan shows each host's profile label; explain names the profile behind a per-host key
    assert "kubectl label node cmp-2 helmdeck-profile=compute-b " in result.stdout
    assert "kubectl label node net-0 helmdeck-profile=network " in result.stdout
    assert ("conf.nova.compute.cpu_dedicated_set: system: spec.profiles.compute-b.compute."
            "cpu_dedicated_set: 8-63 (helmdeck-profile=compute-b: 2 hosts (cmp-2, cmp-3))"
            ) in result.stdout
    assert len(list((tmp_path / "out").iterdir())) == 13


def _readme_benches() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("Benchmarks (not part of the tests", 1)[1].split("\n\n", 1)[0]
    return sorted(set(re.findall(r"bench_\w+\.py", section)))


# Loads each benchmark as `python bench/X.py` would (its folder first on sys.path, from a
# directory that is not the checkout) without running it, then stages every example chart
# the way bench_deploy's helm loop does.
_BENCH_CHECK = """\
import runpy, sys
from pathlib import Path
bench = Path(sys.argv[1])
sys.path[0] = str(bench)
for name in sys.argv[2:]:
    runpy.run_path(str(bench / name), run_name="bench_check")
from helm_binary import stage_chart
from helmdeck.helm.charts import file_dependencies
for chart in sorted(p.parent for p in (bench.parent / "examples" / "charts").glob("*/Chart.yaml")):
    staged = stage_chart(chart, Path.cwd())
    missing = [n for n, _ in file_dependencies(chart) if not (staged / "charts" / n).is_dir()]
    assert not missing, (chart.name, missing)
"""


def test_every_benchmark_the_readme_names_starts_as_written(tmp_path: Path) -> None:
    """The README's benchmarks import their helpers from a fresh directory (bench_plugins
    once failed with ``ModuleNotFoundError: support``) and the helm loop gets charts with
    their ``file://`` dependencies staged (bench_deploy once crashed there)."""
    import os
    import subprocess
    import sys

    benches = _readme_benches()
    assert benches == sorted(p.name for p in (ROOT / "bench").glob("bench_*.py"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", _BENCH_CHECK, str(ROOT / "bench"), *benches],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
