"""Unified diffs: parsed and checked as ``patch`` reads them, and applied to a tree strictly.

One parser for every diff helmdeck handles: hot-fix patches shipped to pods
(``helmdeck.patches``) and the remedies an application file declares for a chart
(``helmdeck.application.patches``, applied to the staged copy of the chart by
``helmdeck.helm.charts``). A diff that ``patch`` would reject, or that reaches outside the
tree it is applied to, fails here with the file and line. Every place a diff can name a
file is checked: the ``---``/``+++`` lines, and the git headers GNU patch also follows
(``diff --git``, ``rename``/``copy from``/``to``, ``Index:``), with git's C-style quoting
(``"a/\\056\\056/x"`` is ``a/../x``) decoded first.

Applying is stricter than ``patch``: every hunk must match its context exactly (no fuzz; an
offset is allowed, as ``patch`` allows one), hunks apply in order without overlapping, and
nothing is written unless every hunk of every file applies. A chart patch that no longer
fits the chart it was made for must stop the rollout, not half-apply.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from helmdeck.errors import UserError
from helmdeck.fileio import write_atomic

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DEV_NULL = "/dev/null"
# Free-text lines that name a file all the same: git's extended headers and Index:.
_NAMING_HEADERS = ("rename from ", "rename to ", "copy from ", "copy to ", "Index: ")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` hunk: where it starts (1-based, as in the header) and its lines as
    ``(tag, text)`` with tag ``" "``, ``"-"`` or ``"+"``; ``old_eof``/``new_eof`` when a
    ``\\ No newline at end of file`` marker says that side ends without a newline."""

    line: int  # of the header, in the diff
    old_start: int
    new_start: int
    lines: tuple[tuple[str, str], ...]
    old_no_newline: bool = False
    new_no_newline: bool = False

    def old(self) -> list[str]:
        return [t for tag, t in self.lines if tag != "+"]

    def new(self) -> list[str]:
        return [t for tag, t in self.lines if tag != "-"]


@dataclass(frozen=True)
class FileDiff:
    """The changes to one file: its ``---``/``+++`` names as written (``a/x``, ``b/x``)."""

    old: str
    new: str
    hunks: tuple[Hunk, ...]

    @property
    def target(self) -> str:
        """The name the change is about: the new name, or the old one for a deletion."""
        return self.new if self.new != DEV_NULL else self.old


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


def parse_diff(name: str, text: str) -> list[FileDiff]:
    """Every file of a unified diff; ``UserError`` naming ``name:line`` when it is not one.

    Checks: every ``---`` is followed by ``+++`` and at least one hunk, hunk headers are
    well-formed, and each hunk has exactly the old/new line counts its header declares.
    Free text between files (a commit message, ``index ...``) is skipped; git headers naming a
    file outside the tree are refused.
    """
    lines = text.splitlines()
    files: list[FileDiff] = []
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
        hunks = []
        while i < len(lines) and lines[i].startswith("@@"):
            hunk, i = _hunk(name, lines, i)
            hunks.append(hunk)
        files.append(FileDiff(old, new, tuple(hunks)))
    if not files:
        raise UserError(f"{name}: no unified diff in it (no '--- '/'+++ '/'@@' lines); "
                        "make it with `diff -u` or `git diff`")
    return files


def _hunk(name: str, lines: list[str], start: int) -> tuple[Hunk, int]:
    """Parse and check one hunk; return it and the index of the line after it."""
    m = HUNK.match(lines[start])
    if m is None:
        raise UserError(f"{name}:{start + 1}: malformed hunk header {lines[start]!r}; "
                        "expected '@@ -a,b +c,d @@'")
    want_old = int(m.group(2)) if m.group(2) is not None else 1
    want_new = int(m.group(4)) if m.group(4) is not None else 1
    old = new = 0
    body: list[tuple[str, str]] = []
    no_newline = {"old": False, "new": False}
    i = start + 1
    while i < len(lines) and (old < want_old or new < want_new):
        line = lines[i]
        tag = line[:1]
        if tag in (" ", ""):  # an empty line is context whose space an editor stripped
            old, new = old + 1, new + 1
            body.append((" ", line[1:]))
        elif tag == "-":
            old += 1
            body.append(("-", line[1:]))
        elif tag == "+":
            new += 1
            body.append(("+", line[1:]))
        elif tag == "\\":  # "\ No newline at end of file"
            _mark_no_newline(body, no_newline)
        else:
            break
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        _mark_no_newline(body, no_newline)
        i += 1
    if i < len(lines) and _body_line(lines[i]):
        old, new = old + (lines[i][:1] != "+"), new + (lines[i][:1] != "-")
    if (old, new) != (want_old, want_new):
        raise UserError(
            f"{name}:{start + 1}: hunk header says {want_old} old and {want_new} new lines "
            f"but the hunk has {old} and {new}; regenerate the diff instead of editing it"
        )
    return Hunk(start + 1, int(m.group(1)), int(m.group(3)), tuple(body),
                no_newline["old"], no_newline["new"]), i


