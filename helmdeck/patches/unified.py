"""Validating unified diffs before they are shipped to pods.

A diff that ``patch`` would reject, or that reaches outside the tree it is applied to, must
fail here, at build time, with the file and line, not in a pod at start-up. Every place a
diff can name a file is checked: the ``---``/``+++`` lines, and the git headers GNU patch
also follows (``diff --git``, ``rename``/``copy from``/``to``, ``Index:``), with git's
C-style quoting (``"a/\\056\\056/x"`` is ``a/../x``) decoded first.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from helmdeck.errors import UserError

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DEV_NULL = "/dev/null"
# Free-text lines that name a file all the same: git's extended headers and Index:.
_NAMING_HEADERS = ("rename from ", "rename to ", "copy from ", "copy to ", "Index: ")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote(text: str) -> tuple[str, str]:
    """Git's C-style quoted name at the start of ``text`` (``"a/\\303\\251"``): (name, rest).

    Octal escapes are bytes, decoded as UTF-8 as git encodes them; ValueError when the
    quote does not close or an escape is not one of C's.
    """
    out = bytearray()
    i = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return out.decode("utf-8", errors="replace"), text[i + 1:]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        octal = re.match(r"[0-7]{1,3}", text[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        elif text[i + 1:i + 2] in _C_ESCAPES:
            out.append(_C_ESCAPES[text[i + 1]])
            i += 2
        else:
            raise ValueError(f"unknown escape {text[i:i + 2]!r} in a quoted file name")
    raise ValueError("a quoted file name without its closing '\"'")


def _names(text: str) -> list[str]:
    """The file names in the rest of a header line: quoted ones decoded, unquoted ones split
    at spaces (a name with spaces is then checked piece by piece, which is stricter)."""
    names: list[str] = []
    rest = text.strip()
    while rest:
        if rest.startswith('"'):
            name, rest = unquote(rest)
        else:
            name, _, rest = rest.partition(" ")
        names.append(name)
        rest = rest.lstrip()
    return names


def _checked(name: str, lineno: int, path: str) -> str:
    """``path`` if it stays inside the tree the diff applies to."""
    if path == DEV_NULL:
        return path
    if path.startswith("/"):
        raise UserError(f"{name}:{lineno}: {path}: absolute path; diffs must use relative paths "
                        "(a/..., b/...)")
    if ".." in PurePosixPath(path).parts:
        raise UserError(f"{name}:{lineno}: {path}: '..' leaves the tree; use paths inside it")
    return path


def _path(name: str, lineno: int, line: str) -> str:
    """The file name of a ``---``/``+++`` line (a tab starts the timestamp), checked."""
    field = line[4:].split("\t", 1)[0].strip()
    try:
        path = unquote(field)[0] if field.startswith('"') else field
    except ValueError as exc:
        raise UserError(f"{name}:{lineno}: {exc}; regenerate the diff") from None
    if not path:
        raise UserError(f"{name}:{lineno}: no file name after {line[:3]!r}")
    return _checked(name, lineno, path)


def _check_header(name: str, lineno: int, line: str) -> None:
    """Refuse a git header or ``Index:`` line naming a file outside the tree."""
    if line.startswith("diff --git "):
        rest = line[len("diff --git "):]
    else:
        rest = next((line[len(h):] for h in _NAMING_HEADERS if line.startswith(h)), "")
    try:
        names = _names(rest)
    except ValueError as exc:
        raise UserError(f"{name}:{lineno}: {exc}; regenerate the diff") from None
    for path in names:
        _checked(name, lineno, path)


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
            _check_header(name, i + 1, line)  # otherwise free text: a commit message, ...
            i += 1
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
