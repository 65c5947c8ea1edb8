"""Per-host DaemonSets at 2,000 hosts in 20 profiles: helmdeck's profile rules against the same
site written one host entry per host (all distinct: the per-host form StarlingX generates).

Both forms in the same run: system overrides for every chart of the application (plugins only,
no database), the render of nova and neutron by Helm's engine through helmdeck's own code
(store, plugins, overrides, ``helm template`` in process, as ``plan`` renders), and the
DaemonSets each per-host chart produces, counted in the rendered manifests. The charts are the
example charts (helm-toolkit's per-host templates) unless ``--charts`` names others, e.g. an
openstack-helm checkout. Targets: profile overrides < 1 s; 21 DaemonSets per per-host chart
instead of 2,001.

helm-toolkit's per-host form grows worse than linearly (each of the N DaemonSets renders the
chart's whole configuration again, the default one excluding N hosts), so each per-host render
runs once, in a child process stopped after ``--budget`` seconds; when stopped, its DaemonSet
count comes from the values (the names helm-toolkit makes, checked against its templates by the
tests), and ``--ladder`` sizes show how its time grows.

    .venv/bin/python bench/bench_profiles.py [--hosts N] [--charts DIR] [--budget S]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from queue import Empty
from typing import Any

import yaml

# the test helpers it builds sites and renders with
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "verify"))

from plugin_sites import CHARTS, chart_values_from, snapshot
from real_render import desired, site_of
from support.profile_sites import PROFILES, SCALE_NETWORK, scale_hosts, scale_profiles
from timing import best_of

from helmdeck.deploy.deployer import release_renderer
from helmdeck.deploy.desired import DesiredRelease
from helmdeck.plugin import ChartPlugin, Form, daemonsets
from helmdeck.plugins.generate import system_overrides
from helmdeck.plugins.registry import Plugins, load_plugins
from helmdeck.site.model import Site

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
RENDERED = ("nova", "neutron")
# The per-host DaemonSets of the rendered charts: name prefix -> helm-toolkit's key.
FAMILIES = {"nova-compute-": "nova_compute", "neutron-ovs-agent-": "neutron_ovs-agent",
            "neutron-sriov-agent-": "neutron_sriov-agent"}


def sites(charts: Path, n: int) -> tuple[Site, Site]:
    """The site in profiles and the same hosts written one entry each."""
    grouped = site_of(charts, scale_hosts(n), network=SCALE_NETWORK, profiles=scale_profiles())
    return grouped, site_of(charts, scale_hosts(n, per_host=True), network=SCALE_NETWORK)


def by_host(plugins: Plugins) -> Plugins:
    """The same plugins writing helm-toolkit's one-DaemonSet-per-host form."""
    return Plugins({c: ChartPlugin(p.spec, by_host=True) if isinstance(p, ChartPlugin) else p
                    for c, p in plugins.items()})


def daemonset_counts(manifests: Mapping[str, str]) -> Counter[str]:
    """Per-host chart key -> the DaemonSets of its family in the rendered manifests."""
    counts: Counter[str] = Counter()
    for text in manifests.values():
        for doc in yaml.safe_load_all(text):
            if doc and doc.get("kind") == "DaemonSet":
                name = doc["metadata"]["name"]
                for prefix, key in FAMILIES.items():
                    if name.startswith(prefix):
                        counts[key] += 1
    return counts


def counted_from_values(releases: Mapping[str, DesiredRelease]) -> Counter[str]:
    """The same count from the values alone (the names helm-toolkit will make; the tests check
    them against its templates), for a render that did not finish."""
    return Counter({key: len(daemonsets(Form.CONF, key, releases[key.split("_")[0]].values))
                    for key in FAMILIES.values()})


def releases_of(site: Site, plugins: Plugins) -> dict[str, DesiredRelease]:
    return {d.chart: d for d in desired(site, plugins=plugins) if d.chart in RENDERED}


def _render_child(charts: str, hosts: int, chart: str, queue: Any) -> None:
    """In a fresh process: the per-host site's render of ``chart``, once; its time and count."""
    plugins = by_host(load_plugins())
    release = releases_of(sites(Path(charts), hosts)[1], plugins)[chart]
    manifests: list[Any] = []
    took = best_of(1, lambda: manifests.append(release_renderer(plugins.secret_paths)(release)))
    queue.put((took, dict(daemonset_counts(manifests[0]))))


