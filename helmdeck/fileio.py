"""The one way helmdeck writes a file: all at once, private unless asked otherwise.

Rendered manifests, exports, override files and caches may hold secrets, and a reader (or a
crash) must never see half a file, so every write goes through a temporary file beside the
target that is renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


def write_atomic(path: Path, content: str | bytes, *, mode: int | None = PRIVATE) -> None:
    """Write ``content`` to ``path`` via a temporary file in the same directory + rename.

    The temporary file is created 0600, so a secret is never readable by others, not even for
    the moment before the rename; it is flushed to disk before the rename, and removed if
    anything fails. ``mode`` is the mode the file ends with; ``None`` gives what a plain
    ``open`` would (0666 less the umask), for files that hold no secret.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_default() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask_default() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
