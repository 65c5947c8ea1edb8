"""Chart sources, the values_overrides selection and the checks of site names against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REFERENCE_CHARTS as REFERENCE
from support import as_site, site_doc

from helmdeck.chart import (
    candidates,
    chart_defaults,
    chart_version,
    locate,
    source_problems,
    static_override_files,
    static_overrides,
)
from helmdeck.errors import UserError
from helmdeck.site.model import Site


def site(
    source: dict[str, str],
    features: list[str] | None = None,
    release: str = "2026.1",
    distro: str = "ubuntu_noble",
    network: str = "openvswitch",
) -> Site:
    doc = site_doc(
        [{"name": "h", "roles": ["controller", "compute"]}],
        name="s",
        public_domain="example.com",
        release=release,
        distro=distro,
        features=features or [],
        charts={"source": source},
        network={"backend": network},
    )
    return as_site(doc)


def test_candidates_match_the_documented_examples() -> None:
    assert candidates(["2025.1", "ubuntu_noble"]) == [
        "ubuntu_noble.yaml",
        "2025.1.yaml",
        "2025.1-ubuntu_noble.yaml",
    ]
    assert candidates(["A", "B", "C"]) == [
        "C.yaml",
        "B.yaml",
        "B-C.yaml",
        "A.yaml",
        "A-C.yaml",
        "A-B.yaml",
        "A-B-C.yaml",
    ]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=6, unique=True))
def test_candidates_are_every_ordered_combination_once(features: list[str]) -> None:
    got = candidates(features)
    assert len(got) == len(set(got)) == 2 ** len(features) - 1
    # a combined file follows each of its parts; the first feature's own file comes last of singles
    singles = [f"{f}.yaml" for f in features]
    assert [c for c in got if c in singles] == list(reversed(singles))


def test_too_many_features_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"spec.features"):
        candidates([str(i) for i in range(20)])


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_both_layouts_and_provenance_of_the_file_that_won(tmp_path: Path) -> None:
    # real repository layout for one file, reference (per chart) layout for another
    _write(tmp_path / "values_overrides/kst/ubuntu_noble.yaml", "a: {p: 1, q: 1}\nlist: [1]\n")
    _write(tmp_path / "kst/values_overrides/2026.1.yaml", "a: {q: 2}\nlist: [2]\n")
    _write(tmp_path / "kst/values_overrides/unrelated.yaml", "z: 1\n")
    s = site({"path": str(tmp_path)})
    assert [p.name for p in static_override_files(s, "kst")] == ["ubuntu_noble.yaml", "2026.1.yaml"]
    values, prov = static_overrides(s, "kst")
    assert values == {"a": {"p": 1, "q": 2}, "list": [2]}
    assert prov == {
        "a.p": "static: values_overrides/kst/ubuntu_noble.yaml",
        "a.q": "static: values_overrides/kst/2026.1.yaml",
        "list": "static: values_overrides/kst/2026.1.yaml",
    }


def test_ovn_backend_picks_the_ovn_overrides(tmp_path: Path) -> None:
    """Upstream's ovn.yaml turns off the OVS agents and sets the ML2 driver; without it an ovn
    site renders neutron half-OVS (dhcp/l3 agents waiting for an OVS agent that never runs)."""
    _write(tmp_path / "values_overrides/neutron/ovn.yaml", "manifests: {l3: false}\n")
    _write(tmp_path / "values_overrides/neutron/gateway-ovn.yaml", "g: 1\n")
    _write(tmp_path / "values_overrides/neutron/2026.1-ubuntu_noble.yaml", "i: 1\n")
    ovn = site({"path": str(tmp_path)}, network="ovn")
    names = [p.name for p in static_override_files(ovn, "neutron")]
    assert names == ["2026.1-ubuntu_noble.yaml", "ovn.yaml"]
    explicit = site({"path": str(tmp_path)}, features=["gateway", "ovn"], network="ovn")
    names = [p.name for p in static_override_files(explicit, "neutron")]
    assert names == ["2026.1-ubuntu_noble.yaml", "ovn.yaml", "gateway-ovn.yaml"]
    ovs = site({"path": str(tmp_path)})
    assert [p.name for p in static_override_files(ovs, "neutron")] == ["2026.1-ubuntu_noble.yaml"]


def test_no_override_files_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "kst").mkdir()
    assert static_overrides(site({"path": str(tmp_path)}), "kst") == ({}, {})


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference charts absent at {REFERENCE}")
def test_reference_keystone_gateway_tls_example() -> None:
    s = site({"path": str(REFERENCE)}, features=["gateway", "tls"], release="2025.1")
    assert [p.name for p in static_override_files(s, "keystone")] == [
        "2025.1-ubuntu_noble.yaml",
        "tls.yaml",
        "gateway.yaml",
        "gateway-tls.yaml",
    ]
    values, prov = static_overrides(s, "keystone")
    assert values["images"]["tags"]["keystone_api"].endswith("2025.1-ubuntu_noble")
    assert prov["images.tags.keystone_api"] == (
        "static: values_overrides/keystone/2025.1-ubuntu_noble.yaml"
    )


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference charts absent at {REFERENCE}")
def test_reference_chart_dir_defaults_and_version() -> None:
    d = locate(site({"path": str(REFERENCE)}), "keystone")
    assert d == REFERENCE / "keystone"
    assert chart_version(d) == "2026.1.0"
    assert chart_defaults(d)["pod"]["replicas"]["api"] == 1


def test_missing_source_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"spec.charts.source.path: directory .* does not exist"):
        locate(site({"path": str(tmp_path / "nope")}), "keystone")


def test_missing_chart(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"chart keystone: no chart at .*Chart.yaml missing"):
        locate(site({"path": str(tmp_path)}), "keystone")


@pytest.mark.parametrize(
    "source", [{"repo": "https://charts.example.com"}, {"oci": "oci://registry.example.com/osh"}]
)
def test_repo_and_oci_sources_are_pulled(
    source: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELMDECK_HOME", str(tmp_path))
    pulled: list[tuple[str, str | None, str | None]] = []

    def fake_pull(chart: str, *, dest: Path, repo_url: str | None = None,
                  oci: str | None = None) -> Path:
        pulled.append((chart, repo_url, oci))
        _write(dest / chart / "Chart.yaml", f"name: {chart}\nversion: 1.0.0\n")
        return dest / chart

    monkeypatch.setattr("helmdeck.chart.source.pull_chart", fake_pull)
    assert (locate(site(source), "keystone") / "Chart.yaml").is_file()
    assert pulled == [("keystone", source.get("repo"), source.get("oci"))]


def test_chart_version_errors(tmp_path: Path) -> None:
    _write(tmp_path / "c/Chart.yaml", "name: c\n")
    with pytest.raises(UserError, match="no `version`"):
        chart_version(tmp_path / "c")
    with pytest.raises(UserError, match="cannot read chart metadata"):
        chart_version(tmp_path / "absent")


def test_chart_without_values_has_empty_defaults(tmp_path: Path) -> None:
    assert chart_defaults(tmp_path) == {}


UPSTREAM_FILES = {  # a few names as openstack-helm has them, in both layouts
    "values_overrides/keystone": ["2026.1-ubuntu_noble.yaml", "2025.2-ubuntu_noble.yaml",
                                  "tls.yaml", "gateway-tls.yaml", "tls-offloading.yaml"],
    "openvswitch/values_overrides": ["ubuntu_noble.yaml", "dpdk.yaml"],
}


def upstream_like(tmp_path: Path) -> Path:
    for folder, names in UPSTREAM_FILES.items():
        (tmp_path / folder).mkdir(parents=True)
        for name in names:
            (tmp_path / folder / name).write_text("a: 1\n")
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"distro": "ubuntu_nobel"}, ("spec", "distro"), "did you mean ubuntu_noble?"),
        ({"features": ["gateway", "tsl"]}, ("spec", "features", 1), "did you mean tls?"),
        ({"release": "2026.2"}, ("spec", "release"), "did you mean 2026.1 or 2025.2?"),
        ({"features": ["tls-ofloading"]}, ("spec", "features", 0), "did you mean tls-offloading?"),
        ({"release": "zed"}, ("spec", "release"), "check the spelling"),
    ],
)
def test_source_problems_name_unknown_release_distro_and_features(
    tmp_path: Path, changes: dict[str, Any], where: tuple[str | int, ...], message: str
) -> None:
    source = upstream_like(tmp_path)
    ((loc, text),) = source_problems(site({"path": str(source)}, **changes))
    assert loc == where and message in text and str(source) in text


def test_source_problems_accept_what_the_source_has(tmp_path: Path) -> None:
    source = upstream_like(tmp_path)
    for features in ([], ["tls"], ["gateway", "tls-offloading", "dpdk"], ["gateway-tls"]):
        assert source_problems(site({"path": str(source)}, features)) == []
    assert source_problems(site({"path": str(tmp_path / "nope")})) == [(
        ("spec", "charts", "source", "path"),
        f"directory {tmp_path / 'nope'} does not exist; point it at an openstack-helm "
        "checkout or a directory of unpacked charts",
    )]
    plain = tmp_path / "plain"
    (plain / "keystone").mkdir(parents=True)  # charts without values_overrides: nothing to check
    assert source_problems(site({"path": str(plain)}, ["anything"], release="any")) == []
    assert source_problems(site({"oci": "oci://r/c"}, ["tsl"])) == []  # checked once pulled


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference charts not available")
def test_source_problems_against_the_reference_charts() -> None:
    assert source_problems(site({"path": str(REFERENCE)}, ["tls", "gateway"])) == []
    found = source_problems(site({"path": str(REFERENCE)}, ["tsl"], release="2026.2",
                                 distro="ubuntu_nobel"))
    assert [loc for loc, _ in found] == [("spec", "release"), ("spec", "distro"),
                                         ("spec", "features", 0)]


@pytest.mark.parametrize("name", ["../../../srv/evil", "a/b", "", "x y", "..\\x"])
def test_override_names_never_become_paths(tmp_path: Path, name: str) -> None:
    from pydantic import ValidationError

    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "evil.yaml").write_text("owned: true\n")
    with pytest.raises(ValidationError):
        site({"path": str(tmp_path)}, release=name)
    with pytest.raises(ValidationError):
        site({"path": str(tmp_path)}, [name])
    with pytest.raises(ValidationError):
        site({"path": str(tmp_path)}, distro=name)
    # a site that skipped validation is refused before any file name is made
    good = site({"path": str(tmp_path)})
    for field, value in (("release", name), ("distro", name), ("features", [name])):
        spec = good.spec.model_copy(update={field: value})
        bad = good.model_copy(update={"spec": spec})
        with pytest.raises(UserError, match="not a values_overrides name"):
            static_override_files(bad, "keystone")
