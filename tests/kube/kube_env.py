"""The cluster tests' helmdeck runner and sites: helmdeck in-process against the live cluster,
the tiny charts of tests/kube/charts and the example site."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import helm_python
import pytest
import yaml
from support.cluster import DEFAULT_SITE, Cluster

from helmdeck.cli.main import main

CHARTS = Path(__file__).resolve().parent / "charts"
EXAMPLES = DEFAULT_SITE.parent
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


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


