"""System overrides for every chart of the application at 20, 200 and 2,000 hosts (no database).

The snapshot is built directly so only the plugins are timed. The peer, measured in the
same run, is copying the site (one pydantic round trip of the inventory): a plugin run
should cost a small multiple of merely touching every host once. Target: < 1 s at 2,000.

    .venv/bin/python bench/bench_plugins.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

# the test helpers it builds sites with
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "plugins"))

from plugin_sites import CHARTS, build_site, reference_dir, snapshot
from timing import best_of

from helmdeck.plugins.generate import system_overrides
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.model import Site


def chart_values() -> dict[str, dict[str, Any]]:
    ref = reference_dir()
    if ref.is_dir():
        return {c: yaml.safe_load((ref / c / "values.yaml").read_text()) for c in CHARTS}
    print(f"(reference charts absent at {ref}: timing with empty chart values)")
    return {c: {} for c in CHARTS}


def main() -> None:
    plugins = load_plugins()
    values = chart_values()
    print(f"{'hosts':>6} {'all charts (s)':>14} {'site copy (s)':>14} {'ratio':>7}")
    for hosts in (20, 200, 2000):
        controllers, network = 3, 2
        site = build_site(
            controllers=controllers,
            network_hosts=network,
            computes=hosts - controllers - network,
            tainted_computes=hosts // 4,
        )
        snap = snapshot(site)

        def run(snap: Any = snap) -> None:
            for c in CHARTS:
                system_overrides(plugins[c], snap, snap.releases[c], values[c])

        def peer(site: Site = site) -> None:
            Site.model_validate_json(site.model_dump_json())

        t, p = best_of(5, run), best_of(5, peer)
        print(f"{hosts:>6} {t:>14.4f} {p:>14.4f} {t / p:>7.1f}")
        if hosts == 2000 and t >= 1.0:
            print("TARGET MISSED: 2,000 hosts took >= 1 s")


if __name__ == "__main__":
    main()
