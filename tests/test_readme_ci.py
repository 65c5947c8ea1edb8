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
