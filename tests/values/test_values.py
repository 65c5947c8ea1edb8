"""Unit tests of the values engine: recorded Helm behaviour, errors, sections, chunk, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.values import strvals
from helmdeck.values.errors import ValuesError
from helmdeck.values.merge import coalesce, merge_values
from helmdeck.values.options import ValueOptions, merge_value_options
from helmdeck.values.paths import format_path, parse_path
from helmdeck.values.sections import chunk, load_source, split_source
from helmdeck.values.yamlio import dump_json, dump_yaml, load_values, load_values_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REGRESSIONS = json.loads((HERE / "regressions.json").read_text())

PARSERS = {
    "set": strvals.parse_set,
    "set_string": strvals.parse_set_string,
    "set_json": strvals.parse_set_json,
    "set_literal": strvals.parse_set_literal,
    "yaml": load_values,
}


@pytest.mark.parametrize("case", REGRESSIONS, ids=lambda c: f"{c['kind']}:{c['input'][:30]!r}")
def test_regression(case: dict[str, Any]) -> None:
    """Every input where helmdeck and Helm once differed (or that Helm treats oddly)."""
    if case["kind"] == "dump":
        values = load_values(case["input"])
        assert values == case["expected"]
        assert load_values(dump_yaml(values)) == values
        return
    parse = PARSERS[case["kind"]]
    if case.get("error"):
        with pytest.raises(ValuesError):
            parse(case["input"])
    else:
        assert parse(case["input"]) == case["expected"]


# reference/helm-values-facts.md, observed with helm v4.1.4
FACT_DEFAULTS = "a: {b: 1, c: [1,2], d: {e: x}}\nkeep: 1\nn: null\nlist: [a, b]\n"
FACTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {"a": {"b": 1, "c": [1, 2], "d": {"e": "x"}}, "keep": 1, "list": ["a", "b"]}),
    ({"set": ["a.b=null"]}, {"a": {"c": [1, 2], "d": {"e": "x"}}, "keep": 1, "list": ["a", "b"]}),
    ({"set": ["a=null"]}, {"keep": 1, "list": ["a", "b"]}),
    ({"set": ["newk=null"]},
     {"a": {"b": 1, "c": [1, 2], "d": {"e": "x"}}, "keep": 1, "list": ["a", "b"], "newk": None}),
    ({"files": ["a: {d: null, z: null}\nlist: null\n"]},
     {"a": {"b": 1, "c": [1, 2], "z": None}, "keep": 1}),
    ({"files": ["a: {d: null}\n", "a: {d: {f: 1}}\n"]},
     {"a": {"b": 1, "c": [1, 2], "d": {"e": "x", "f": 1}}, "keep": 1, "list": ["a", "b"]}),
    ({"set": ["x[2]=1"]}, {"x": [None, None, 1]}),
    ({"set": ["a.c[1]=9"]}, {"a": {"b": 1, "c": [None, 9], "d": {"e": "x"}}}),
    ({"set": ["y=a\\,b"]}, {"y": "a,b"}),
    ({"set": ["z=0x10,w=1e3,v=007,u=1.50,t=TRUE,s=~"]},
     {"z": "0x10", "w": "1e3", "v": "007", "u": "1.50", "t": True, "s": "~"}),
    ({"set": ["big=12345678901234567890,neg=-5,f=1.0,e="]},
     {"big": "12345678901234567890", "neg": -5, "f": "1.0", "e": ""}),
    ({"set_string": ["q=true"]}, {"q": "true"}),
    ({"set_json": ['j={"k":[1,{"m":null}]}']}, {"j": {"k": [1, {"m": None}]}}),
    ({"set_literal": ["lit=a,b=c"]}, {"lit": "a,b=c"}),
]


@pytest.mark.parametrize(("flags", "expected"), FACTS)
def test_recorded_helm_facts(tmp_path: Path, flags: dict[str, Any],
                             expected: dict[str, Any]) -> None:
    files = []
    for i, text in enumerate(flags.get("files", [])):
        path = tmp_path / f"u{i}.yaml"
        path.write_text(text)
        files.append(str(path))
    opts = ValueOptions(values=files, set=flags.get("set", []),
                        set_string=flags.get("set_string", []),
                        set_json=flags.get("set_json", []),
                        set_literal=flags.get("set_literal", []))
    result = coalesce(load_values(FACT_DEFAULTS), merge_value_options(opts))
    for key, value in expected.items():
        assert result[key] == value
    assert "false" not in result  # the chart default `n: null` never shows
    if "a" in expected:
        assert result["a"] == expected["a"]


def test_yaml_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("ok: 1\n---\nx: 1\ny: [1, 2\n")
    with pytest.raises(ValuesError, match=r"bad\.yaml:5:1: "):
        load_values_file(path)


@pytest.mark.parametrize(("text", "message"), [
    ("~: 1\n", "null key"),
    ("a: .inf\n", r"\+Inf"),
    ("- 1\n", "top level must be a map"),
    ("--- x\n", "document separator"),
    ("a: *nope\n", "unknown anchor"),
    ("a: &a {b: *a}\n", "contains itself"),
    ("c: {<<: 1}\n", "map merge requires"),
])
def test_semantic_yaml_errors(text: str, message: str) -> None:
    with pytest.raises(ValuesError, match=message):
        load_values(text, "v.yaml")


def test_billion_laughs_fails_fast_with_a_clear_error() -> None:
    doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        doc += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    with pytest.raises(ValuesError, match="excessive aliasing"):
        load_values(doc, "lol.yaml")


def test_moderate_aliasing_is_allowed() -> None:
    doc = "base: &b {x: 1}\n" + "".join(f"k{i}: *b\n" for i in range(200))
    assert load_values(doc)["k199"] == {"x": 1}


def test_aliases_are_independent_copies() -> None:
    values = load_values("a: &a {b: {c: 1}}\nd: *a\n")
    strvals.parse_set("d.b.c=2", values)
    assert values["a"]["b"]["c"] == 1


@pytest.mark.parametrize(("expr", "where"), [
    ("a=1,b", "character 5"),
    ("a=1,a.b=2", "character 6"),
    ("a[-1]=1", "negative"),
])
def test_set_error_names_expression_and_position(expr: str, where: str) -> None:
    with pytest.raises(ValuesError) as info:
        strvals.parse_set(expr)
    assert repr(expr) in str(info.value)
    assert where in str(info.value)


def test_set_file_reads_through_callable() -> None:
    files = {"/p/a": "alpha", "/p/b": "beta"}
    assert strvals.parse_set_file("x=/p/a,y={/p/a,/p/b}", read=files.__getitem__) == {
        "x": "alpha", "y": ["alpha", "beta"]}


def test_set_file_missing_file_is_values_error(tmp_path: Path) -> None:
    with pytest.raises(ValuesError, match="cannot read"):
        strvals.parse_set_file(f"x={tmp_path / 'nope'}")


def test_option_order_is_helms(tmp_path: Path) -> None:
    f = tmp_path / "f.yaml"
    f.write_text("a: file\nb: file\nc: file\nd: file\n")
    payload = tmp_path / "payload.txt"
    payload.write_text("from-file")
    opts = ValueOptions(values=[str(f)], set_json=['a="json"', '{"b": "json-object"}'],
                        set=["b=set,c=set"], set_string=["c=string,d=1"],
                        set_file=[f"d={payload}"], set_literal=["e=lit,eral"])
    assert merge_value_options(opts) == {
        "a": "json", "b": "set", "c": "string", "d": "from-file", "e": "lit,eral"}


def test_set_json_object_must_be_valid() -> None:
    with pytest.raises(ValuesError, match="--set-json"):
        merge_value_options(ValueOptions(set_json=['{"a": 1} x']))


def test_merge_values_does_not_mutate_inputs() -> None:
    base = {"a": {"b": 1}, "l": [1]}
    override = {"a": {"c": 2}, "l": None}
    assert merge_values(base, override) == {"a": {"b": 1, "c": 2}, "l": None}
    assert base == {"a": {"b": 1}, "l": [1]}
    assert override == {"a": {"c": 2}, "l": None}


def test_coalesce_type_mismatch_keeps_override_and_does_not_mutate() -> None:
    defaults = {"m": {"x": 1}, "s": 1, "nested": {"k": {"z": 1}, "n": None}}
    overrides = {"m": "scalar", "s": {"now": "map"}, "nested": {"k": None}}
    assert coalesce(defaults, overrides) == {"m": "scalar", "s": {"now": "map"}, "nested": {}}
    assert defaults["nested"] == {"k": {"z": 1}, "n": None}
    assert overrides["nested"] == {"k": None}


ENV = """\
common: &common
  labels: {a: b}
