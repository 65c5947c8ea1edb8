"""``FILE:section.sub`` values sources and ``helmdeck chunk``.

An environment file keeps the values of several charts in one place, one top-level key per
chart, sharing anchors between them. ``FILE:keystone`` feeds one section to Helm as if it were
its own file, and ``chunk`` writes those files for tools that only take plain files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helmdeck.fileio import write_atomic
from helmdeck.values.errors import ValuesError
from helmdeck.values.limits import NodeBudget
from helmdeck.values.paths import format_path, parse_path
from helmdeck.values.yamlio import dump_yaml, load_values_file


def split_source(spec: str) -> tuple[str, str | None]:
    """``FILE[:section]`` → (file, section). A file that exists under the whole name wins,
    so names containing ':' still work; otherwise the section follows the last ':'."""
    if ":" not in spec or os.path.exists(spec):
        return spec, None
    path, _, section = spec.rpartition(":")
    if not path:
        return spec, None
    if not section:
        raise ValuesError(f"{spec}: empty section after ':'; write FILE:section or just FILE")
    return path, section


def load_source(spec: str, budget: NodeBudget | None = None) -> dict[str, Any]:
    """The values of ``FILE`` or of one section of it (a map, as Helm needs); ``budget`` is
    shared with the other inputs of a merge (the whole file counts)."""
    path, section = split_source(spec)
    values = load_values_file(path, budget)
    if section is None:
        return values
    node: Any = values
    walked: tuple[str, ...] = ()
    for part in parse_path(section):
        if type(node) is not dict or part not in node:
            where = f"under {format_path(walked)!r}" if walked else "at the top level"
            have = ", ".join(sorted(node)) if type(node) is dict else "none (not a map)"
            raise ValuesError(
                f"{path}: no section {format_path((*walked, part))!r}; sections {where}: {have}"
            )
        node = node[part]
        walked = (*walked, part)
    if node is None:
        return {}
    if type(node) is not dict:
        raise ValuesError(f"{path}: section {section!r} is not a map of values")
    return node


def _safe_name(name: str, env_file: str) -> str:
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ValuesError(f"{env_file}: section {name!r} cannot be a file name; rename it")
    return name


def chunk(env_file: str | Path, out_dir: str | Path) -> list[Path]:
    """Write one ``<section>.yaml`` per top-level key of ``env_file`` (anchors resolved).

    Everything is checked before the first file is written, so a bad section leaves
    ``out_dir`` untouched.
    """
    values = load_values_file(env_file)
    out = Path(out_dir)
    planned: list[tuple[Path, str]] = []
    for name in sorted(values):
        section = values[name]
        if section is not None and type(section) is not dict:
            raise ValuesError(
                f"{env_file}: top-level key {name!r} is not a map, so it is not a values "
                "section; move it under a section"
            )
        planned.append((out / f"{_safe_name(name, str(env_file))}.yaml",
                        dump_yaml(section or {})))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValuesError(f"{out}: cannot create directory: {exc}") from None
    for path, text in planned:
        write_atomic(path, text)
    return [path for path, _ in planned]
