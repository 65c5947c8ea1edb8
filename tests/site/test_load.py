"""Loading site.yaml: every bad-input class yields FILE:LINE: path: message, one line each."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import as_site, site_doc

from helmdeck.application import load_application
from helmdeck.site.load import load_site_file, parse_site_yaml, with_absolute_source
from helmdeck.values.limits import MAX_DOCUMENT_BYTES, MAX_NODES
from helmdeck.values.located import DocumentError, format_location

GOOD = """\
apiVersion: helmdeck/v1
kind: Site
metadata:
  name: lab1
spec:
  public_domain: cloud.example.com
  release: "2025.1"
  storage:
    backend: local
  charts:
    disabled: []
  hosts:
    - name: ctl-0
      roles: [controller]
    - name: cmp-0
      roles: [compute]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(DocumentError) as exc:
        parse_site_yaml(textwrap.dedent(text), "site.yaml", charts=load_application().names())
    lines = str(exc.value).splitlines()
    assert lines == exc.value.problems
    return lines


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_good_site_loads(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(GOOD)
    site = load_site_file(path)
    assert site.metadata.name == "lab1"
    assert [h.name for h in site.spec.hosts] == ["ctl-0", "cmp-0"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            edit("      roles: [compute]\n", "      roles: [compute, wizard]\n"),
            r"site.yaml:16: spec.hosts\[1\].roles\[1\]: Input should be 'controller'",
            id="bad-enum",
        ),
        pytest.param(
            edit("  name: lab1\n", "  name: lab1\n  colour: red\n"),
            r"site.yaml:5: metadata.colour: unknown key",
            id="unknown-key",
        ),
        pytest.param(
            edit("    - name: cmp-0\n", "    - name: Cmp_0\n"),
            r"site.yaml:15: spec.hosts\[1\].name: not a DNS name",
            id="bad-host-name",
        ),
        pytest.param(
            edit("  public_domain: cloud.example.com\n", ""),
            r"site.yaml:5: spec.public_domain: required key missing",
            id="missing-key",
        ),
        pytest.param(
            edit("    backend: local\n", "    backend: [local]\n"),
            r"site.yaml:9: spec.storage.backend: Input should be 'local', 'pvc' or 'ceph'",
            id="wrong-type",
        ),
        pytest.param(
            edit('  release: "2025.1"\n', "  release: 2024.10\n"),
            r"site.yaml:7: spec.release: written as a number \(2024.1\); quote it",
            id="release-number",
        ),
        pytest.param(
            edit("  storage:\n", "  secrets:\n    db_password: hunter2\n  storage:\n"),
            r"site.yaml:8: spec.secrets: .*secret store.*helmdeck secret set",
            id="secrets-present",
        ),
        pytest.param(
            edit("    - name: cmp-0\n", "    - name: ctl-0\n"),
            r"site.yaml:15: spec.hosts\[1\].name: duplicate host name ctl-0 "
            r"\(first at spec.hosts\[0\]\)",
            id="duplicate-host",
        ),
        pytest.param(
            edit("      roles: [controller]\n", "      roles: [network]\n"),
            r"site.yaml:12: spec.hosts: no host has role controller",
            id="no-controller",
        ),
        pytest.param(
            edit("      roles: [compute]\n", "      roles: [storage]\n"),
            r"site.yaml:12: spec.hosts: no host has role compute while nova is enabled",
            id="no-compute",
        ),
        pytest.param(
            edit("    disabled: []\n", "    disabled: [horizon, nvoa]\n"),
            r"site.yaml:11: spec.charts.disabled\[1\]: unknown chart nvoa; known charts: ",
            id="unknown-chart",
        ),
        pytest.param(
            edit("    backend: local\n", "    backend: ceph\n    ceph:\n      monitors: []\n"),
            r"site.yaml:11: spec.storage.ceph.monitors: storage backend ceph needs at least one",
            id="ceph-without-monitors",
        ),
        pytest.param(
            edit("  charts:\n", "  charts:\n    source: {path: ./x, repo: https://r}\n"),
            r"site.yaml:11: spec.charts.source: give exactly one of path, repo or oci",
            id="two-sources",
        ),
        pytest.param(
            edit("  name: lab1\n", "  name: lab1\n  name: lab2\n"),
            r"site.yaml:5: metadata.name: duplicate key",
            id="duplicate-key",
        ),
        pytest.param(
            edit('  release: "2025.1"\n', "  release: 2025-01-01\n"),
            r"site.yaml:7: spec.release: date value not allowed here; quote it",
            id="date-value",
        ),
        pytest.param(
            edit(
                "  public_domain: cloud.example.com\n",
                "  public_domain: cloud.example.com\n  1: x\n",
            ),
            r"site.yaml:7: spec: keys must be strings",
            id="non-string-key",
        ),
        pytest.param(
            edit("      roles: [controller]\n", "      roles: [controller\n"),
            r"site.yaml:1[45]: \(yaml\): ",
            id="yaml-syntax",
        ),
        pytest.param("", r"site.yaml:1: \(document\): empty file", id="empty"),
        pytest.param(
            "- a\n- b\n", r"site.yaml:1: \(document\): Input should be an object", id="not-a-map"
        ),
        pytest.param(
            GOOD + "---\n" + GOOD,
            r"site.yaml:\d+: \(yaml\): expected a single document",
            id="two-docs",
        ),
    ],
)
def test_bad_input_names_line_and_path(text: str, expected: str) -> None:
    found = problems(text)
    assert any(re.match(expected, line) for line in found), found