keystone:
  <<: *common
  replicas: 3
glance:
  <<: *common
  storage: pvc
"""


def test_load_source_section_and_missing_section(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text(ENV)
    assert load_source(f"{env}:keystone") == {"labels": {"a": "b"}, "replicas": 3}
    assert load_source(f"{env}:keystone.labels") == {"a": "b"}
    with pytest.raises(ValuesError, match="sections at the top level: common, glance, keystone"):
        load_source(f"{env}:nova")
    with pytest.raises(ValuesError, match="not a map"):
        load_source(f"{env}:keystone.replicas")


def test_split_source_prefers_existing_file_with_colon(tmp_path: Path) -> None:
    odd = tmp_path / "a:b.yaml"
    odd.write_text("x: 1\n")
    assert split_source(str(odd)) == (str(odd), None)
    assert split_source(f"{odd}:sec") == (str(odd), "sec")
    assert split_source("./values.yaml:keystone") == ("./values.yaml", "keystone")
    assert split_source("plain.yaml") == ("plain.yaml", None)


def test_chunk_writes_one_file_per_section(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text(ENV)
    written = chunk(env, tmp_path / "out")
    assert [p.name for p in written] == ["common.yaml", "glance.yaml", "keystone.yaml"]
    assert load_values_file(tmp_path / "out" / "glance.yaml") == {
        "labels": {"a": "b"}, "storage": "pvc"}
    assert "<<" not in (tmp_path / "out" / "keystone.yaml").read_text()


def test_chunk_writes_nothing_when_a_section_is_bad(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text("good: {a: 1}\nversion: 3\n")
    with pytest.raises(ValuesError, match="'version' is not a map"):
        chunk(env, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text", ["yes", "1e3", "007", "", "0o17", "~", "<<", "y", "1:20",
                                  "12345678901234567890", "- a", "a: b", "on"])
def test_dump_yaml_quotes_strings_that_would_change_type(text: str) -> None:
    values = {"k": text, text or "empty": 1}
    assert load_values(dump_yaml(values)) == values


def test_dump_json_is_sorted_and_stable() -> None:
    assert dump_json({"b": 1, "a": {"d": 2, "c": 1}}) == (
        '{\n  "a": {\n    "c": 1,\n    "d": 2\n  },\n  "b": 1\n}\n')


KEYS = st.text(alphabet="ab.\\[]x", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(KEYS, min_size=1, max_size=4))
def test_format_then_parse_path_round_trips(parts: list[str]) -> None:
    assert parse_path(format_path(tuple(parts))) == tuple(parts)


def test_path_helpers() -> None:
    assert format_path(("a", "b.c", 1, "d")) == "a.b\\.c[1].d"
    with pytest.raises(ValuesError):
        parse_path("a..b")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HELMDECK_HOME": str(cwd / "home")}
    return subprocess.run([sys.executable, "-m", "helmdeck", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def test_cli_values_effective_example(tmp_path: Path) -> None:
    examples = REPO / "examples" / "values"
    result = run_cli("values", "effective", "--chart-values", str(examples / "chart-values.yaml"),
                     "-f", f"{examples / 'environment.yaml'}:keystone",
                     "--set", "pod.replicas.api=3", "-o", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["pod"]["replicas"]["api"] == 3
    assert values["conf"]["keystone"]["DEFAULT"]["debug"] is True
    assert values["labels"]["api"]["node_selector_value"] == "enabled"


def test_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values.yaml").write_text("a: 1\n")
    result = run_cli("values", "effective", "--chart-values", str(chart), "--set", "a=1",
                     "--set", "a.b=1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "'a.b=1'" in result.stderr
    missing = run_cli("values", "effective", "--chart-values", str(tmp_path / "nope.yaml"),
                      cwd=tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


def test_cli_chunk(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text(ENV)
    result = run_cli("chunk", str(env), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "common.yaml", "glance.yaml", "keystone.yaml"]


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.dictionaries(st.sampled_from("abc"), st.integers(0, 3) | st.none(),
                                max_size=3), max_size=3),
       st.lists(st.sampled_from(["a=1", "b.c=x", "d[1]=2"]), max_size=3))
def test_files_and_documents_merge_alike(tmp_path_factory: pytest.TempPathFactory,
                                         docs: list[dict[str, Any]], sets: list[str]) -> None:
    """The CLI reads FILE[:section] from disk, an update gets the same files as text: one
    function, one result."""
    from helmdeck.values.options import documents

    folder = tmp_path_factory.mktemp("files")
    texts = [dump_yaml(d) for d in docs]
    paths = []
    for i, text in enumerate(texts):
        (folder / f"{i}.yaml").write_text(text)
        paths.append(str(folder / f"{i}.yaml"))

    def outcome(opts: ValueOptions) -> Any:
        try:
            return merge_value_options(opts)
        except ValuesError as exc:
            return str(exc).split(": ", 1)[-1]

    from_disk = outcome(ValueOptions(paths, set=sets))
    assert outcome(ValueOptions(documents(texts), set=sets)) == from_disk


def test_document_errors_name_the_document() -> None:
    from helmdeck.values.options import documents

    with pytest.raises(ValuesError, match=r"^values\[1\]:\d+:\d+: "):
        merge_value_options(ValueOptions(documents(["a: 1", "[1"])))
