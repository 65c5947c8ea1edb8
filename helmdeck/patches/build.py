"""``helmdeck patches build``: a folder of diffs -> one ``<chart>-patches`` ConfigMap."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from helmdeck.errors import UserError
from helmdeck.patches.unified import validate_diff

SUFFIXES = (".patch", ".diff")
KEY = re.compile(r"[-._a-zA-Z0-9]+")
# Chart names are DNS labels (Helm's rule), so `<chart>-patches` is a valid ConfigMap name.
CHART = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# Kubernetes refuses ConfigMaps over 1 MiB; say so here rather than at apply time.
MAX_BYTES = 1024 * 1024


def _read(path: Path, directory: Path) -> str:
    """A diff's text: a file of ``directory`` (a symlink must stay inside it), at most
    ``MAX_BYTES``, UTF-8."""
    if path.is_symlink() and not path.resolve().is_relative_to(directory.resolve()):
        raise UserError(f"{path}: a symlink to {path.resolve()}, outside {directory}; copy the "
                        "diff into the directory instead")
    with path.open("rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise UserError(f"{path}: over the 1 MiB a ConfigMap can hold; split the diff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason}); binary diffs are "
                        "not supported") from None


def load_patches(directory: Path) -> dict[str, str]:
    """``{file name: text}`` of every ``*.patch``/``*.diff`` in ``directory``, validated."""
    if not directory.is_dir():
        raise UserError(f"{directory}: not a directory; give the folder holding the diffs")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    if not files:
        raise UserError(f"{directory}: no *.patch or *.diff files in it")
    patches: dict[str, str] = {}
    for path in files:
        if not KEY.fullmatch(path.name):
            raise UserError(f"{path}: the file name is not a valid ConfigMap key; "
                            "use letters, digits, '-', '_' and '.'")
        text = _read(path, directory)
        validate_diff(str(path), text)
        patches[path.name] = text
    size = sum(len(t.encode()) for t in patches.values())
    if size > MAX_BYTES:
        raise UserError(f"{directory}: the diffs total {size} bytes, over the 1 MiB a "
                        "ConfigMap can hold; ship fewer or smaller diffs")
    return patches


def check_applies(directory: Path, patches: dict[str, str], tree: Path) -> None:
    """Each diff must apply to ``tree`` (``patch --dry-run -p1``); nothing is changed."""
    if not tree.is_dir():
        raise UserError(f"--against {tree}: not a directory")
    patch = shutil.which("patch")
    if patch is None:
        raise UserError("--against needs the `patch` program; install it (e.g. apt install "
                        "patch) or drop --against")
    for name in patches:
        result = subprocess.run(
            [patch, "--dry-run", "--batch", "--forward", "-p1", "-d", str(tree),
             "-i", str((directory / name).resolve())],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            why = " ".join((result.stdout + result.stderr).split())
            raise UserError(f"{directory / name}: does not apply to {tree}: {why}")


def build_configmap(chart: str, patches: dict[str, str]) -> dict[str, Any]:
    """The ConfigMap manifest holding ``patches`` (file name -> diff text)."""
    if not CHART.fullmatch(chart):
        raise UserError(f"--chart {chart!r}: not a chart name; chart names are lower-case "
                        "letters, digits and '-' (at most 63)")
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{chart}-patches",
            "labels": {
                "app.kubernetes.io/managed-by": "helmdeck",
                "app.kubernetes.io/part-of": chart,
            },
        },
        "data": dict(sorted(patches.items())),
    }
