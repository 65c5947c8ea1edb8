"""The application definition: the packaged graph, layering, dependents and validation."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import OSH_CHARTS

from helmdeck.application import AppChart, Application, SiteTraits, When, load_application
from helmdeck.errors import NotFoundError, UserError

CHARTS = {*OSH_CHARTS, "ovn"}


def test_packaged_application_lists_the_14_charts_with_release_equal_name() -> None:
    app = load_application()
    assert set(app.names()) == CHARTS
    assert all(c.release == c.name and c.namespace is None for c in app.charts)


def test_packaged_levels_follow_the_documented_order() -> None:
    assert load_application().levels() == [
        ["mariadb", "memcached", "openvswitch", "rabbitmq"],
        ["keystone", "ovn"],
        ["cinder", "glance", "heat", "horizon", "libvirt", "placement"],
        ["nova"],
        ["neutron"],
    ]


def test_libvirt_and_nova_are_installed_without_waiting() -> None:
    app = load_application()
    assert {c.name for c in app.charts if not c.wait} == {"libvirt", "nova"}


def test_packaged_dependencies() -> None:
    app = load_application()
    assert set(app.chart("keystone").depends_on) == {"mariadb", "memcached", "rabbitmq"}
    assert set(app.chart("nova").depends_on) >= {"glance", "placement", "libvirt", "keystone"}
    assert set(app.chart("neutron").depends_on) >= {"nova", "openvswitch", "memcached"}


def test_dependents() -> None:
    app = load_application()
    assert app.dependents("nova", transitive=False) == {"neutron"}
    assert app.dependents("openvswitch") == {"libvirt", "nova", "neutron", "ovn"}
    assert app.dependents("neutron") == set()
    assert "horizon" in app.dependents("mariadb")


def test_disabled_dependencies_of_enabled_charts_are_named() -> None:
    app = load_application()
    enabled = set(app.names()) - {"keystone", "horizon"}
    missing = app.disabled_dependencies(enabled)
    assert missing == {
        c: ("keystone",) for c in ("cinder", "glance", "heat", "neutron", "nova", "placement")
    }
    assert app.disabled_dependencies(set(app.names())) == {}
    assert app.disabled_dependencies(set(app.names()) - {"nova", "neutron", "libvirt"}) == {}


OVS = SiteTraits(network="openvswitch")
OVN = SiteTraits(network="ovn")


def test_ovn_belongs_to_ovn_sites_only_and_the_network_charts_wait_for_it() -> None:
    app = load_application()
    everything = set(app.names())
    assert "ovn" not in app.active(everything, OVS)
    assert "ovn" in app.active(everything, OVN)
    for chart in ("libvirt", "nova", "neutron"):
        assert "ovn" in app.chart(chart).depends_on
        assert "ovn" in app.dependents("openvswitch") and chart in app.dependents("ovn")
    # on an OVS site the edge is void, not a missing dependency
    assert app.disabled_dependencies(app.active(everything, OVS), OVS) == {}
    # on an OVN site an operator-disabled ovn is missing for every network chart
    missing = app.disabled_dependencies(app.active(everything - {"ovn"}, OVN), OVN)
    assert missing == {c: ("ovn",) for c in ("libvirt", "neutron", "nova")}


def test_libvirt_goes_with_nova_and_compute_hosts() -> None:
    app = load_application()
    everything = set(app.names())
    assert "libvirt" in app.active(everything, OVS)
    assert "libvirt" not in app.active(everything - {"nova"}, OVS)
    no_computes = SiteTraits(roles=frozenset({"controller", "network"}))
    assert "libvirt" not in app.active(everything, no_computes)
    # an operator disabling libvirt while nova stays is a missing dependency
    assert app.disabled_dependencies(everything - {"libvirt", "ovn"}, OVS) == {
        "nova": ("libvirt",)
    }


def test_when_conditions_cascade_and_any_value_matches(tmp_path: Path) -> None:
    app = load_application(
        _write(
            tmp_path,
            """
charts:
  - {name: a, when: {storage: [pvc, ceph]}}
  - {name: b, when: {enabled: [a, c]}}
  - {name: c, when: {enabled: b}}
  - {name: d, when: {enabled: a, role: storage}}