def _mark_no_newline(body: list[tuple[str, str]], flags: dict[str, bool]) -> None:
    if not body:
        return
    tag = body[-1][0]
    if tag in (" ", "-"):
        flags["old"] = True
    if tag in (" ", "+"):
        flags["new"] = True


def _body_line(line: str) -> bool:
    """A hunk line (not the next file's header) that would overflow the hunk before it."""
    return line[:1] == " " or (line[:1] in "+-" and line[:4] not in ("--- ", "+++ ") and line != "")


# --- applying ----------------------------------------------------------------------------


@dataclass
class _Text:
    lines: list[str]
    newline_at_end: bool = True

    @classmethod
    def read(cls, path: Path) -> _Text:
        text = path.read_text(encoding="utf-8")
        if not text:
            return cls([], True)
        ends = text.endswith("\n")
        return cls(text[:-1].split("\n") if ends else text.split("\n"), ends)

    def render(self) -> str:
        if not self.lines:
            return ""
        return "\n".join(self.lines) + ("\n" if self.newline_at_end else "")


def _strip(path: str, n: int) -> str:
    parts = PurePosixPath(path).parts
    return str(PurePosixPath(*parts[n:])) if len(parts) > n else ""


def _strip_level(tree: Path, files: list[FileDiff]) -> int:
    """``-p1`` (paths relative to the tree, ``a/``/``b/`` prefixed), or ``-p2`` when every
    existing file is only found one directory further down (a diff made one level up, e.g.
    from an openstack-helm checkout for one of its charts)."""
    olds = [f.old for f in files if f.old != DEV_NULL]
    for n in (1, 2):
        if all((tree / _strip(p, n)).is_file() for p in olds if _strip(p, n)):
            return n
    return 1


def _place(name: str, path: str, text: _Text, hunk: Hunk, after: int, offset: int) -> int:
    """The 0-based line where ``hunk`` applies (its context exactly), searching outwards from
    where its header says, never before ``after`` (the end of the previous hunk)."""
    want = hunk.old()
    size = len(want)
    expected = max(hunk.old_start - 1 + offset, after) if size else hunk.old_start + offset
    if not size:  # a pure insertion: after line old_start
        return min(max(expected, after), len(text.lines))
    top = len(text.lines) - size
    for delta in range(0, max(top, 0) + len(text.lines) + 1):
        for at in (expected + delta, expected - delta) if delta else (expected,):
            if after <= at <= top and text.lines[at:at + size] == want:
                return at
    raise UserError(f"{name}:{hunk.line}: hunk does not apply to {path} (its context is not "
                    f"in the file near line {hunk.old_start}); regenerate the diff against "
                    "this version of the chart")


def _patched(name: str, path: str, text: _Text, diff: FileDiff) -> _Text:
    out: list[str] = []
    pos = offset = 0
    ends = text.newline_at_end
    for hunk in diff.hunks:
        at = _place(name, path, text, hunk, pos, offset)
        out.extend(text.lines[pos:at])
        out.extend(hunk.new())
        pos = at + len(hunk.old())
        offset = at - (hunk.old_start - 1) if hunk.old() else offset
        if pos >= len(text.lines):
            ends = not hunk.new_no_newline
    out.extend(text.lines[pos:])
    return _Text(out, ends)


def apply_diff(tree: Path, name: str, text: str) -> list[str]:
    """Apply the diff ``name`` to the files under ``tree``; the paths changed (relative).

    Every file and hunk is checked before anything is written (a dry run first). Changed
    files are written as new files (``fileio.write_atomic``: a new inode renamed into place),
    so a tree of hard links to another tree never changes the original, nor does a symlink
    lead the write elsewhere; their mode is kept.
    """
    files = parse_diff(name, text)
    level = _strip_level(tree, files)
    results: list[tuple[Path, _Text | None, int | None]] = []
    changed = []
    for diff in files:
        rel = _strip(diff.target, level)
        if not rel:
            raise UserError(f"{name}: {diff.target}: no file name left after stripping its "
                            f"first directory; write paths as a/<file> and b/<file>")
        target = tree / rel
        if diff.old == DEV_NULL:
            if target.exists():
                raise UserError(f"{name}: {rel}: the diff creates it, but it already exists")
            results.append((target, _patched(name, rel, _Text([]), diff), None))
        else:
            if not target.is_file():
                raise UserError(f"{name}: {rel}: no such file in {tree.name}")
            before = _Text.read(target)
            after = _patched(name, rel, before, diff)
            if diff.new == DEV_NULL:
                if after.lines:
                    raise UserError(f"{name}: {rel}: the diff deletes it, but the file has "
                                    "more than the diff removes")
                results.append((target, None, None))
            else:
                results.append((target, after, target.stat().st_mode))
        changed.append(rel)
    for target, content, mode in results:
        if content is None:
            target.unlink()
            continue
        write_atomic(target, content.render(), parents=True)  # a new inode, never a link's
        if mode is not None:
            os.chmod(target, mode & 0o7777)
    return changed
