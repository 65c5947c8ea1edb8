"""Node labelling up to the API client, export redaction, object digests, and the apply engine
on random dependency graphs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from deploy_env import make_site
from deploy_fakes import MemoryReleases
from hypothesis import given, settings
from hypothesis import strategies as st
from lightkube.core.exceptions import ApiError
from lightkube.models.core_v1 import NodeSpec as K8sNodeSpec
from lightkube.models.core_v1 import Taint as K8sTaint
from lightkube.models.meta_v1 import ObjectMeta, Status
from lightkube.resources.core_v1 import Node

from helmdeck.application import AppChart, Application
from helmdeck.deploy.apply import execute
from helmdeck.deploy.desired import DesiredRelease
from helmdeck.deploy.export import (
    ExportOptions,
    chart_source,
    check_secret_handling,
    export_files,
    levels_of,
)
from helmdeck.deploy.objects import parse_objects
from helmdeck.deploy.plan import make_plan
from helmdeck.errors import UserError
from helmdeck.kube.nodes import (
    MANAGED_LABELS,
    MANAGED_TAINTS,
    NodeSpec,
    NodeTaint,
    apply_nodes,
    node_change,
    read_state,
)
from helmdeck.overrides.formats import ChartSource
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.site.nodes import desired_nodes


class FakeNodeClient:
    """The two lightkube calls nodes apply makes, against a dict of nodes."""

    def __init__(self, nodes: dict[str, Node]) -> None:
        self.nodes = nodes
        self.patches: list[tuple[str, dict[str, Any]]] = []

    def get(self, res: type, name: str) -> Node:
        assert res is Node
        if name not in self.nodes:
            raise ApiError(status=Status(code=404, message="not found"))
        return self.nodes[name]

    def patch(self, res: type, name: str, obj: dict[str, Any]) -> None:
        self.patches.append((name, obj))


def _node(name: str, labels: dict[str, str], taints: list[K8sTaint] | None = None,
          annotations: dict[str, str] | None = None) -> Node:
    return Node(metadata=ObjectMeta(name=name, labels=labels, annotations=annotations,
                                    resourceVersion="7"),
                spec=K8sNodeSpec(taints=taints))


def test_nodes_apply_patches_only_what_differs_and_keeps_foreign_taints() -> None:
    wanted = desired_nodes(make_site())
    client = FakeNodeClient(
        {
            "ctl-0": _node("ctl-0", dict(wanted[0].labels)),
            "cmp-0": _node(
                "cmp-0",
                {"kubernetes.io/hostname": "cmp-0", "hardware": "cpu"},
                [
                    K8sTaint(key="node.kubernetes.io/unschedulable", effect="NoSchedule"),
                    K8sTaint(key="species", value="old", effect="NoSchedule"),
                ],
            ),
            "net-0": _node("net-0", {}),
        }
    )
    lines = apply_nodes(wanted, client)
    # ctl-0 already had every label: nothing to do, and nothing recorded as helmdeck's.
    assert [name for name, _ in client.patches] == ["cmp-0", "net-0"]
    cmp_patch = client.patches[0][1]
    assert cmp_patch["metadata"]["labels"] == {
        "hardware": "gpu",
        "openstack-compute-node": "enabled",
        "openvswitch": "enabled",
        "topology.kubernetes.io/zone": "az2",
    }
    assert cmp_patch["metadata"]["resourceVersion"] == "7"
    assert json.loads(cmp_patch["metadata"]["annotations"][MANAGED_LABELS]) == sorted(
        cmp_patch["metadata"]["labels"])
    assert json.loads(cmp_patch["metadata"]["annotations"][MANAGED_TAINTS]) == [
        "species:NoSchedule"]
    assert cmp_patch["spec"]["taints"] == [
        {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable"},
        {"key": "species", "effect": "NoSchedule", "value": "gpu"},
    ]
    assert "spec" not in client.patches[1][1]
    assert lines == ["cmp-0: set 4 labels, set 1 taint (species=gpu:NoSchedule)",
                     "net-0: set 4 labels"]


def test_nodes_apply_removes_only_what_helmdeck_recorded_as_its_own() -> None:
    spec = NodeSpec("n", {"role": "a"}, (NodeTaint("keep", "", "NoSchedule"),))
    state = read_state(_node(
        "n",
        {"role": "a", "old": "x", "theirs": "y"},
        [K8sTaint(key="keep", effect="NoSchedule"), K8sTaint(key="gone", effect="NoExecute"),
         K8sTaint(key="foreign", effect="NoSchedule")],
        {MANAGED_LABELS: json.dumps(["old", "role", "vanished"]),
         MANAGED_TAINTS: json.dumps(["keep:NoSchedule", "gone:NoExecute"])},
    ))
    change = node_change(spec, state)
    assert change is not None
    assert change.patch["metadata"]["labels"] == {"old": None}
    assert json.loads(change.patch["metadata"]["annotations"][MANAGED_LABELS]) == ["role"]
    assert json.loads(change.patch["metadata"]["annotations"][MANAGED_TAINTS]) == [
        "keep:NoSchedule"]
    assert change.patch["spec"]["taints"] == [
        {"key": "keep", "effect": "NoSchedule"}, {"key": "foreign", "effect": "NoSchedule"}]
    assert change.summary() == ("n: removed 1 label (old), removed 1 taint (gone:NoExecute)")
    # Once nothing is helmdeck's any more, its annotations go too.
    empty = read_state(_node("n", {"a": "1"}, None, {MANAGED_LABELS: '["a"]'}))
    change = node_change(NodeSpec("n", {}, ()), empty)
    assert change is not None and change.patch["metadata"]["annotations"] == {
        MANAGED_LABELS: None}
    assert change.patch["metadata"]["labels"] == {"a": None}
    # A label that was there already with the wanted value is not taken over.
    assert node_change(NodeSpec("n", {"a": "1"}, ()), read_state(_node("n", {"a": "1"}))) is None


def test_nodes_apply_refuses_a_host_missing_from_the_cluster_before_changing_any() -> None:
    client = FakeNodeClient({"ctl-0": _node("ctl-0", {})})
    with pytest.raises(UserError, match="nodes cmp-0, net-0 are not in the cluster"):
        apply_nodes(desired_nodes(make_site()), client)
    assert client.patches == []


def _desired(chart: str, values: dict[str, Any], deps: tuple[str, ...] = ()) -> DesiredRelease:
    return DesiredRelease(
        chart=chart,
        release=chart,
        namespace="openstack",
        chart_dir=Path("/charts") / chart,
        chart_version="1.0.0",
        values=values,
        values_hash=f"h-{chart}",
        depends_on=deps,
    )


SECRET = {"endpoints": {"identity": {"auth": {"admin": {"password": "s3cr3t"}}}}}
SOURCES = {
    "fluxcd": ChartSource("git", "https://git.example/c.git"),
    "argocd": ChartSource("git", "https://git.example/c.git"),
    "helmfile": ChartSource("path", "/charts"),
    "armada": ChartSource("path", "/charts"),
}


@pytest.mark.parametrize("fmt", ["fluxcd", "argocd", "helmfile", "armada"])
def test_export_puts_secrets_only_in_the_secret_documents(fmt: str, tmp_path: Path) -> None:
    desired = [_desired("keystone", SECRET), _desired("glance", {}, ("keystone",))]
    opts = ExportOptions(fmt, tmp_path, reveal=True, export_path="gitops")
    files = export_files(desired, opts, source=SOURCES[fmt], app_name="osh",
                         paths=SecretPaths())
    assert not any("<redacted>" in text for text in files.values())
    assert [n for n, t in files.items() if "s3cr3t" in t] == ["keystone.secrets.yaml"]


def test_export_refuses_before_anything_without_a_way_to_place_secrets(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"--sops-age RECIPIENT .* or --reveal"):
        check_secret_handling(ExportOptions("helmfile", tmp_path / "out"))
    with pytest.raises(UserError, match="--reveal: --sops-age"):
        check_secret_handling(ExportOptions("helmfile", tmp_path, age=("age1x",), reveal=True))
    check_secret_handling(ExportOptions("helmfile", tmp_path, age=("age1x",)))
    (tmp_path / ".sops.yaml").write_text("creation_rules: []\n")
    check_secret_handling(ExportOptions("helmfile", tmp_path))
    assert not (tmp_path / "out").exists()


def test_chart_source_per_engine() -> None:
    site = make_site()
    path = site.spec.charts.source.path
    for fmt in ("fluxcd", "argocd"):
        with pytest.raises(UserError, match="--repo-url"):
            chart_source(site, ExportOptions(fmt, Path("o")))
    assert chart_source(site, ExportOptions("helmfile", Path("o"))) == ChartSource("path",
                                                                                   str(path))
    git = chart_source(site, ExportOptions("fluxcd", Path("o"), repo_url="https://g/c.git",
                                           revision="v2", path_prefix="charts",
                                           source_namespace="flux-system"))
    assert (git.kind, git.url, git.revision, git.chart_in_repo("nova"), git.namespace) == (
        "git", "https://g/c.git", "v2", "charts/nova", "flux-system")
    assert chart_source(site, ExportOptions("fluxcd", Path("o"), repo_url="https://g")
                        ).namespace == site.spec.namespace
    with pytest.raises(UserError, match="local path"):
        chart_source(site, ExportOptions("fluxcd", Path("o"), repo_url="file:///srv/charts"))
    repo = make_site(charts={"source": {"repo": "https://charts.example"}})
    assert chart_source(repo, ExportOptions("fluxcd", Path("o"))).kind == "helm"
    with pytest.raises(UserError, match="--repo-url"):
        chart_source(repo, ExportOptions("argocd", Path("o")))
    oci = make_site(charts={"source": {"oci": "oci://registry.example/osh"}})
    assert chart_source(oci, ExportOptions("helmfile", Path("o"))).kind == "oci"


def test_armada_application_names_releases_as_armada_does() -> None:
    app = Application("osh", (AppChart("rabbitmq", "rabbitmq"), AppChart("nova", "nova-rel")))
    renamed = app.armada()
    assert [c.release for c in renamed.charts] == ["osh-rabbitmq", "osh-nova-rel"]
    assert [c.name for c in renamed.charts] == ["rabbitmq", "nova"]


def test_levels_of_the_exported_releases() -> None:
    desired = [_desired("a", {}), _desired("b", {}, ("a", "gone")), _desired("c", {}, ("b",)),
               _desired("d", {}, ("a",))]
    assert levels_of(desired) == [["a"], ["b", "d"], ["c"]]
    # not waiting for b (it waits at runtime on c), c goes beside it, not after it
    assert levels_of(desired, frozenset({"a", "c", "d"})) == [["a"], ["b", "c", "d"]]


def test_objects_are_keyed_by_kind_and_name_with_hooks_marked() -> None:
    manifests = {
        "c/templates/a.yaml": "kind: Job\nmetadata:\n  name: j\n  annotations:\n"
        "    helm.sh/hook: post-install\n---\n# empty\n",
        "c/templates/b.yaml": "kind: Role\nmetadata: {name: r, namespace: other}\n",
        "c/templates/NOTES.txt": "kind: not yaml: [",
    }
    objs = parse_objects(manifests, "openstack")
    assert [(o.key, o.hook) for o in objs] == [("Job/j", True), ("Role/other/r", False)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Application, set[str]]:
    n = draw(st.integers(min_value=1, max_value=8))
    charts = []
    for i in range(n):
        deps = draw(st.sets(st.integers(min_value=0, max_value=i - 1), max_size=3)) if i else set()
        charts.append(AppChart(f"c{i}", f"c{i}", depends_on=tuple(f"c{d}" for d in sorted(deps))))
    failing = draw(st.sets(st.sampled_from([c.name for c in charts]), max_size=2))
    return Application("g", tuple(charts)), failing


@settings(max_examples=40, deadline=None)
@given(graphs(), st.integers(min_value=1, max_value=4))
def test_failures_stop_exactly_their_transitive_dependents(
    case: tuple[Application, set[str]], concurrency: int
) -> None:
    app, failing = case
    desired = [_desired(c.name, {}, c.depends_on) for c in app.charts]
    plan = make_plan(app, desired, {}, render=lambda d: {}, namespace="openstack")
    ops = MemoryReleases(fail=set(failing))
    outcomes = {o.item.chart: o.status for o in execute(plan, ops, concurrency=concurrency)}
    doomed: set[str] = set().union(*(app.dependents(f) for f in failing))
    assert {c for c, s in outcomes.items() if s == "failed"} == failing - doomed
    assert {c for c, s in outcomes.items() if s == "skipped"} == doomed
    assert {c for c, s in outcomes.items() if s == "ok"} == set(app.names()) - failing - doomed
    finished = [c[1] for c in ops.calls if c[0] == "done"]
    started = [c[1] for c in ops.calls if c[0] == "start"]
    for chart in app.charts:
        if chart.name in started:
            for dep in chart.depends_on:
                assert dep in finished
                assert ops.calls.index(("done", dep)) < ops.calls.index(("start", chart.name))
