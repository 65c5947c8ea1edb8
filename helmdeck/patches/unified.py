"""Validating unified diffs before they are shipped to pods.

A diff that ``patch`` would reject, or that reaches outside the tree it is applied to, must
fail here, at build time, with the file and line, not in a pod at start-up.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from helmdeck.errors import UserError

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DEV_NULL = "/dev/null"


def _path(name: str, lineno: int, line: str) -> str:
    """The file name of a ``---``/``+++`` line (a tab starts the timestamp), checked."""
    path = line[4:].split("\t", 1)[0].strip()
    if not path:
        raise UserError(f"{name}:{lineno}: no file name after {line[:3]!r}")
    if path == DEV_NULL:
        return path
    if path.startswith("/"):
        raise UserError(f"{name}:{lineno}: {path}: absolute path; diffs must use relative paths "
                        "(a/..., b/...)")
    if ".." in PurePosixPath(path).parts:
        raise UserError(f"{name}:{lineno}: {path}: '..' leaves the tree; use paths inside it")
    return path


def validate_diff(name: str, text: str) -> list[str]:
    """The files a unified diff changes; ``UserError`` naming ``name:line`` when it is not one.

    Checks: every ``---`` is followed by ``+++`` and at least one hunk, hunk headers are
    well-formed, and each hunk has exactly the old/new line counts its header declares.
    """
    lines = text.splitlines()
    files: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("@@"):
            raise UserError(f"{name}:{i + 1}: hunk before any '--- '/'+++ ' file header")
        if line.startswith("+++ "):
            raise UserError(f"{name}:{i + 1}: '+++ ' without a '--- ' line before it")
        if not line.startswith("--- "):
            i += 1  # free text: a commit message, `diff --git`, `index ...`
            continue
        old = _path(name, i + 1, line)
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise UserError(f"{name}:{i + 2}: expected '+++ <file>' after the '--- ' line")
        new = _path(name, i + 2, lines[i + 1])
        if old == new == DEV_NULL:
            raise UserError(f"{name}:{i + 1}: both sides are {DEV_NULL}")
        i += 2
        if i >= len(lines) or not lines[i].startswith("@@"):
            raise UserError(f"{name}:{i + 1}: expected a hunk ('@@ -a,b +c,d @@') after "
                            f"'+++ {new}'")
        while i < len(lines) and lines[i].startswith("@@"):
            i = _hunk(name, lines, i)
        files.append(new if new != DEV_NULL else old)
    if not files:
        raise UserError(f"{name}: no unified diff in it (no '--- '/'+++ '/'@@' lines); "
                        "make it with `diff -u` or `git diff`")
    return files


def _hunk(name: str, lines: list[str], start: int) -> int:
    """Check one hunk; return the index of the line after it."""
    m = HUNK.match(lines[start])
    if m is None:
        raise UserError(f"{name}:{start + 1}: malformed hunk header {lines[start]!r}; "
                        "expected '@@ -a,b +c,d @@'")
    want_old = int(m.group(2)) if m.group(2) is not None else 1
    want_new = int(m.group(4)) if m.group(4) is not None else 1
    old = new = 0
    i = start + 1
    while i < len(lines) and (old < want_old or new < want_new):
        line = lines[i]
        tag = line[:1]
        if tag in (" ", ""):  # an empty line is context whose space an editor stripped
            old, new = old + 1, new + 1
        elif tag == "-":
            old += 1
        elif tag == "+":
            new += 1
        elif tag != "\\":  # "\ No newline at end of file"
            break
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    if i < len(lines) and _body_line(lines[i]):
        old, new = old + (lines[i][:1] != "+"), new + (lines[i][:1] != "-")
    if (old, new) != (want_old, want_new):
        raise UserError(
            f"{name}:{start + 1}: hunk header says {want_old} old and {want_new} new lines "
            f"but the hunk has {old} and {new}; regenerate the diff instead of editing it"
        )
    return i


def _body_line(line: str) -> bool:
    """A hunk line (not the next file's header) that would overflow the hunk before it."""
    return line[:1] == " " or (line[:1] in "+-" and line[:4] not in ("--- ", "+++ ") and line != "")
