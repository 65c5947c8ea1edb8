"""Writing output files atomically and privately: rendered manifests and exports hold secrets."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from helmdeck.fileio import write_atomic


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically and 0600, creating private parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, text)


def replace_dir(target: Path, files: dict[str, str]) -> None:
    """Make ``target`` hold exactly ``files`` (relative path -> text), all 0600.

    The new tree is built beside the old one and swapped in, so a reader never sees a mix of
    two renders and files of templates that no longer render do not linger.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for rel, text in files.items():
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
        os.replace(stage, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
