"""Reading and shaping nested values trees (with ``paths.leaf_paths`` and ``merge.copy_values``).

A path is a tuple of map keys and list indices. ``get`` answers None for anything missing
(the convenient form for reading chart values); ``has`` tells a missing key from a null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Path = tuple[str | int, ...]


def _step(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(part, int) and not isinstance(part, bool):
        if isinstance(node, list) and 0 <= part < len(node):
            return True, node[part]
        return False, None
    if isinstance(node, Mapping) and part in node:
        return True, node[part]
    return False, None


def get(values: Any, path: Iterable[str | int], default: Any = None) -> Any:
    """The value at ``path``, or ``default`` when any step of it is missing."""
    node = values
    for part in path:
        found, node = _step(node, part)
        if not found:
            return default
    return node


_MISSING = object()


def has(values: Any, path: Iterable[str | int]) -> bool:
    """Whether every step of ``path`` exists (a key holding null exists)."""
    return get(values, path, _MISSING) is not _MISSING


def sort(value: Any) -> Any:
    """A copy with map keys sorted at every level: equal trees become equal bytes."""
    if isinstance(value, Mapping):
        return {k: sort(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [sort(v) for v in value]
    return value
