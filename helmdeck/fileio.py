"""The one way helmdeck writes files: all at once, owner-only, never through a symlink.

Rendered manifests, exports, override files, the site export and caches may hold secrets,
and a reader (or a crash) must never see half a file, so every file is written to a private
temporary file beside the target and renamed into place. The rename replaces whatever the
final name is, a symlink included, without following it: a link planted where helmdeck
writes cannot redirect the write to the file it points at. Targets are never ``resolve()``d
for the same reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PRIVATE = 0o600
_PRIVATE_DIR = 0o700


def write_atomic(path: Path, content: str | bytes, *, parents: bool = False) -> None:
    """Replace ``path`` with ``content`` (0600) via a temporary file and a rename.

    The temporary file is created 0600 with ``O_EXCL`` (so it is never readable by others,
    not even before the rename), flushed to disk before the rename, and removed if anything
    fails. ``parents`` creates missing directories (0700); otherwise a missing directory is
    the caller's ``FileNotFoundError``. Errors are ``OSError``s for the caller to word.
    """
    if parents:
        path.parent.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _write_fd(fd, content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, content: bytes) -> None:
    """Create ``path`` (0600) holding ``content``, unless the name is already taken.

    The content is written to a private temporary file and hard-linked into place: the link
    fails if the name exists, so of two processes creating the same file at once (the secret
    key on first use) one wins and the other keeps the winner's, never half of either.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _write_fd(fd, content)
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        pass
    finally:
        Path(tmp).unlink(missing_ok=True)


def replace_dir(target: Path, files: dict[str, str]) -> None:
    """Make ``target`` hold exactly ``files`` (relative path -> text), all 0600.

    The new tree is built in a private directory beside the old one and swapped in, so a
    reader never sees a mix of two renders and files of templates that no longer render do
    not linger. The directory ``target`` names is replaced, never one a symlink points to.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for rel, text in files.items():
            dest = stage / rel
            dest.parent.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            _write_fd(os.open(dest, flags, PRIVATE), text)
        old = None
        if target.is_symlink() or target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
        os.replace(stage, target)
        if old is not None:
            _remove(old)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _write_fd(fd: int, content: str | bytes) -> None:
    """Write all of ``content`` to the new file ``fd`` (closed after), made 0600, synced."""
    with os.fdopen(fd, "wb") as fh:
        fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        fh.flush()
        os.fchmod(fh.fileno(), PRIVATE)
        os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    """Remove what a replaced name held: a link itself (not its target), or a tree."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
