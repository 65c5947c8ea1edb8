"""Fetching charts from Helm repositories and OCI registries."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import helm_python

from helmdeck.errors import UserError
from helmdeck.helm.errors import helm_errors


def pull_chart(chart: str, *, dest: Path, repo_url: str | None = None,
               oci: str | None = None) -> Path:
    """Download and unpack ``chart`` from a Helm repository or an OCI registry into ``dest``.

    Unpacked into a temporary sibling and renamed into place, so an interrupted pull never
    leaves a half-written chart that later loads as if it were whole.
    """
    target = dest / chart
    dest.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{chart}-", dir=dest))
    try:
        with helm_errors(f"chart {chart}: cannot pull from {oci or repo_url}"):
            if oci is not None:
                helm_python.pull(f"{oci.rstrip('/')}/{chart}", destination=stage, untar=True,
                                 untar_dir=stage)
            else:
                helm_python.pull(chart, repo_url=repo_url, destination=stage, untar=True,
                                 untar_dir=stage)
        pulled = stage / chart
        if not (pulled / "Chart.yaml").is_file():
            raise UserError(f"chart {chart}: the pulled archive has no {chart}/Chart.yaml")
        try:
            os.replace(pulled, target)
        except OSError:
            if not (target / "Chart.yaml").is_file():  # not a concurrent pull that won
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target
