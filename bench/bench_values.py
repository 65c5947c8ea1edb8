"""Benchmark: helmdeck's values engine versus Helm's Go engine (helm_python), same run.

Workload: a ~1 MB chart values.yaml (defaults) and 500 ``--set`` expressions, turned into the
effective values. helmdeck: load_values + parse_set x500 + coalesce. Go: Chart.load (which
parses values.yaml) + parse_set_string x500 + Chart.merge_values. Best of N for each; prints
both, the ratio (target <= 1.5), and ``helmdeck --help`` start-up time (target < 0.3 s).

Run: .venv/bin/python bench/bench_values.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from timing import best_of

SCALARS = ["true", "on", "1", "2.5", "007", "0x1F", "text value", "'quoted'", "null",
           "2001-12-14", "1e3", "-42", "IfNotPresent", "quay.io/airshipit/keystone:2025.1"]


def make_values(target_bytes: int, seed: int = 7) -> str:
    """An openstack-helm-shaped document: nested maps, lists, varied scalars."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    section = 0
    while size < target_bytes:
        block = [f"section_{section}:\n"]
        for i in range(40):
            block.append(f"  group_{i}:\n")
            for j in range(8):
                block.append(f"    key_{j}: {rng.choice(SCALARS)}\n")
            block.append("    items:\n")
            for _ in range(3):
                name, port = rng.randint(0, 999), rng.randint(1, 65535)
                block.append(f"      - {{name: n{name}, port: {port}}}\n")
        text = "".join(block)
        out.append(text)
        size += len(text)
        section += 1
    return "".join(out)


def make_sets(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    exprs = []
    for n in range(count):
        s = rng.randint(0, 40)
        exprs.append(
            f"section_{s}.group_{rng.randint(0, 39)}.key_{rng.randint(0, 9)}={rng.choice(SCALARS)},"
            f"extra.e{n}[{rng.randint(0, 3)}]=v{n}"
        )
    return exprs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    # within values/limits.py (200,000 nodes)
    parser.add_argument("--megabytes", type=float, default=1.0)
    args = parser.parse_args()

    import helm_python as helm

    from helmdeck.values import strvals
    from helmdeck.values.merge import coalesce
    from helmdeck.values.yamlio import load_values

    text = make_values(int(args.megabytes * 1024 * 1024))
    sets = make_sets(500)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
        Path(tmp, "values.yaml").write_text(text)

        def ours() -> dict[str, Any]:
            defaults = load_values(text)
            overrides: dict[str, Any] = {}
            for expr in sets:
                strvals.parse_set(expr, overrides)
            return coalesce(defaults, overrides)

        def go() -> dict[str, Any]:
            chart = helm.Chart.load(tmp)
            overrides: dict[str, Any] = {}
            for expr in sets:
                for key, value in helm.parse_set_string(expr).items():
                    current = overrides.get(key)
                    if isinstance(current, dict) and isinstance(value, dict):
                        current.update(value)
                    else:
                        overrides[key] = value
            return chart.merge_values(overrides)

        assert load_values(text) == helm.values_from_yaml(text), "engines disagree on the file"
        t_ours = best_of(args.repeat, ours)
        t_go = best_of(args.repeat, go)

    startup = best_of(5, lambda: subprocess.run(
        [str(Path(sys.executable).with_name("helmdeck")), "--help"],
        capture_output=True, check=True))
    print(f"values file: {len(text) / 1e6:.1f} MB, {len(sets)} --set expressions, "
          f"best of {args.repeat}")
    print(f"helmdeck (python): {t_ours:.3f} s")
    print(f"helm (go, helm_python): {t_go:.3f} s")
    print(f"ratio helmdeck/go: {t_ours / t_go:.2f} (target <= 1.5)")
    print(f"helmdeck --help start-up: {startup:.3f} s (target < 0.3)")


if __name__ == "__main__":
    main()
