"""The values-tree toolkit: get/has with list indices, leaves, copy and sort."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.values import tree
from helmdeck.values.paths import Path

VALUES: dict[str, Any] = {"a": {"b.c": [1, {"d": 2}], "e": {}, "n": None}, "s": "x"}

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("xy", max_size=2))
TREES = st.recursive(
    SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text("abc", max_size=2), kids, max_size=3)
    ),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(st.text("abc", max_size=2), TREES, max_size=4)


@pytest.mark.parametrize(
    "path, value",
    [
        ((), VALUES),
        (("a", "b.c", 1, "d"), 2),
        (("a", "b.c", 0), 1),
        (("a", "e"), {}),
        (("a", "n"), None),
        (("s",), "x"),
    ],
)
def test_get_and_has_present(path: Path, value: Any) -> None:
    assert tree.get(VALUES, path) == value
    assert tree.get(VALUES, path, "default") == value
    assert tree.has(VALUES, path)


@pytest.mark.parametrize(
    "path, named",
    [
        (("zz",), "zz"),
        (("a", "zz", "deeper"), "a.zz"),
        (("a", "b.c", 2), "a.b\\.c[2]"),  # past the end
        (("a", "b.c", -1), "a.b\\.c[-1]"),  # no negative indices
        (("a", 0), "a[0]"),  # an index on a map
        (("a", "b.c", "0"), "a.b\\.c.0"),  # a key on a list
        (("s", "x"), "s.x"),  # through a scalar
        (("a", "n", "x"), "a.n.x"),  # through null
    ],
)
def test_get_and_has_absent(path: Path, named: str) -> None:
    with pytest.raises(KeyError) as exc:
        tree.get(VALUES, path)
    assert exc.value.args == (named,)
    assert tree.get(VALUES, path, None) is None
    assert tree.get(VALUES, path, "d") == "d"
    assert not tree.has(VALUES, path)


def test_get_on_no_tree_is_absent() -> None:
    assert tree.get(None, ("a",), "d") == "d"
    assert not tree.has(None, ("a",))


def test_leaves() -> None:
    assert list(tree.leaves(VALUES)) == [
        (("a", "b.c"), [1, {"d": 2}]),
        (("a", "e"), {}),
        (("a", "n"), None),
        (("s",), "x"),
    ]
    assert list(tree.leaves({})) == []
    assert list(tree.leaves(5)) == [((), 5)]
    assert list(tree.leaves([1])) == [((), [1])]
    assert list(tree.leaves({"b": 1, "a": 2}, ("p",))) == [(("p", "a"), 2), (("p", "b"), 1)]


def test_leaves_of_a_deep_tree_do_not_recurse() -> None:
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(5000):
        deep = {"k": deep}
    ((path, value),) = tree.leaves(deep)
    assert len(path) == 5001 and value == 1


def _rebuild(leaves: list[tuple[Path, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in leaves:
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


@settings(max_examples=200, deadline=None, database=None)
@given(DOCUMENTS)
def test_leaves_are_sorted_and_rebuild_the_tree(doc: dict[str, Any]) -> None:
    found = list(tree.leaves(doc))
    paths = [p for p, _ in found]
    assert paths == sorted(paths)
    assert _rebuild(found) == doc
    for path, value in found:
        assert tree.get(doc, path) == value and tree.has(doc, path)


@settings(max_examples=200, deadline=None, database=None)
@given(TREES)
def test_copy_is_equal_and_independent(value: Any) -> None:
    copied = tree.copy(value)
    assert copied == value
    containers = [(value, copied)]
    while containers:
        a, b = containers.pop()
        if isinstance(a, dict | list):
            assert a is not b
            pairs = zip(a.values(), b.values(), strict=True) if isinstance(a, dict) else zip(
                a, b, strict=True)
            containers.extend(pairs)


@settings(max_examples=200, deadline=None, database=None)
@given(TREES)
def test_sort_orders_keys_at_every_level_and_keeps_lists(value: Any) -> None:
    ordered = tree.sort(value)
    assert ordered == value
    stack = [ordered]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert repr(tree.sort(value)) == repr(tree.sort(tree.copy(value)))


def test_sort_copes_with_non_string_keys() -> None:
    assert list(tree.sort({2: "b", "1": "a"})) == ["1", 2]
