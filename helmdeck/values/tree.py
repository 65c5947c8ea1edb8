"""The values-tree toolkit: reading, walking, copying and ordering plain values data.

A values tree is what a values file decodes to: maps (``dict`` with ``str`` keys), lists and
scalars. Every module that looks inside one uses these functions, so "what is a leaf", "what
does a missing key do" and "how are keys ordered" have one answer:

* A **path** is a tuple of steps (``paths.Path``): a ``str`` step looks up a map key, an
  ``int`` step a list item (``0 <= i < len``; no negative indices, as Helm has none). A step
  that does not fit the node (a key on a list, an index on a map, anything on a scalar) is
  absent, like a key that is not there.
* ``get(tree, path)`` raises ``KeyError`` naming the path as far as the first absent step;
  ``get(tree, path, default)`` returns ``default`` instead. ``has`` says which it would be.
* A **leaf** is anything but a non-empty map: a scalar, ``None``, a list (Helm replaces lists
  whole, never merges them), or ``{}`` below the top.
* **Order**: ``leaves`` visits keys sorted; ``sort`` returns the tree with keys sorted at
  every level (list order kept), so equal data always serialises to equal bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from helmdeck.values.paths import Path, format_path

_REQUIRED: Any = object()


def _step(node: Any, part: str | int) -> tuple[bool, Any]:
    """(present, child) of one step."""
    if type(part) is int:
        if type(node) is list and 0 <= part < len(node):
            return True, node[part]
    elif type(node) is dict and part in node:
        return True, node[part]
    return False, None


def get(tree: Any, path: Path, default: Any = _REQUIRED) -> Any:
    """The value at ``path``; ``default`` when a step is absent, or KeyError without one.

    The KeyError's argument is the path up to and including the absent step, in ``--set``
    spelling (``a.b[0]``), so a caller can put it straight into a message.
    """
    node = tree
    for depth, part in enumerate(path):
        present, node = _step(node, part)
        if not present:
            if default is _REQUIRED:
                raise KeyError(format_path(path[: depth + 1]))
            return default
    return node


def has(tree: Any, path: Path) -> bool:
    """Whether every step of ``path`` is present (the value there may be ``None``)."""
    node = tree
    for part in path:
        present, node = _step(node, part)
        if not present:
            return False
    return True


def leaves(tree: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf below ``tree`` with its path (``prefix`` + steps), keys in sorted order.

    A non-empty map is descended; anything else is a leaf, the top included (``leaves(5)``
    yields ``((), 5)``), except an empty map at the top, which is an empty document and has
    no leaves. Lists are not descended: to Helm a list is one value.
    """
    if type(tree) is not dict:
        yield prefix, tree
        return
    stack: list[tuple[Path, dict[str, Any], Iterator[str]]] = [
        (prefix, tree, iter(sorted(tree, key=str)))
    ]
    while stack:
        path, node, keys = stack[-1]
        key = next(keys, None)
        if key is None:
            stack.pop()
            continue
        value = node[key]
        here = (*path, key)
        if type(value) is dict and value:
            stack.append((here, value, iter(sorted(value, key=str))))
        else:
            yield here, value


def copy(tree: Any) -> Any:
    """A deep copy of plain values data (maps and lists copied, scalars shared).

    Much faster than ``copy.deepcopy``, which also tracks shared and cyclic references that
    decoded values cannot have.
    """
    if type(tree) is dict:
        return {k: copy(v) if type(v) is dict or type(v) is list else v
                for k, v in tree.items()}
    if type(tree) is list:
        return [copy(v) if type(v) is dict or type(v) is list else v for v in tree]
    return tree


def sort(tree: Any) -> Any:
    """A copy of ``tree`` with map keys sorted at every level (lists keep their order).

    Keys sort by their string form, so a plugin that used a non-string key still gets one
    deterministic order instead of a TypeError.
    """
    if type(tree) is dict:
        return {k: sort(tree[k]) for k in sorted(tree, key=str)}
    if type(tree) is list:
        return [sort(v) for v in tree]
    return tree