""",
        )
    )
    assert app.chart("a").when == When((("storage", ("pvc", "ceph")),))
    names = set(app.names())
    assert app.active(names, SiteTraits(storage="ceph")) == names
    assert app.active(names, SiteTraits(storage="ceph", roles=frozenset({"compute"}))) == {
        "a", "b", "c"
    }
    # b and c hold each other up; with a gone only the operator's choice keeps them
    assert app.active(names, SiteTraits(storage="local")) == {"b", "c"}
    assert app.active(names - {"c"}, SiteTraits(storage="local")) == set()


@pytest.mark.parametrize(
    "text, message",
    [
        ("charts: [{name: a, when: {network: ovm}}]", r"charts\[0\].when.network: ovm is not a "
         "site network; one of: openvswitch, ovn"),
        ("charts: [{name: a, when: {role: boss}}]", "boss is not a site role"),
        ("charts: [{name: a, when: {colour: red}}]", "when: unknown key colour"),
        ("charts: [{name: a, when: {enabled: []}}]", "must be a name or a non-empty list"),
        ("charts: [{name: a, when: []}]", "when: must be a map"),
        ("charts: [{name: a, when: {enabled: nova}}]", "when.enabled names unknown chart nova"),
    ],
)
def test_bad_when(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_application(_write(tmp_path, text))


def test_unknown_chart_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="swift: not part of application"):
        load_application().chart("swift")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return path


def test_operator_file_with_release_namespace_and_defaults(tmp_path: Path) -> None:
    app = load_application(
        _write(
            tmp_path,
            """
name: mini
charts:
  - {name: db, release: db-1, namespace: infra, timeout: 30}
  - {name: api, depends_on: [db], recreate_on_change: [Job]}
