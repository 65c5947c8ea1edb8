"""Dotted key paths with Helm's escaping (``a.b\\.c`` is key ``b.c`` under ``a``).

The same spelling as ``--set`` keys, so a path printed by helmdeck can be pasted into
``--set`` and into ``helmdeck explain``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from helmdeck.values.errors import ValuesError

Path = tuple[str | int, ...]


def _escape(key: str) -> str:
    return key.replace("\\", "\\\\").replace(".", "\\.")


def format_path(parts: Path) -> str:
    """``("a", "b.c", 0, "d")`` → ``a.b\\.c[0].d``; list indices print as ``[n]``."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(("." if out else "") + _escape(part))
    return "".join(out)


def parse_path(s: str) -> tuple[str, ...]:
    """Split on unescaped dots; ``\\x`` stands for ``x``. An empty key is an error."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(s)
    for c in chars:
        if c == "\\":
            current.append(next(chars, "\\"))
        elif c == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    if any(p == "" for p in parts):
        raise ValuesError(f"{s!r}: empty key in path; write keys as a.b.c (\\. for a literal dot)")
    return tuple(parts)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(part, int):
        return type(node) is list and 0 <= part < len(node)
    return type(node) is dict and part in node


def get_path(values: Any, parts: Path) -> Any:
    """The value at ``parts``; KeyError (naming the path) when any step is absent."""
    node = values
    for depth, part in enumerate(parts):
        if not _has(node, part):
            raise KeyError(format_path(parts[: depth + 1]))
        node = node[part]
    return node


def leaf_paths(values: dict[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf (anything but a non-empty map, so lists and ``{}`` are leaves), sorted."""
    for key in sorted(values):
        value = values[key]
        path = (*prefix, key)
        if type(value) is dict and value:
            yield from leaf_paths(value, path)
        else:
            yield path, value


def set_path(values: dict[str, Any], parts: Path, value: Any) -> None:
    """Set ``parts`` to ``value``, creating maps on the way; a scalar in the way is an error."""
    if not parts:
        raise ValuesError("cannot set the empty path; name a key")
    node: Any = values
    for depth, part in enumerate(parts[:-1]):
        if isinstance(part, int):
            if type(node) is not list or not 0 <= part < len(node):
                raise ValuesError(f"{format_path(parts[:depth + 1])}: no such list item")
            node = node[part]
            continue
        child = node.setdefault(part, {})
        if type(child) is not dict and type(child) is not list:
            raise ValuesError(
                f"{format_path(parts[:depth + 1])}: is a {type(child).__name__}, not a map; "
                "set the parent key instead"
            )
        node = child
    last = parts[-1]
    if isinstance(last, int):
        if type(node) is not list or not 0 <= last < len(node):
            raise ValuesError(f"{format_path(parts)}: no such list item")
        node[last] = value
    elif type(node) is dict:
        node[last] = value
    else:
        raise ValuesError(f"{format_path(parts)}: parent is not a map")


def delete_path(values: dict[str, Any], parts: Path) -> None:
    """Remove the key at ``parts``; KeyError when it is absent."""
    if not parts:
        raise KeyError("")
    parent = get_path(values, parts[:-1]) if len(parts) > 1 else values
    last = parts[-1]
    if not _has(parent, last):
        raise KeyError(format_path(parts))
    container: Any = parent
    del container[last]
