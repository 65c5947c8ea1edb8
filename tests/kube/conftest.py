"""Fixtures for the tests against the live test cluster (tests/cluster, support.cluster).

One cluster per run, shared by every worker: its nodes are the hosts of examples/site.yaml,
labelled once per run by ``helmdeck nodes apply`` (idempotent, so every worker may run it).
Each test deploys into a namespace of its own (its site's ``spec.namespace``) and reads the
cluster, never helmdeck's database, to judge what happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_env import EXAMPLES, Deck
from lightkube import ApiError
from lightkube.resources.core_v1 import Namespace
from support.cluster import Cluster, shared_cluster


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from shared_cluster(tmp_path_factory)


@pytest.fixture
def deck(kube: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Deck]:
    """A helmdeck home and a fresh namespace; the namespace is deleted afterwards (what Helm
    installed in it goes with it)."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config, no ~/.helmdeck
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    d = Deck(tmp_path / "home", namespace, kube, capsys, monkeypatch)
    d.use()
    yield d
    try:
        kube.client().delete(Namespace, namespace)
    except ApiError as exc:  # nothing was installed (e.g. verify refused the apply)
        if exc.status.code != 404:
            raise


@pytest.fixture(scope="session")
def labelled(kube: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    """The shared cluster with its nodes labelled and tainted for examples/site.yaml."""
    home = tmp_path_factory.mktemp("labels")
    env = {**os.environ, "HELMDECK_HOME": str(home), "KUBECONFIG": str(kube.kubeconfig)}
    env.pop("HELMDECK_DATABASE_URL", None)
    for argv in (["site", "import", str(EXAMPLES / "site.yaml")], ["nodes", "apply"]):
        subprocess.run([sys.executable, "-m", "helmdeck", *argv], env=env, check=True,
                       capture_output=True, text=True, timeout=120)
    return kube

