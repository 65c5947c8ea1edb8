"""The redacted, line-oriented diff stored with every revision and shown by ``plan``."""

from __future__ import annotations

import difflib
from typing import Any

from helmdeck.overrides.redact import redact
from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values.yamlio import dump_yaml


def values_diff(old: dict[str, Any], new: dict[str, Any], paths: SecretPaths, *,
                label: str = "user overrides") -> str:
    """Unified diff of the two value trees as sorted YAML, with secrets redacted on both sides.

    Redacting before diffing (not after) is what guarantees a secret never reaches the text,
    whatever line the difference falls on. Empty when nothing but secrets changed. Keys equal
    on both sides are left out first, so the cost follows the change, not the trees' size.
    """
    old, new = _differing(old, new)
    a = dump_yaml(redact(old, paths)) if old else ""
    b = dump_yaml(redact(new, paths)) if new else ""
    lines = difflib.unified_diff(
        a.splitlines(keepends=True),
        b.splitlines(keepends=True),
        fromfile=f"{label} (before)",
        tofile=f"{label} (after)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _differing(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two trees without the keys whose values are equal on both sides (at any depth)."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    for key in old.keys() | new.keys():
        x, y = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if x == y and type(x) is type(y):
            continue
        if type(x) is dict and type(y) is dict:
            x, y = _differing(x, y)
        if x is not _ABSENT:
            a[key] = x
        if y is not _ABSENT:
            b[key] = y
    return a, b


_ABSENT: Any = object()
