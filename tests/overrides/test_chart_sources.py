"""Charts from a Helm repository: the override layers read the pulled copy.

A real Helm repository (an ``index.yaml`` and chart archives) is served from a temporary
directory over loopback HTTP, and Helm's own pull fetches from it. OCI sources go through
the same code path (``helmdeck.chart.locate``) but need a registry, which
this machine does not have, so only the repository variant runs here.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from overrides_env import APP, CHARTS, make_site

from helmdeck.deploy.desired import desired_releases
from helmdeck.overrides.service import OverrideService
from helmdeck.store import open_store, sites
from helmdeck.store.secrets import SecretBox


def _package(chart: Path, into: Path) -> dict[str, object]:
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    archive = into / f"{meta['name']}-{meta['version']}.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart, arcname=meta["name"])
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    return {**meta, "urls": [archive.name], "digest": digest}


@pytest.fixture
def helm_repo(tmp_path: Path) -> Iterator[str]:
    """A Helm repository of the test charts at http://127.0.0.1:<port>."""
    root = tmp_path / "repo"
    root.mkdir()
    entries = {c.name: [_package(c, root)] for c in sorted(CHARTS.iterdir()) if c.is_dir()}
    (root / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture
def repo_service(helmdeck_home: Path, helm_repo: str, tmp_path: Path) -> Iterator[OverrideService]:
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        site = make_site().model_dump(mode="json")
        site["spec"]["charts"]["source"] = {"repo": helm_repo}
        from helmdeck.site.model import Site

        with store.transaction() as s:
            sites.save_site(s, Site.model_validate(site, strict=False))
        yield OverrideService(store, app=APP, box=SecretBox(), actor="tester")


def test_layers_come_from_charts_pulled_from_a_helm_repository(
    repo_service: OverrideService, helmdeck_home: Path
) -> None:
    shown = repo_service.get("keystone", "openstack")
    pulled = helmdeck_home / "charts"
    assert shown.chart_dir.is_relative_to(pulled.resolve())
    assert shown.chart_version == "0.1.8"
    # the chart's own values_overrides travel in its archive and are picked up from there
    assert shown.static["conf"]["keystone"]["DEFAULT"]["max_param_size"] == 128
    assert shown.provenance["conf.keystone.DEFAULT.max_param_size"].fact.endswith("2026.1.yaml")
    desired = {d.chart: d for d in desired_releases(repo_service)}
    assert all(d.chart_dir.is_relative_to(pulled.resolve()) for d in desired.values())
    assert desired["keystone"].values["conf"]["keystone"]["DEFAULT"]["max_param_size"] == 128


def test_a_pulled_chart_is_reused_without_the_repository(
    repo_service: OverrideService, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = repo_service.get("keystone", "openstack")

    def no_network(*args: object, **kwargs: object) -> Path:
        raise AssertionError("pulled again")

    monkeypatch.setattr("helmdeck.chart.source.pull_chart", no_network)
    # a new service (as in a new process) finds the pulled copy
    box = repo_service.contexts.box
    again = OverrideService(repo_service.store, app=APP, box=box, actor="tester")
    assert again.get("keystone", "openstack") == first
