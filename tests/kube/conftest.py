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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml
from lightkube.resources.core_v1 import Namespace
from support.cluster import DEFAULT_SITE, Cluster, shared_cluster

from helmdeck.cli.main import main

CHARTS = Path(__file__).resolve().parent / "charts"
EXAMPLES = DEFAULT_SITE.parent


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from shared_cluster(tmp_path_factory)


@dataclass
class Deck:
    """helmdeck run in-process against the cluster, with a home and a namespace of its own."""

    home: Path
    namespace: str
    cluster: Cluster
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    app_file: Path | None = None
    runs: list[tuple[str, ...]] = field(default_factory=list)

    def use(self) -> None:
        self.monkeypatch.setenv("HELMDECK_HOME", str(self.home))
        self.monkeypatch.setenv("KUBECONFIG", str(self.cluster.kubeconfig))
        for var in ("HELMDECK_DATABASE_URL", "HELMDECK_URL", "HELMDECK_TOKEN", "HELMDECK_APP"):
            self.monkeypatch.delenv(var, raising=False)
        if self.app_file is not None:
            self.monkeypatch.setenv("HELMDECK_APP", str(self.app_file))

    def run(self, *argv: str, ok: bool = True) -> tuple[int, str, str]:
        """``helmdeck ARGV``: exit code, stdout, stderr; ``ok`` asserts exit 0."""
        self.use()
        self.capsys.readouterr()
        self.runs.append(argv)
        with pytest.raises(SystemExit) as exc:
            main(list(argv))
        out, err = self.capsys.readouterr()
        code = int(exc.value.code or 0)
        if ok:
            assert code == 0, f"helmdeck {' '.join(argv)} exited {code}:\n{out}\n{err}"
        return code, out, err

    def site(self, doc: dict[str, Any]) -> Path:
        """Import ``doc`` (spec.namespace set to this test's namespace) as the site."""
        doc["spec"]["namespace"] = self.namespace
        path = self.home.parent / "site.yaml"
        path.write_text(yaml.safe_dump(doc))
        self.run("site", "import", str(path))
        return path

    def app(self, charts: list[dict[str, Any]]) -> Path:
        """Use an application file with ``charts`` for every later command."""
        path = self.home.parent / "app.yaml"
        path.write_text(yaml.safe_dump({"name": "kube-test", "charts": charts}))
        self.app_file = path
        return path

    def helm(self) -> helm_python.Config:
        """Helm's own view of this test's namespace (not helmdeck's database)."""
        return helm_python.Config(namespace=self.namespace,
                                  kubeconfig_path=str(self.cluster.kubeconfig))

    def revisions(self) -> dict[str, int]:
        """Release -> current revision, as the cluster's Helm storage has them."""
        found = self.helm().list(all_states=True)
        return {r["name"]: int(r["revision"]) for r in found}

    def statuses(self) -> dict[str, str]:
        return {r["name"]: str(r["status"]) for r in self.helm().list(all_states=True)}


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
    client = kube.client()
    client.delete(Namespace, namespace)


def tiny_site(**spec: Any) -> dict[str, Any]:
    """A site over the tiny charts of tests/kube/charts, on the shared cluster's hosts."""
    doc = yaml.safe_load((EXAMPLES / "site.yaml").read_text())
    doc["spec"].update({"charts": {"source": {"path": str(CHARTS)}}, "registry": None,
                        "storage": {"backend": "local"}, **spec})
    return doc


def tiny_app(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """db, cache -> api -> web; tool needs only db. ``overrides`` replace a chart's entry."""
    charts: dict[str, dict[str, Any]] = {
        "db": {"name": "db", "timeout": 60},
        "cache": {"name": "cache", "timeout": 60},
        "api": {"name": "api", "depends_on": ["db", "cache"], "recreate_on_change": ["Job"],
                "timeout": 60},
        "web": {"name": "web", "depends_on": ["api"], "timeout": 60},
        "tool": {"name": "tool", "release": "tool-rel", "depends_on": ["db"], "timeout": 60},
    }
    for name, entry in overrides.items():
        charts[name] = {"name": name, **entry}
    return list(charts.values())


def example_site() -> dict[str, Any]:
    """examples/site.yaml with its chart path made absolute."""
    doc = yaml.safe_load((EXAMPLES / "site.yaml").read_text())
    doc["spec"]["charts"]["source"] = {"path": str(EXAMPLES / "charts")}
    return doc


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