CMP = "      roles: [compute]\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            edit(CMP, CMP + "      labels: {'bad key!': x}\n"),
            r'site.yaml:17: spec.hosts\[1\].labels\["bad key!"\]: not a Kubernetes label key',
            id="label-key",
        ),
        pytest.param(
            edit(CMP, CMP + "      labels: {hw: 'a b'}\n"),
            r"site.yaml:17: spec.hosts\[1\].labels.hw: not a Kubernetes label value",
            id="label-value",
        ),
        pytest.param(
            edit(CMP, CMP + "      labels: {openstack-control-plane: enabled}\n"),
            r"site.yaml:17: spec.hosts\[1\].labels.openstack-control-plane: helmdeck sets this "
            r"label from the host's roles",
            id="label-owned-by-roles",
        ),
        pytest.param(
            edit(CMP, CMP + "      zone: 'my zone!'\n"),
            r"site.yaml:17: spec.hosts\[1\].zone: not a Kubernetes label value",
            id="zone",
        ),
        pytest.param(
            edit(CMP, CMP + "      taints: [{key: 'bad key', effect: NoSchedule}]\n"),
            r"site.yaml:17: spec.hosts\[1\].taints\[0\].key: not a Kubernetes label key",
            id="taint-key",
        ),
        pytest.param(
            edit(CMP, "      roles: []\n"),
            r"site.yaml:16: spec.hosts\[1\].roles: give at least one role",
            id="no-roles",
        ),
        pytest.param(
            edit(CMP, "      roles: [compute, compute]\n"),
            r"site.yaml:16: spec.hosts\[1\].roles: role compute listed twice",
            id="duplicate-role",
        ),
        pytest.param(
            edit("  storage:\n", "  features: [gateway, tls, gateway]\n  storage:\n"),
            r"site.yaml:8: spec.features\[2\]: feature gateway listed twice",
            id="duplicate-feature",
        ),
        pytest.param(
            edit("  storage:\n", "  registry: https://registry.example.com\n  storage:\n"),
            r"site.yaml:8: spec.registry: not an image registry",
            id="registry-scheme",
        ),
        pytest.param(
            edit(
                "    backend: local\n",
                "    backend: ceph\n    ceph: {monitors: [10.0.0.1], secret_uuid: nope}\n",
            ),
            r"site.yaml:10: spec.storage.ceph.secret_uuid: not a UUID",
            id="ceph-uuid",
        ),
    ],
)
def test_bad_kubernetes_names_and_duplicates(text: str, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1 and re.match(expected, found[0]), found


@pytest.mark.parametrize(
    "registry",
    ["registry.example.com", "registry.example.com:5000", "registry.example.com/mirror",
     "localhost:5000/a/b", "10.0.0.5:5000"],
)
def test_registry_forms_accepted(registry: str) -> None:
    site = parse_site_yaml(edit("  storage:\n", f"  registry: {registry}\n  storage:\n"), "s")
    assert site.spec.registry == registry


def test_kubernetes_labels_zones_and_taints_accepted() -> None:
    extra = (
        "      zone: eu-west-1a\n      labels: {example.com/hw: gpu.v1, empty: ''}\n"
        "      taints: [{key: node.example.com/dedicated, value: gpu, effect: NoExecute}]\n"
    )
    site = parse_site_yaml(edit(CMP, CMP + extra), "s")
    assert site.spec.hosts[1].labels == {"example.com/hw": "gpu.v1", "empty": ""}


def test_secret_values_never_echoed() -> None:
    found = problems(edit("  storage:\n", "  secrets:\n    db_password: hunter2\n  storage:\n"))
    assert "hunter2" not in "\n".join(found)
    found = problems(edit("    - name: cmp-0\n", "    - name: cmp-0\n      token: hunter2\n"))
    assert "hunter2" not in "\n".join(found)


def test_all_problems_reported_in_line_order() -> None:
    text = edit("  name: lab1\n", "  name: lab1\n  colour: red\n")
    text = text.replace("      roles: [compute]\n", "      roles: [wizard]\n")
    found = problems(text)
    numbers = [int(line.split(":")[1]) for line in found]
    assert numbers == sorted(numbers) and set(numbers) == {5, 17}


def test_alias_expansion_is_bounded() -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb.append(
            f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
            f"*{prev}, *{prev}, *{prev}, *{prev}]"
        )
    found = problems("\n".join(bomb) + "\n")
    assert re.match(
        rf"site.yaml:\d+: .*: more than {MAX_NODES} values after expanding aliases", found[0]
    )


def test_file_errors(tmp_path: Path) -> None:
    from helmdeck.errors import UserError

    with pytest.raises(UserError, match=r"missing.yaml: cannot read"):
        load_site_file(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(DocumentError, match=r"big.yaml:1: \(file\): larger than"):
        load_site_file(big)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(DocumentError, match=r"bad.yaml:1: \(file\): not UTF-8"):
        load_site_file(bad)


def test_relative_chart_path_made_absolute(tmp_path: Path) -> None:
    site = parse_site_yaml(edit("  charts:\n", "  charts:\n    source: {path: ../osh}\n"), "s")
    moved = with_absolute_source(site, tmp_path / "conf")
    assert moved.spec.charts.source.path == str((tmp_path / "osh").resolve())
    assert with_absolute_source(moved, Path("/elsewhere")) == moved
    oci = parse_site_yaml(edit("  charts:\n", "  charts:\n    source: {oci: oci://r/c}\n"), "s")
    assert with_absolute_source(oci, tmp_path) == oci


def test_format_location() -> None:
    assert format_location(("spec", "hosts", 2, "roles", 0)) == "spec.hosts[2].roles[0]"
    assert format_location(("spec", "hosts", 0, "labels", "a.b/c")) == (
        'spec.hosts[0].labels["a.b/c"]'
    )
    assert format_location(()) == "(document)"


_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}[a-z0-9]\Z")
_roles = st.lists(
    st.sampled_from(["controller", "compute", "network", "storage"]),
    min_size=1,
    max_size=4,
    unique=True,
)
_labels = st.dictionaries(
    st.from_regex(r"\A([a-z]{1,5}\.[a-z]{2,3}/)?[a-z]([a-z0-9._-]{0,8}[a-z0-9])?\Z"),
    st.from_regex(r"\A([A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?)?\Z"),
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(_names, min_size=1, max_size=8, unique=True),
    roles=st.lists(_roles, min_size=8, max_size=8),
    labels=st.lists(_labels, min_size=8, max_size=8),
    region=st.text(min_size=1, max_size=12),
)
def test_dumped_sites_parse_back_identically(
    names: list[str], roles: list[list[str]], labels: list[dict[str, str]], region: str
) -> None:
    hosts = [
        {
            "name": n,
            "roles": ["controller", "compute", *roles[i]] if i == 0 else roles[i],
            "labels": labels[i],
        }
        for i, n in enumerate(names)
    ]
    for h in hosts:
        h["roles"] = list(dict.fromkeys(h["roles"]))
    expected = as_site(site_doc(hosts, name="s", public_domain="example.com", region=region))
    assert parse_site_yaml(yaml.safe_dump(expected.model_dump(mode="json")), "s") == expected


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_a_site_or_a_site_file_error(text: str) -> None:
    try:
        parse_site_yaml(text, "f.yaml")
    except DocumentError as exc:
        assert all(line.startswith("f.yaml:") for line in exc.problems)


@pytest.mark.parametrize("depth", [101, 450, 5000])
def test_deep_nesting_is_one_line_not_a_recursion_error(depth: int) -> None:
    flow = problems(edit("  storage:\n", f"  region: {'[' * depth}{']' * depth}\n  storage:\n"))
    assert len(flow) == 1 and "nested deeper than 100 levels" in flow[0]
    block = problems(edit("  storage:\n", "  region:\n" + "    - " * 1 + "- " * depth + "x\n"
                          "  storage:\n"))
    assert len(block) == 1 and "nested deeper than 100 levels" in block[0]


def test_aliases_cannot_nest_a_site_past_the_limit() -> None:
    half = "[" * 60 + "]" * 60
    text = edit("  storage:\n", f"  region: [&a {half}, {'[' * 50}*a{']' * 50}]\n  storage:\n")
    found = problems(text)
    assert len(found) == 1 and "nested deeper than 100 levels" in found[0]
