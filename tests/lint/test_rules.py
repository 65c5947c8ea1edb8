"""Each rule against its failing fixture (only that rule fires) and the passing fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helmdeck.lint import RULES, lint_chart
from helmdeck.lint.chart import define_bodies, strip_comments
from helmdeck.lint.static import image_problem

FIXTURES = Path(__file__).parent / "fixtures"

# rule -> keys of the findings its failing fixture must produce (and nothing else).
EXPECTED = {
    "OSH000": {"render"},
    "OSH001": {"pod.replicas.server", "Deployment/osh001-fail-api"},
    "OSH002": {"labels.job"},
    "OSH003": {"labels.orphan", "DaemonSet/osh003-fail-worker"},
    "OSH004": {"Pod/osh004-fail-test"},
    "OSH005": {"images.tags.setup", "images.tags.helper", "DaemonSet/osh005-fail-worker"},
    "OSH006": {"images.pull_policy"},
    "OSH007": {"pod.lifecycle.upgrades.daemonsets", "Deployment/osh007-fail-api"},
    "OSH008": {"pod.resources.enabled"},
    "OSH009": {"pod.resources.jobs.setup"},
    "OSH010": {"pod.resources.scheduler"},
    "OSH011": {
        "svc.cluster.local",
        "http://keystone-api",
        "mysql+pymysql://root@mariadb.openstack.svc.cluster.local",
    },
    "OSH012": {"Deployment/osh012-fail-api:configmap-etc-hash"},
    "OSH013": {"labels"},
}


def test_every_rule_has_a_failing_fixture() -> None:
    assert set(EXPECTED) == set(RULES)
    assert all((FIXTURES / f"{r.lower()}-fail" / "Chart.yaml").is_file() for r in RULES)


def test_the_passing_fixture_keeps_every_rule() -> None:
    assert lint_chart(FIXTURES / "good") == []


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_the_failing_fixture_breaks_its_rule_only(rule: str) -> None:
    findings = lint_chart(FIXTURES / f"{rule.lower()}-fail")
    assert {(f.rule, f.key) for f in findings} == {(rule, k) for k in EXPECTED[rule]}
    assert all(f.severity is RULES[rule].severity for f in findings)


def test_a_disabled_rule_reports_nothing() -> None:
    assert lint_chart(FIXTURES / "osh002-fail", frozenset({"OSH002"})) == []


def test_findings_point_at_the_reading_template_line() -> None:
    (finding,) = lint_chart(FIXTURES / "osh002-fail")
    assert finding.file.endswith("osh002-fail/templates/job-setup.yaml")
    line = (
        (FIXTURES / "osh002-fail/templates/job-setup.yaml")
        .read_text()
        .splitlines()[finding.line - 1]
    )
    assert "fixture-toolkit.job_node_selector" in line
    assert "labels.job" in finding.message


def _copy(tmp_path: Path, name: str = "good") -> Path:
    for lib in ("fixture-toolkit", name):
        shutil.copytree(FIXTURES / lib, tmp_path / lib)
    return tmp_path / name


def test_a_container_without_pull_policy_is_found(tmp_path: Path) -> None:
    chart = _copy(tmp_path)
    tpl = chart / "templates" / "job-setup.yaml"
    tpl.write_text(
        tpl.read_text().replace("          imagePullPolicy: {{ .Values.images.pull_policy }}\n", "")
    )
    assert {(f.rule, f.key) for f in lint_chart(chart)} == {("OSH006", "Job/good-setup")}


def test_missing_resources_switch_is_found(tmp_path: Path) -> None:
    chart = _copy(tmp_path)
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace("    enabled: false\n", "", 1))
    (finding,) = lint_chart(chart)
    assert (finding.rule, finding.key) == ("OSH008", "pod.resources.enabled")
    assert "missing" in finding.message


def test_library_charts_get_only_the_template_rules(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n")
    (lib / "templates" / "_x.tpl").write_text(
        '{{- define "other.x" -}}http://keystone{{- end -}}\n'
    )
    assert {f.rule for f in lint_chart(lib)} == {"OSH011", "OSH013"}


def test_helm_toolkit_defines_need_no_prefix(tmp_path: Path) -> None:
    lib = tmp_path / "helm-toolkit"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text(
        "apiVersion: v2\nname: helm-toolkit\nversion: 0.1.0\ntype: library\n"
    )
    (lib / "templates" / "_x.tpl").write_text('{{- define "probeTemplate" -}}{{- end -}}\n')
    assert lint_chart(lib) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("quay.io/airshipit/keystone:2026.1-ubuntu_noble", None),
        ("localhost:5000/x/y:1.0", None),
        ("registry.example.com:5000/y:1.0", None),
        ("docker.io/x/y@sha256:" + "a" * 64, None),
        ("quay.io/airshipit/mariadb:latest-ubuntu_noble", "floating"),
        ("docker.io/bitnami/kubectl:latest", "floating"),
        ("busybox:1.36", "registry"),
        ("library/busybox:1.36", "registry"),
        ("quay.io/x/y", "no tag"),
        ("registry.example.com:5000/y", "no tag"),
    ],
)
def test_image_problems(image: str, problem: str | None) -> None:
    found = image_problem(image)
    assert (found is None) if problem is None else (problem in str(found))


NAME = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@given(NAME, NAME, st.from_regex(r"[0-9][0-9a-z._-]{0,10}", fullmatch=True))
def test_pinned_qualified_images_pass(host: str, path: str, tag: str) -> None:
    assert image_problem(f"{host}.io/{path}:{tag}") is None


@given(NAME, NAME, st.from_regex(r"(-[a-z0-9_]{1,8})?", fullmatch=True))
def test_latest_tags_never_pass(host: str, path: str, suffix: str) -> None:
    assert "floating" in str(image_problem(f"{host}.io/{path}:latest{suffix}"))


@given(st.text(alphabet='ab#\n {}/*-"', max_size=80))
def test_comment_stripping_keeps_lines(text: str) -> None:
    stripped = strip_comments(text)
    assert len(stripped) == len(text) and stripped.count("\n") == text.count("\n")


def test_define_bodies_match_nested_ends() -> None:
    text = (
        '{{- define "a.x" -}}{{ if .a }}{{ range .b }}1{{ end }}{{ end }}tail{{- end -}}'
        '{{ define "a.y" }}y{{ end }}'
    )
    bodies = dict(define_bodies(text))
    assert set(bodies) == {"a.x", "a.y"}
    assert bodies["a.x"].endswith("tail") and bodies["a.y"] == "y"
