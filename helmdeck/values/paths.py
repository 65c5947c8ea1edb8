"""Dotted key paths with Helm's escaping (``a.b\\.c`` is key ``b.c`` under ``a``).

The same spelling as ``--set`` keys, so a path printed by helmdeck can be pasted into
``--set`` and into ``helmdeck explain``.
"""

from __future__ import annotations

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
