"""The README's main job on the live cluster: the example application (examples/) installed
level by level, one changed override upgrading exactly one release, a rollback, and remove.

One scenario, in order, in a namespace of its own on the shared (labelled) cluster; every
judgement reads the cluster (Helm's release records, pods), not helmdeck's database.
"""

from __future__ import annotations

from collections.abc import Mapping

from kube_env import Deck, example_site
from lightkube.resources.core_v1 import Pod
from support.cluster import Cluster

from helmdeck.application import load_application
from helmdeck.deploy.deployer import current_plan
from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.ops import probe
from helmdeck.overrides.service import OverrideService
from helmdeck.store import open_store

CHARTS = 13  # ovn is left out on an Open vSwitch site


def test_example_application_on_the_cluster(deck: Deck, labelled: Cluster) -> None:
    deck.site(example_site())
    ns = deck.namespace
    _, out, err = deck.run("apply")
    assert f"applied {CHARTS}, failed 0, skipped 0" in out
    # Level by level: nothing starts before every release it depends on has finished.
    app = load_application()
    lines = err.splitlines()
    finished = {ln.split()[1]: i for i, ln in enumerate(lines) if ln.lstrip().startswith("ok ")}
    started = {ln.split()[1]: i for i, ln in enumerate(lines)
               if ln.startswith("  install ")}
    for chart in app.charts:
        if chart.name not in started:
            continue
        for dep in chart.depends_on:
            if dep in finished:
                assert finished[dep] < started[chart.name], (dep, chart.name)
    # Helm's release records are in the cluster, each at revision 1.
    first = deck.revisions()
    assert len(first) == CHARTS and set(first.values()) == {1}
    assert set(deck.statuses().values()) == {"deployed"}
    # apply waited: every pod is scheduled and Ready (or, for Job pods, Succeeded).
    _assert_pods_ready(deck)

    # A second plan is empty and renders nothing.
    rendered = _plan_renders(deck)
    assert rendered == ([], [])

    # One changed user override: exactly that release goes to revision 2.
    deck.run("helm-override-update", "keystone", ns, "--reuse-values", "--set",
             "conf.keystone.DEFAULT.debug=true")
    _, out, _ = deck.run("apply")
    assert "applied 1, failed 0, skipped 0" in out
    second = deck.revisions()
    assert second == {**first, "keystone": 2}

    # Another change, then a rollback of the overrides to the first one, then apply: a new
    # Helm revision with the earlier values.
    deck.run("helm-override-update", "keystone", ns, "--reuse-values", "--set",
             "conf.keystone.DEFAULT.debug=false")
    deck.run("apply")
    deck.run("overrides", "rollback", "keystone", ns, "--to", "1")
    _, out, _ = deck.run("apply")
    assert "applied 1, failed 0, skipped 0" in out
    assert deck.revisions() == {**first, "keystone": 4}
    cfg = deck.helm()
    assert cfg.get_values("keystone", revision=4) == cfg.get_values("keystone", revision=2)
    assert cfg.get_values("keystone", revision=4) != cfg.get_values("keystone", revision=3)

    # remove refuses while enabled charts depend on the release ...
    code, _, err = deck.run("remove", "keystone", ok=False)
    assert code == 2 and err.count("\n") == 1
    assert "keystone: enabled charts depend on it: cinder, glance, heat, horizon, neutron, nova, "\
           "placement;" in err
    assert len(deck.revisions()) == CHARTS
    # ... and with --cascade uninstalls the dependents first, in reverse order.
    _, out, _ = deck.run("remove", "keystone", "--cascade")
    removed = [ln.split()[1] for ln in out.splitlines() if ln.startswith("removed ")]
    assert removed == ["neutron", "nova", "cinder", "glance", "heat", "horizon", "placement",
                       "keystone"]
    left = deck.revisions()
    assert sorted(left) == ["libvirt", "mariadb", "memcached", "openvswitch", "rabbitmq"]
    # libvirt belongs to a site only while nova is enabled: the next apply uninstalls it.
    _, out, _ = deck.run("plan")
    assert (f"  - uninstall libvirt ({ns}, chart libvirt): chart disabled or no longer in the "
            "application") in out
    assert "plan: 0 to install, 0 to upgrade, 1 to uninstall, 4 unchanged, 9 disabled" in out
    _, out, _ = deck.run("apply")
    assert "applied 1, failed 0, skipped 0" in out
    assert sorted(deck.revisions()) == ["mariadb", "memcached", "openvswitch", "rabbitmq"]
    _, out, _ = deck.run("plan")
    assert "no changes: every release is up to date" in out


def _plan_renders(deck: Deck) -> tuple[list[str], list[str]]:
    """The changes a plan against the cluster lists, and the charts it rendered."""
    deck.use()
    rendered: list[str] = []

    def render(d: DesiredRelease) -> Mapping[str, str]:
        rendered.append(d.chart)
        return {}

    ops, _ = probe()
    assert ops is not None
    with open_store() as store:
        plan = current_plan(OverrideService(store, actor="test"), ops=ops, render=render)
    return [i.chart for i in plan.changes()], rendered


def _assert_pods_ready(deck: Deck) -> None:
    pods = list(deck.cluster.client(deck.namespace).list(Pod))
    assert pods
    for p in pods:
        assert p.spec.nodeName, f"pod {p.metadata.name} is not scheduled"
        if p.status.phase == "Succeeded":
            continue
        ready = {c.type: c.status for c in p.status.conditions or []}.get("Ready")
        assert ready == "True", f"pod {p.metadata.name} is {p.status.phase}, not Ready"