def bounded_render(charts: Path, hosts: int, chart: str, budget: float
                   ) -> tuple[float | None, Counter[str]]:
    """One per-host render in a child process, stopped after ``budget`` seconds (None)."""
    ctx = multiprocessing.get_context("spawn")  # Helm's Go runtime does not survive a fork
    queue = ctx.Queue()
    child = ctx.Process(target=_render_child, args=(str(charts), hosts, chart, queue))
    child.start()
    try:
        took, counts = queue.get(timeout=budget + 30)  # its own set-up is not timed
    except Empty:
        took, counts = None, {}
    finally:
        child.kill()
        child.join()
    return (took if took is not None and took <= budget else None), Counter(counts)


def overrides_time(site: Site, plugins: Plugins, charts: Path) -> float:
    """System overrides of every chart (plugins only, no database), best of 3."""
    snap = snapshot(site)
    values = {c: chart_values_from(charts / c, site)[1] for c in CHARTS}

    def run() -> None:
        for c in CHARTS:
            system_overrides(plugins[c], snap, snap.releases[c], values[c])

    return best_of(3, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--charts", type=Path, default=ROOT / "examples" / "charts",
                        help="chart directory, e.g. an openstack-helm checkout")
    parser.add_argument("--budget", type=float, default=180.0,
                        help="seconds one per-host render may take before it is stopped")
    parser.add_argument("--ladder", type=int, nargs="*", default=[50, 100],
                        help="smaller sites whose per-host render is measured once each")
    args = parser.parse_args()
    charts: Path = args.charts.resolve()
    print(f"charts: {charts}; {args.hosts} hosts in {PROFILES} profiles")
    plugins, flat_plugins = load_plugins(), by_host(load_plugins())
    grouped, flat = sites(charts, args.hosts)
    t_grouped, t_flat = (overrides_time(grouped, plugins, charts),
                         overrides_time(flat, flat_plugins, charts))
    print(f"system overrides, all {len(CHARTS)} charts: profiles {t_grouped:.3f} s, "
          f"per host {t_flat:.3f} s, ratio {t_flat / t_grouped:.1f}")
    if t_grouped >= TARGET_S:
        print(f"TARGET MISSED: profile overrides at {args.hosts} hosts took >= {TARGET_S} s")

    releases = releases_of(grouped, plugins)
    render = release_renderer(plugins.secret_paths)
    expected = counted_from_values(releases_of(flat, flat_plugins))
    print(f"{'chart':>8} {'hosts':>6} {'profiles (s)':>13} {'per host (s)':>13} {'ratio':>7}  "
          "DaemonSets (profiles / per host)")
    for chart in RENDERED:
        manifests: list[Any] = []
        t_g = best_of(3, lambda c=chart, m=manifests: m.append(render(releases[c])))
        counts = daemonset_counts(manifests[-1])
        t_f, flat_counts = bounded_render(charts, args.hosts, chart, args.budget)
        shown = f"{t_f:>13.3f} {t_f / t_g:>7.1f}" if t_f is not None else (
            f"{'> ' + format(args.budget, '.0f'):>13} {'> ' + format(args.budget / t_g, '.0f'):>7}")
        families = [k for k in FAMILIES.values() if k.startswith(chart)]
        found = ", ".join(
            f"{k} {counts[k]} / {flat_counts[k] if t_f is not None else expected[k]}"
            f"{'' if t_f is not None else ' (from the values)'}" for k in families)
        print(f"{chart:>8} {args.hosts:>6} {t_g:>13.3f} {shown}  {found}")
        if counts.get(f"{chart}_compute", PROFILES + 1) != PROFILES + 1:
            print(f"TARGET MISSED: {counts[chart + '_compute']} nova-compute DaemonSets, not 21")
        for n in args.ladder:
            t_n, n_counts = bounded_render(charts, n, chart, args.budget)
            took = f"{t_n:.3f}" if t_n is not None else f"> {args.budget:.0f}"
            made = ", ".join(f"{k} {n_counts[k]}" for k in families) if t_n is not None else (
                "stopped")
            print(f"{chart:>8} {n:>6} {'':>13} {took:>13} {'':>7}  per host: {made}")


if __name__ == "__main__":
    main()
