"""Bounded input: every values input is refused with one line beyond the limits of
``helmdeck.values.limits``, at once, and never reaches a recursive walk too deep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.cli.main import main
from helmdeck.values import strvals
from helmdeck.values.errors import ValuesError
from helmdeck.values.limits import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_KEY_CHARS,
    MAX_NODES,
    MAX_SET_EXPRESSIONS,
    MAX_STRING_CHARS,
    MAX_VALUES_SOURCES,
    check_tree,
)
from helmdeck.values.options import ValueOptions, documents, merge_value_options
from helmdeck.values.yamlio import load_values, load_values_file

ZERO = "/dev/zero"


def refused(fn: Any, *args: Any, **kwargs: Any) -> str:
    """The one-line message ``fn`` refuses its input with (without recursing; an unbounded
    read of /dev/zero would never return)."""
    with pytest.raises(ValuesError) as exc:
        fn(*args, **kwargs)
    message = str(exc.value)
    assert "\n" not in message
    return message


def nested_json(depth: int, inner: str = "1") -> str:
    """``depth`` levels of maps and lists, alternating, around ``inner``."""
    opened = "".join('{"k":' if i % 2 == 0 else "[" for i in range(depth))
    closed = "".join("}" if i % 2 == 0 else "]" for i in reversed(range(depth)))
    return opened + inner + closed


def test_dev_zero_values_file_is_refused_at_once() -> None:
    assert "larger than" in refused(load_values_file, ZERO)
    assert ZERO in refused(merge_value_options, ValueOptions(values=[ZERO]))
    assert ZERO in refused(merge_value_options, ValueOptions(set_file=[f"a={ZERO}"]))


def test_dev_zero_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "values.yaml").write_text("a: 1\n")
    with pytest.raises(SystemExit) as exc:
        main(["values", "effective", "--chart-values", str(tmp_path), "-f", ZERO])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "larger than" in err


def test_documents_given_as_text_are_bounded_too() -> None:
    big = "a: " + "x" * MAX_DOCUMENT_BYTES
    assert refused(merge_value_options, ValueOptions(documents([big]))).startswith("values[0]:")
    assert "larger than" in refused(load_values, big, "doc")


@pytest.mark.parametrize("depth", [450, 5000])
def test_deep_nesting_is_refused_everywhere(depth: int) -> None:
    deep = nested_json(depth)
    for fn, arg in [
        (strvals.parse_set_json, f"x={deep}"),
        (strvals.parse_set_json, f"x[0]={deep}"),
        (strvals.parse_set, "x" + "[0]" * depth + "=1"),
        (load_values, f"x: {deep}"),
        (load_values, "x:\n" + "- " * depth + "1\n"),
    ]:
        assert "nested deeper than 100 levels" in refused(fn, arg), arg[:20]
    for opts in [
        ValueOptions(set_json=[deep]),
        ValueOptions(set_json=[f"x={deep}"]),
        ValueOptions(documents([f"x: {deep}"])),
    ]:
        assert "nested deeper than 100 levels" in refused(merge_value_options, opts)


def test_aliases_cannot_nest_past_the_limit() -> None:
    half = nested_json(60)
    text = f"x: &a {half}\ny: {nested_json(50, '*a')}\n"
    assert "nested deeper" in refused(load_values, text)
    assert load_values(f"x: &a {half}\ny: {nested_json(30, '*a')}\n")["x"]


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(1, 2 * MAX_DEPTH))
def test_depth_limit_is_exact(depth: int) -> None:
    """``depth`` levels below the top: a top-level key holding depth-1 containers."""
    ok = depth <= MAX_DEPTH
    inner = nested_json(depth - 1)
    cases = [
        lambda: load_values(f"top: {inner}"),
        lambda: merge_value_options(ValueOptions(set_json=[f'{{"top": {inner}}}'])),
        lambda: strvals.parse_set_json(f"top={inner}"),
        lambda: strvals.parse_set("top" + "[0]" * (depth - 1) + "=1"),
        lambda: check_tree("t", json.loads(f'{{"top": {inner}}}')),
    ]
    for case in cases:
        if ok:
            case()
        else:
            with pytest.raises(ValuesError, match="nested deeper"):
                case()


def test_node_budget_is_per_document_and_shared_by_a_merge() -> None:
    many = "".join(f"k{i}: {i}\n" for i in range(MAX_NODES // 2 + 1))
    assert "more than 200000" in refused(load_values, many)
    half = "".join(f"k{i}: {i}\n" for i in range(MAX_NODES // 4 + 1))
    assert load_values(half)
    assert "more than" in refused(merge_value_options, ValueOptions(documents([half, half])))
    pads = [f"a{i}[65536]=1" for i in range(4)]
    assert "more than" in refused(merge_value_options, ValueOptions(set=pads))
    assert "more than" in refused(load_values, half + "---\n" + half)


def test_counts_keys_and_strings() -> None:
    assert "at most 1000" in refused(
        merge_value_options, ValueOptions(set=["a=1"] * (MAX_SET_EXPRESSIONS + 1)))
    assert "at most 100" in refused(
        merge_value_options, ValueOptions(documents(["a: 1"] * (MAX_VALUES_SOURCES + 1))))
    assert "YAML documents" in refused(load_values, "---\na: 1\n" * (MAX_DOCUMENTS + 1))
    long_key = "k" * (MAX_KEY_CHARS + 1)
    assert "a key of" in refused(strvals.parse_set, f"{long_key}=1")
    as_json = ValueOptions(set_json=[f'{{"{long_key}": 1}}'])
    assert "a key of" in refused(merge_value_options, as_json)
    long_string = "v" * (MAX_STRING_CHARS + 1)
    assert "a string of" in refused(load_values, f"k: {long_string}")
    assert "an expression of" in refused(strvals.parse_set, f"k={long_string}")


def test_limits_leave_ordinary_values_alone() -> None:
    assert merge_value_options(ValueOptions(
        documents(["a: {b: [1, {c: 2}]}\n", "a: {d: 3}\n"]), set=["a.e=4"],
        set_json=['{"f": [1, 2]}', "g={}"])) == {
        "a": {"b": [1, {"c": 2}], "d": 3, "e": 4}, "f": [1, 2], "g": {}}


@pytest.mark.skipif(not Path(ZERO).exists(), reason="no /dev/zero")
def test_helm_override_update_values_dev_zero(helmdeck_home: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["helm-override-update", "keystone", "openstack", "--values", ZERO])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "larger than" in err, err
