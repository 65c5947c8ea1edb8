"""Where helmdeck keeps its state and how it finds it (the ``HELMDECK_*`` variables).

Everything is read from the environment on each call rather than cached at import, so tests
and long-running servers see the same rules and a changed ``HELMDECK_HOME`` takes effect.
"""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet

from helmdeck.errors import UserError
from helmdeck.fileio import write_new


def home() -> Path:
    """The state directory, private (0700) because it holds the database and key.

    Created 0700; an existing one of ours that others can enter is tightened to 0700 (an
    older helmdeck, or a ``mkdir`` under a 022 umask, left it open). One that cannot be used
    is the operator's to fix: one line naming ``HELMDECK_HOME``, whether they set it or not.
    """
    configured = os.environ.get("HELMDECK_HOME")
    path = Path(configured or Path.home() / ".helmdeck").expanduser()
    where = f"HELMDECK_HOME={path}" if configured else f"{path} (the default HELMDECK_HOME)"
    fix = "set HELMDECK_HOME to a directory of yours that helmdeck may create or write"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except FileExistsError:
        raise UserError(f"{where}: exists and is not a directory; {fix}") from None
    except OSError as exc:
        raise UserError(f"{where}: cannot create it ({exc.strerror}); {fix}") from None
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise UserError(f"{where}: not writable by this user; {fix}")
    return path


def database_url() -> str:
    """The SQLAlchemy URL of the store: PostgreSQL when shared, else SQLite in the home."""
    url = os.environ.get("HELMDECK_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{home() / 'helmdeck.db'}"


def database_setting() -> str:
    """The variable that chose the database, for messages that tell the operator what to fix."""
    return "HELMDECK_DATABASE_URL" if os.environ.get("HELMDECK_DATABASE_URL") else "HELMDECK_HOME"


def secret_key() -> bytes:
    """The Fernet key that encrypts secrets at rest.

    ``HELMDECK_SECRET_KEY`` wins so that several servers sharing one PostgreSQL can share the
    key without a shared file. Otherwise the key lives in ``<home>/secret.key``, created on
    first use; a key file others can read is refused, since it would expose every secret.
    """

    env = os.environ.get("HELMDECK_SECRET_KEY")
    if env:
        key = env.strip().encode()
        _check_fernet_key(key, "HELMDECK_SECRET_KEY")
        return key
    path = home() / "secret.key"
    if not path.exists():
        write_new(path, Fernet.generate_key() + b"\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UserError(
            f"{path}: key file is readable by group or others (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )
    key = path.read_bytes().strip()
    _check_fernet_key(key, str(path))
    return key


def _check_fernet_key(key: bytes, source: str) -> None:

    try:
        Fernet(key)
    except ValueError:
        raise UserError(
            f"{source}: not a Fernet key (32 url-safe base64-encoded bytes); create one with: "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None


def server_url() -> str | None:
    """A ``helmdeck serve`` to talk to instead of the local database, if configured."""
    return os.environ.get("HELMDECK_URL") or None


def token() -> str | None:
    """The API token sent to ``HELMDECK_URL``."""
    return os.environ.get("HELMDECK_TOKEN") or None


def actor() -> str:
    """Who is acting, for the audit log of local commands: ``cli:<user>``.

    The API's actors are ``api:<token name>``; the prefix keeps the two apart in one log.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid:{os.getuid()}"
    return f"cli:{user}"
