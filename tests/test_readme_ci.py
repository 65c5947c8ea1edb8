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
