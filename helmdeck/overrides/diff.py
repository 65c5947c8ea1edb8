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
    whatever line the difference falls on. Empty when nothing but secrets changed.
    """
    a = dump_yaml(redact(old, paths)) if old else ""
    b = dump_yaml(redact(new, paths)) if new else ""
    lines = difflib.unified_diff(
        a.splitlines(keepends=True),
        b.splitlines(keepends=True),
        fromfile=f"{label} (before)",
        tofile=f"{label} (after)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
