"""The example site exported by the real CLI, once per format, and a real age key.

The example application (``examples/``) has every openstack-helm chart of the application,
with plugins that generate the site's secrets, so these exports carry real secret values.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage
import yaml
from support import REPO, stored_secrets

from helmdeck import sops
from helmdeck.application import load_application
from helmdeck.cli.main import main
from helmdeck.deploy.desired import desired_releases
from helmdeck.overrides import OverrideService
from helmdeck.store import open_store

SITE = REPO / "examples" / "site.yaml"
REPO_URL = "https://git.example.com/ops/cloud.git"
PATH_PREFIX = "openstack-helm"
EXPORT_PATH = "gitops/lab1"
# The GitOps engines `helmdeck export --format` writes for.
FORMATS = ["fluxcd", "argocd", "helmfile", "armada"]
ENGINE_OPTIONS = {
    "fluxcd": ["--repo-url", REPO_URL, "--path-prefix", PATH_PREFIX],
    "argocd": ["--repo-url", REPO_URL, "--path-prefix", PATH_PREFIX,
               "--export-path", EXPORT_PATH, "--revision", "stable"],
    "helmfile": [],
    "armada": [],
}


@dataclass(frozen=True)
class AgeKey:
    identity: str
    recipient: str
    key_file: Path


def age_key(directory: Path) -> AgeKey:

    ident = pyrage.x25519.Identity.generate()
    key_file = directory / "age.key"
    key_file.write_text(f"{ident}\n")
    key_file.chmod(0o600)
    return AgeKey(str(ident), str(ident.to_public()), key_file)


def run(*argv: str) -> tuple[int, str, str]:
    """``helmdeck ARGV`` in process: (exit code, stdout, stderr)."""

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return code, out.getvalue(), err.getvalue()


@dataclass
class Site:
    """An imported example site in its own HELMDECK_HOME, to export from."""

    home: Path
    tmp: Path
    key: AgeKey
    exports: dict[str, Path] = field(default_factory=dict)

    def export(self, fmt: str, *extra: str, out: Path | None = None) -> tuple[int, Path, str]:
        out = out or self.tmp / f"export-{fmt}-{len(self.exports)}"
        code, _, err = run("export", "--format", fmt, "--out", str(out), *extra)
        return code, out, err

    def encrypted(self, fmt: str) -> Path:
        """The export of ``fmt`` encrypted for ``key`` (made once)."""
        if fmt not in self.exports:
            code, out, err = self.export(fmt, "--sops-age", self.key.recipient,
                                         *ENGINE_OPTIONS[fmt])
            assert code == 0, err
            self.exports[fmt] = out
        return self.exports[fmt]

    def secrets(self) -> dict[str, str]:

        with open_store() as store:
            return stored_secrets(store)

    def desired(self, app_for: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """chart -> DesiredRelease, as export computes them (for Armada: its release names)."""

        app = load_application()
        if app_for is not None:
            app = app_for(app)
        with open_store() as store:
            service = OverrideService(store, app=app)
            return {d.chart: d for d in desired_releases(service)}


def load_docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def files_of(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(out.iterdir()) if p.is_file()}


def sops_decrypt(path: Path, key: AgeKey) -> str:
    """Decrypt with the real sops program and the age key file, as an engine would."""

    env: Mapping[str, str] = {**os.environ, "SOPS_AGE_KEY_FILE": str(key.key_file)}
    return sops.decrypt(path.read_text(), env=env)
