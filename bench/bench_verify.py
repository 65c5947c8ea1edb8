"""verify of the whole application on the real openstack-helm charts at 10, 500 and 2,000 hosts.

Each site has 3 controllers in two zones, 3 network hosts and computes for the rest, spread
over 4 zones and 50 racks (a ``rack`` label, so the nodes fall into many label classes), a
quarter of them tainted ``species=hypervisor:NoSchedule``; OVN networking and pvc storage,
so every rule family has work (and findings). The render is done once per size through
helmdeck's own code (store, plugins, overrides, Helm's engine) and is the peer measured in
the same run: ``verify / render`` says what verifying costs on top of what ``plan`` and
``render`` already pay. Target: verify (parsing the manifests included) < 2 s at 2,000 hosts.

    .venv/bin/python bench/bench_verify.py [--profile]
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
from pathlib import Path
from typing import Any

# the test helpers it builds sites with
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "verify"))

from real_render import SPECIES, nodes, render, site_of
from timing import best_of

from helmdeck.verify import options_from_site, rendered_from, verify

OSH = Path(os.environ.get("HELMDECK_OSH_CHECKOUT", "/work/osh"))
SIZES = (10, 500, 2000)
TARGET_S = 2.0


def host_list(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"name": f"ctl-{i}", "roles": ["controller"], "zone": f"az{i % 2 + 1}"} for i in range(3)]
    out += [{"name": f"net-{i}", "roles": ["network"], "zone": f"az{i % 2 + 1}"}
            for i in range(3)]
    for i in range(max(n - 6, 1)):
        host: dict[str, Any] = {"name": f"cmp-{i}", "roles": ["compute"], "zone": f"az{i % 4 + 1}",
                                "labels": {"rack": f"r{i % 50}"}}
        if i % 4 == 0:
            host["taints"] = [SPECIES]
        out.append(host)
    return out


def measure(n: int, profile: bool) -> None:
    """One row: render once (the peer), then parse, rules, and both together (best of 3)."""
    site = site_of(OSH, host_list(n), network={"backend": "ovn"},
                   storage={"backend": "pvc", "class_name": "fast"})
    releases: list[Any] = []
    t_render = best_of(1, lambda: releases.append(render(site)))
    manifests = [(r.chart, r.release, r.namespace, r.manifests) for r in releases[0]]
    the_nodes, options = nodes(site), options_from_site(site)
    rendered = [rendered_from(*m) for m in manifests]
    found: list[Any] = []

    def whole() -> None:
        found[:] = verify([rendered_from(*m) for m in manifests], the_nodes, options)

    t_parse = best_of(3, lambda: [rendered_from(*m) for m in manifests])
    t_rules = best_of(3, lambda: verify(rendered, the_nodes, options))
    t_verify = best_of(3, whole)
    print(f"{n:>6} {t_render:>16.3f} {t_parse:>8.3f} {t_rules:>8.3f} {t_verify:>9.3f} "
          f"{t_verify / t_render:>14.2f} {len(found):>9}")
    if n == SIZES[-1] and t_verify >= TARGET_S:
        print(f"TARGET MISSED: verify at {n} hosts took >= {TARGET_S} s")
    if profile and n == SIZES[-1]:
        cProfile.runctx("whole()", globals(), {"whole": whole}, "/tmp/bench_verify.prof")
        pstats.Stats("/tmp/bench_verify.prof").sort_stats("tottime").print_stats(20)


def main() -> None:
    if not (OSH / "helm-toolkit" / "Chart.yaml").is_file():
        print(f"no openstack-helm checkout at {OSH} (set HELMDECK_OSH_CHECKOUT): skipped")
        return
    print(f"{'hosts':>6} {'render (peer) s':>16} {'parse s':>8} {'rules s':>8} "
          f"{'verify s':>9} {'verify/render':>14} {'findings':>9}")
    for n in SIZES:
        measure(n, "--profile" in sys.argv)


if __name__ == "__main__":
    main()
