"""Shared fixtures: an isolated HELMDECK_HOME and a database URL for each supported backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import REFERENCE, as_site, site_doc

if TYPE_CHECKING:
    from helmdeck.site.model import Site

# Where the PostgreSQL used by the tests lives; its user must be allowed to create databases.
PG_ADMIN_URL = os.environ.get(
    "HELMDECK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI the reference and schema tests must run: their data missing is a failure."""
    if os.environ.get("CI") == "true" and not (REFERENCE / "openstack-helm").is_dir():
        raise pytest.UsageError(f"reference data not found at {REFERENCE}; set "
                                "HELMDECK_REFERENCE to the shared reference directory")


@pytest.fixture
def helmdeck_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HELMDECK_HOME, with no inherited database URL, key or server."""
    home = tmp_path / "helmdeck-home"
    monkeypatch.setenv("HELMDECK_HOME", str(home))
    for var in ("HELMDECK_DATABASE_URL", "HELMDECK_SECRET_KEY", "HELMDECK_URL", "HELMDECK_TOKEN",
                "HELMDECK_APP"):
        monkeypatch.delenv(var, raising=False)
    return home


def _pg_database() -> Iterator[str]:
    from sqlalchemy.engine import make_url

    try:
        import psycopg
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg (pip install -e '.[test]')")
    admin = make_url(PG_ADMIN_URL)
    params = {
        "host": admin.host or "127.0.0.1",
        "port": admin.port or 5432,
        "user": admin.username or "postgres",
        "password": admin.password,
        "dbname": admin.database or "postgres",
        "connect_timeout": 3,
        "autocommit": True,
    }
    try:
        conn = psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        why = (f"no PostgreSQL reachable at {admin.host}:{admin.port} ({exc}); run "
               "scripts/postgres or set HELMDECK_TEST_PG_URL")
        if os.environ.get("CI") == "true":
            pytest.fail(why)  # CI starts one (scripts/setup): its absence is a failure
        pytest.skip(why)
    name = f"helmdeck_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_database()


def site_data(hosts: int = 3, **spec: object) -> dict[str, object]:
    """A valid site document: one controller, the rest computes, ``spec`` keys overriding."""
    host_list = [{"name": "ctl-0", "roles": ["controller"], "zone": "az1"}] + [
        {"name": f"cmp-{i}", "roles": ["compute"], "labels": {"rack": f"r{i % 8}"}}
        for i in range(1, hosts)
    ]
    return site_doc(host_list, **spec)


@pytest.fixture
def make_site() -> object:
    """``make_site(hosts=3, **spec) -> Site``: a valid site of the given size."""

    def build(hosts: int = 3, **spec: object) -> Site:
        return as_site(site_data(hosts, **spec))

    return build
