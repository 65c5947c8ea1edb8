"""Fixtures of the API tests: a deployment (site + tokens) and a real server to start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from api_support import Deployment, Server, free_port, server_env, site_doc, write_charts


@pytest.fixture(scope="session")
def charts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_charts(tmp_path_factory.mktemp("charts"))


@pytest.fixture
def deployment(
    helmdeck_home: Path,
    charts_dir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Deployment:
    """The site imported into ``db_url`` when the test uses it, else SQLite in the home."""
    from helmdeck.site.load import load_site_file
    from helmdeck.store import open_store, sites, tokens

    url = (
        request.getfixturevalue("db_url")
        if "db_url" in request.fixturenames
        else f"sqlite:///{helmdeck_home / 'helmdeck.db'}"
    )
    monkeypatch.setenv("HELMDECK_DATABASE_URL", url)
    site_file = tmp_path / "site.yaml"
    site_file.write_text(yaml.safe_dump(site_doc(charts_dir)))
    dep = Deployment(home=helmdeck_home, url=url, env=server_env(helmdeck_home, url))
    with open_store(url) as store, store.transaction() as s:
        sites.save_site(s, load_site_file(site_file))
        dep.admin = tokens.create_token(s, "admin", "test-admin")
        dep.reader = tokens.create_token(s, "reader", "test-reader")
    return dep


@pytest.fixture
def serve(deployment: Deployment, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """``serve()`` starts (or, after a kill, restarts) this deployment's server."""
    servers: list[Server] = []
    port = free_port()

    def start() -> Server:
        server = Server(deployment, port, tmp_path / "server.log").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
