"""The application definition: the packaged graph, layering, dependents and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.application import AppChart, Application, SiteTraits, When, load_application
from helmdeck.errors import NotFoundError, UserError

CHARTS = {
    "mariadb",
    "rabbitmq",
    "memcached",
    "openvswitch",
    "keystone",
    "glance",
    "placement",
    "heat",
    "cinder",
    "horizon",
    "libvirt",
    "nova",
    "neutron",
    "ovn",
}


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
