"""helmdeck's values engine against Helm's own Go engine (helm_python) on generated inputs.

Every case is run through both; results must be identical, and where Helm errors we must
error. Inputs whose result Go leaves to map-iteration order (two keys that stringify alike,
e.g. ``1`` and ``"1"``) are skipped, since Helm itself has no single answer for them.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helmdeck.values import strvals
from helmdeck.values.errors import ValuesError
from helmdeck.values.merge import coalesce, merge_values
from helmdeck.values.yamlio import dump_yaml, load_values, resolve_plain

helm = pytest.importorskip("helm_python")

def cfg(examples: int) -> settings:
    """Bounded runs (HELMDECK_DIFF_SCALE multiplies them for a local bug hunt), no deadline."""
    scale = int(os.environ.get("HELMDECK_DIFF_SCALE", "1"))
    return settings(max_examples=examples * scale, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

PLAIN_SCALARS = [
    "on", "off", "On", "OFF", "y", "Y", "n", "N", "yes", "No", "true", "TRUE", "tRUE", "False",
    "null", "Null", "~", "007", "08", "09.5", "0", "-0", "+12", "0x1F", "0X1f", "-0x10", "0o17",
    "0b101", "-0b101", "0b-101", "1_000", "0x_1F", "1__0", "1e3", "1E-2", "3.14e+2", "1.5",
    "1.0", "0.1", "1e-7", "0.", ".5", "+.5", "-.5", "1e400", ".5e999", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "12345678901234567890", "18446744073709551616", "123456789012345678901234", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "2002-12-14 21:59:43.10", "1:20", "abc", "a b", "=", "<<x",
    "x<<", "._", "-", "+", ".", "0xZ", "1e", "1.2.3", "NaN", "Infinity", "yes!", "ON_", "é",
]
KEY_TOKENS = [
    "a", "b", "on", "off", "y", "n", "yes", "true", "True", "1", "01", "0x1F", "1.5", "1e7",
    "0.0001", "0.00001", "123456", "1234567", "-1", "1_0", "3.0", "2001-12-14", "x.y", "k",
    "9223372036854775807", "1e40", "0.1", "16777217",
]


def go(fn: Any, *args: Any) -> Any:
    """Call the oracle; a Helm error becomes the marker "ERROR"."""
    try:
        return fn(*args)
    except helm.HelmError:
        return "ERROR"


def mine(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValuesError:
        return "ERROR"


def key_string(token: str) -> str | None:
    """How Helm stringifies a plain key; None for keys Helm rejects."""
    kind, value = resolve_plain(token)
    if kind == "str" or kind == "merge":
        return str(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(value)
    if kind == "float":
        from helmdeck.values.gonum import float32_key

        return float32_key(value)
    return None


def scalar_text(draw: Any) -> str:
    token = draw(st.sampled_from(PLAIN_SCALARS))
    style = draw(st.sampled_from(["plain", "plain", "plain", "single", "double"]))
    if style == "single":
        return "'" + token.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(token)
    return token


@st.composite
def yaml_node(draw: Any, depth: int = 0) -> tuple[str, Any]:
    """(kind, payload): a scalar text, or a list/dict of nodes."""
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "list"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return ("scalar", scalar_text(draw))
    if kind == "list":
        return ("list", draw(st.lists(yaml_node(depth + 1), max_size=3)))
    keys = draw(st.lists(st.sampled_from(KEY_TOKENS), max_size=4, unique=True))
    strings = [key_string(k) for k in keys]
    assume(len(set(strings)) == len(strings))
    return ("map", [(k, draw(yaml_node(depth + 1))) for k in keys])


def render(node: tuple[str, Any], indent: int = 0, flow: bool = False) -> str:
    """Block YAML for a generated node (flow style inside flow)."""
    kind, payload = node
    if kind == "scalar":
        return payload if not flow or payload[:1] in "'\"" else json.dumps(payload)
    if flow or not payload:
        if kind == "list":
            return "[" + ", ".join(render(n, flow=True) for n in payload) + "]"
        return "{" + ", ".join(f"{k}: {render(v, flow=True)}" for k, v in payload) + "}"
    pad = " " * indent
    lines = []
    for item in payload:
        key, value = (None, item) if kind == "list" else item
        head = f"{pad}- " if key is None else f"{pad}{key}:"
        if value[0] == "scalar" or not value[1]:
            lines.append(f"{head} {render(value, flow=False)}".rstrip() + "\n")
        else:
            lines.append(f"{head}\n{render(value, indent + 2)}")
    return "".join(lines)


@st.composite
def yaml_document(draw: Any) -> str:
    keys = draw(st.lists(st.sampled_from(KEY_TOKENS), min_size=1, max_size=5, unique=True))
    strings = [key_string(k) for k in keys]
    assume(len(set(strings)) == len(strings))
    return render(("map", [(k, draw(yaml_node(1))) for k in keys]))


@cfg(600)
@given(yaml_document())
def test_yaml_documents_load_like_helm(text: str) -> None:
    assert mine(load_values, text) == go(helm.values_from_yaml, text)


@cfg(200)
@given(yaml_document())
def test_dump_yaml_round_trips(text: str) -> None:
    values = mine(load_values, text)
    assume(values != "ERROR")
    dumped = dump_yaml(values)
    assert load_values(dumped) == values
    assert go(helm.values_from_yaml, dumped) == values


ANCHORED = [
    "base: &b {x: 1, y: [1, 2]}\nc:\n  <<: *b\n  y: 3\n",
    "base: &b {x: 1}\nother: &o {x: 2, z: 3}\nc:\n  <<: [*b, *o]\n",
    "base: &b {x: 1}\nc:\n  x: 0\n  <<: *b\n",
    "l: &l [1, 2]\nm: *l\nn: {k: *l}\n",
    "s: &s on\nt: *s\n*s : 1\n",
    "c:\n  <<: {a: 1}\n  <<: {a: 2, b: 1}\n",
    "c:\n  '<<': {a: 1}\n",
    "c:\n  <<: 1\n",
    "c:\n  <<: [1]\n",
    "c:\n  <<: [[{a: 1}]]\n",
    "a: &a {b: *a}\n",
    "a: &x 1\na2: *x\nb: &x 2\nc: *x\n",
]


@cfg(150)
@given(st.sampled_from(ANCHORED), yaml_document())
def test_anchors_and_merge_keys_like_helm(prefix: str, text: str) -> None:
    doc = prefix + text
    assert mine(load_values, doc) == go(helm.values_from_yaml, doc)


SET_KEYS = ["a", "b", "c", "a\\.b", "1", "true", "x\\,y", "k\\=v", "l\\[0\\]", ""]
SET_VALUES = [
    "1", "0", "00", "007", "-5", "+5", "-0", "1.0", "1e3", "0x10", "true", "TRUE", "False",
    "null", "NULL", "~", "", "a\\,b", "{1,2}", "{a,b\\,c}", "{}", "{1", "12345678901234567890",
    "9223372036854775807", "-9223372036854775808", "x y", "=", "a=b",
    "fal\u017fe",  # long s: Go EqualFold says "false"
]


@st.composite
def set_path(draw: Any) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        part = draw(st.sampled_from(SET_KEYS))
        if draw(st.integers(0, 3)) == 0:
            part += f"[{draw(st.sampled_from(['0', '1', '2', '-1', '01', 'x', '65537']))}]"
        parts.append(part)
    return ".".join(parts)


@st.composite
def set_expression(draw: Any, values: list[str]) -> str:
    items = [f"{draw(set_path())}={draw(st.sampled_from(values))}"
             for _ in range(draw(st.integers(1, 4)))]
    return ",".join(items)


GARBAGE = st.text(alphabet="ab1.=[],{}\\ 0", max_size=14)


@cfg(400)
@given(st.one_of(set_expression(SET_VALUES), GARBAGE))
def test_set_like_helm(expr: str) -> None:
    assert mine(strvals.parse_set, expr) == go(helm.parse_set_string, expr)


@cfg(200)
@given(st.one_of(set_expression(SET_VALUES), GARBAGE))
def test_set_string_like_helm(expr: str) -> None:
    assert mine(strvals.parse_set_string, expr) == go(helm.parse_set_string_values, expr)


JSON_VALUES = [
    "1", "1.0", "1.5", "-0", "1e3", "1e400", "01", "1.", "1e", "1.5.3", "true", "truex", "tru",
    "null", "", " ", '"s"', '"a,b"', '"\\ud800"', "[1,2]", '{"k":[1,{"m":null}]}', "{}", "[",
    "NaN", "12345678901234567890", " 5 ", '{"a":1} x', "[1,]",
]


@cfg(300)
@given(st.one_of(set_expression(JSON_VALUES), GARBAGE))
def test_set_json_like_helm(expr: str) -> None:
    assert mine(strvals.parse_set_json, expr) == go(helm.parse_set_json, expr)


@cfg(200)
@given(st.one_of(set_expression(SET_VALUES), GARBAGE))
def test_set_literal_like_helm(expr: str) -> None:
    assert mine(strvals.parse_set_literal, expr) == go(helm.parse_set_literal, expr)


SMALL_KEYS = ["a", "b", "c", "d"]
LEAVES = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["x", "on", ""]),
                   st.lists(st.integers(0, 2), max_size=2))
VALUE_TREES = st.recursive(
    LEAVES, lambda kids: st.dictionaries(st.sampled_from(SMALL_KEYS), kids, max_size=3),
    max_leaves=8,
)
VALUE_MAPS = st.dictionaries(st.sampled_from(SMALL_KEYS), VALUE_TREES, max_size=4)

CHART_YAML = "apiVersion: v2\nname: oracle\nversion: 0.1.0\n"


def chart_with(values_text: str) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Chart.yaml").write_text(CHART_YAML)
        Path(tmp, "values.yaml").write_text(values_text)
        return helm.Chart.load(tmp)


@cfg(150)
@given(VALUE_MAPS, st.lists(VALUE_MAPS, min_size=1, max_size=3))
def test_file_merge_and_coalesce_like_helm(defaults: dict[str, Any],
                                           files: list[dict[str, Any]]) -> None:
    multi_doc = "---\n".join(json.dumps(f) + "\n" for f in files)
    merged_by_helm = chart_with(multi_doc).values
    merged = load_values(multi_doc)
    assert merged == merged_by_helm
    stepwise: dict[str, Any] = {}
    for f in files:
        stepwise = merge_values(stepwise, load_values(json.dumps(f)))
    assert stepwise == merged
    chart = chart_with(json.dumps(defaults))
    assert coalesce(load_values(json.dumps(defaults)), merged) == chart.merge_values(merged)


@cfg(100)
@given(VALUE_MAPS, st.lists(set_expression(SET_VALUES), min_size=1, max_size=2))
def test_set_then_coalesce_like_helm(defaults: dict[str, Any], exprs: list[str]) -> None:
    overrides: dict[str, Any] = {}
    try:
        for expr in exprs:
            strvals.parse_set(expr, overrides)
    except ValuesError:
        assume(False)
    assume(all(abs(v) < 2**53 for v in _numbers(overrides)))
    chart = chart_with(json.dumps(defaults))
    assert coalesce(load_values(json.dumps(defaults)), overrides) == chart.merge_values(overrides)


def _numbers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


MERGE_KEYS = st.sampled_from(["a", "b", "c", "a.b", "a.c", "b.a"])
MERGE_SCALARS = st.sampled_from(["1", "x", "true", "null", "007", ""])


@st.composite
def flat_expression(draw: Any, json_values: bool = False) -> str:
    """key=value items over a few dotted keys, without list indices (see below)."""
    items = []
    for _ in range(draw(st.integers(1, 3))):
        value = draw(MERGE_SCALARS)
        if json_values:
            # no map values: key={...} replaces the key, where a merge would not
            value = draw(st.sampled_from(['1', '"x"', "null", "[1, 2]", "true"]))
        items.append(f"{draw(MERGE_KEYS)}={value}")
    return ",".join(items)


JSON_OBJECTS = st.sampled_from(['{"a": {"d": 1}}', '{"b": null}', '{"c": [1]}'])


@cfg(120)
@given(st.lists(VALUE_MAPS, max_size=3),
       st.lists(st.one_of(flat_expression(True), JSON_OBJECTS), max_size=2),
       st.lists(flat_expression(), max_size=2), st.lists(flat_expression(), max_size=2),
       st.lists(flat_expression(), max_size=2))
def test_value_options_merge_in_helms_order(files: list[dict[str, Any]], set_json: list[str],
                                            set_: list[str], set_string: list[str],
                                            set_literal: list[str]) -> None:
    """Files, then --set-json, --set, --set-string, --set-literal, as Helm's MergeValues.

    Helm parses each expression into the values so far; for expressions without list
    indices that is merging the expression's own map (Helm's MergeMaps, taken from a chart's
    multi-document values.yaml), except where a path runs through a non-map, which both
    refuse (those cases are skipped).
    """
    from helmdeck.values.options import ValueOptions, documents, merge_value_options

    opts = ValueOptions(documents([json.dumps(f) for f in files]), set=set_,
                        set_string=set_string, set_json=set_json, set_literal=set_literal)
    ours = mine(merge_value_options, opts)
    assume(ours != "ERROR")
    parts = [*files, *(json.loads(e) if e.startswith("{") else helm.parse_set_json(e)
                       for e in set_json),
             *(helm.parse_set_string(e) for e in set_), *(
                 helm.parse_set_string_values(e) for e in set_string),
             *(helm.parse_set_literal(e) for e in set_literal)]
    assume(parts)
    assert ours == chart_with("---\n".join(json.dumps(p) + "\n" for p in parts)).values