""",
        )
    )
    assert app.chart("db") == AppChart("db", "db-1", "infra", (), True, 30, ())
    assert app.chart("api").release == "api" and app.chart("api").recreate_on_change == ("Job",)
    assert app.levels() == [["db"], ["api"]]


def test_unknown_dependency_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="chart api depends on unknown chart nope"):
        load_application(_write(tmp_path, "charts: [{name: api, depends_on: [nope]}]"))


def test_cycle_is_named(tmp_path: Path) -> None:
    text = (
        "charts: [{name: a, depends_on: [c]}, {name: b, depends_on: [a]},"
        " {name: c, depends_on: [b]}]"
    )
    with pytest.raises(UserError, match=r"dependency cycle a -> c -> b -> a"):
        load_application(_write(tmp_path, text))


@pytest.mark.parametrize(
    "text, message",
    [
        ("charts: [{name: a, wait: maybe}]", r"charts\[0\].wait: must be true or false"),
        ("charts: [{name: a, timeout: -1}]", "timeout: must be a positive"),
        ("charts: [{name: a, colour: red}]", "unknown key colour"),
        ("charts: [{release: a}]", "each chart needs a name"),
        ("charts: [{name: a}, {name: a}]", "chart listed twice: a"),
        ("charts: {a: 1}", "expected a map with a `charts:` list"),
        ("charts: [", "not valid YAML"),
    ],
)
def test_bad_application_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_application(_write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read application file"):
        load_application(tmp_path / "absent.yaml")


@st.composite
def dags(draw: st.DrawFn) -> list[AppChart]:
    n = draw(st.integers(1, 12))
    charts = []
    for i in range(n):
        deps = draw(st.sets(st.integers(0, i - 1), max_size=i)) if i else set()
        charts.append(AppChart(f"c{i}", f"c{i}", depends_on=tuple(f"c{d}" for d in sorted(deps))))
    return charts


@settings(max_examples=60, deadline=None)
@given(dags())
def test_levels_put_every_chart_after_all_its_dependencies(charts: list[AppChart]) -> None:
    app = Application("gen", tuple(charts))
    level = {n: i for i, names in enumerate(app.levels()) for n in names}
    assert set(level) == {c.name for c in charts}
    for c in charts:
        assert all(level[d] < level[c.name] for d in c.depends_on)
        # longest path: a chart sits directly above its deepest dependency
        assert level[c.name] == 1 + max((level[d] for d in c.depends_on), default=-1)
        for dep in c.depends_on:
            assert c.name in app.dependents(dep)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("charts:\n  - name: a\n  - name: b\n    wait: maybe\n", 4, "charts[1].wait: must be true"),
        ("charts:\n  - name: a\n    depends_on:\n      - nope\n", 4,
         "charts[0].depends_on[0]: chart a depends on unknown chart nope"),
        ("charts:\n  - name: a\n  - name: a\n", 3,
         "charts[1].name: chart listed twice: a (first at charts[0])"),
        ("charts:\n  - name: a\n    when:\n      network: [ovn, ovm]\n", 4,
         "charts[0].when.network: ovm is not a site network"),
        ("name: x\ncharts:\n  - name: a\n    colour: red\n", 3,
         "charts[0]: unknown key colour; allowed: depends_on, name, namespace"),
        ("charts:\n  - name: a\n    depends_on: [b]\n  - name: b\n    depends_on: [a]\n", 3,
         "charts[0].depends_on: dependency cycle a -> b -> a"),
        ("charts:\n  - name: a\n    name: b\n", 3, "charts[0].name: duplicate key"),
        ("charts: " + "[" * 300 + "]" * 300 + "\n", 1, "(yaml): nested deeper than 100 levels"),
    ],
)
def test_problems_name_file_line_and_path(tmp_path: Path, text: str, line: int,
                                          message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as exc:
        load_application(path)
    assert str(exc.value).startswith(f"{path}:{line}: {message}")


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    text = "charts:\n  - {name: a, wait: 1}\n  - {name: b, timeout: 0}\n  - {release: c}\n"
    with pytest.raises(UserError) as exc:
        load_application(_write(tmp_path, text))
    assert [line.split(": ", 1)[1] for line in str(exc.value).splitlines()] == [
        "charts[0].wait: must be true or false",
        "charts[1].timeout: must be a positive number of seconds",
        "charts[2]: each chart needs a name; write `- name: <chart>`",
    ]


def test_the_model_is_strict_frozen_and_validated_however_built() -> None:
    from dataclasses import FrozenInstanceError

    from pydantic import ValidationError

    chart = AppChart("a", "a")
    with pytest.raises(FrozenInstanceError):
        chart.name = "b"  # type: ignore[misc]
    for bad in [lambda: AppChart("a", "a", depends_on=["b"]),  # type: ignore[arg-type]
                lambda: AppChart("a", "a", timeout=0),
                lambda: AppChart("a", "a", wait="yes"),  # type: ignore[arg-type]
                lambda: When((("colour", ("red",)),))]:  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            bad()
    with pytest.raises(UserError, match="application g: dependency cycle a -> b -> a"):
        Application("g", (AppChart("a", "a", depends_on=("b",)),
                          AppChart("b", "b", depends_on=("a",))))


@st.composite
def graphs(draw: st.DrawFn) -> list[AppChart]:
    """Any dependency graph over a few names, cycles included."""
    names = [f"c{i}" for i in range(draw(st.integers(1, 7)))]
    return [AppChart(n, n, depends_on=tuple(draw(st.sets(st.sampled_from(names), max_size=3))))
            for n in names]


@settings(max_examples=80, deadline=None)
@given(graphs())
def test_a_graph_is_layered_or_its_cycle_named(charts: list[AppChart]) -> None:
    deps = {c.name: set(c.depends_on) for c in charts}
    try:
        app = Application("gen", tuple(charts))
    except UserError as exc:
        cycle = str(exc).split("dependency cycle ", 1)[1].split(";")[0].split(" -> ")
        assert cycle[0] == cycle[-1] == min(cycle)
        assert all(b in deps[a] for a, b in itertools.pairwise(cycle))
        return
    level = {n: i for i, names in enumerate(app.levels()) for n in names}
    assert all(names == sorted(names) for names in app.levels())
    for c in charts:
        assert level[c.name] == 1 + max((level[d] for d in c.depends_on), default=-1)
