"""``GET /v1/helm_charts/{name}`` is served from a cache that is never stale.

Every input of a chart's overrides is changed in turn (user overrides, site, secrets,
enabled flags, the chart's files) and the next GET must reflect it at once; two apps on one
database (two server processes, each with its own cache) must see each other's writes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_support import NS, Deployment, site_doc
from fastapi.testclient import TestClient

from helmdeck.api.app import create_app
from helmdeck.overrides.service import OverrideService
from helmdeck.site.model import Site
from helmdeck.store import Store, chart_state, open_store, sites
from helmdeck.store.secrets import SecretBox, set_secret

URL = "/v1/helm_charts/keystone"


@pytest.fixture
def charts(deployment: Deployment, charts_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the charts (this test edits them) that the stored site points at."""
    mine = tmp_path / "charts"
    shutil.copytree(charts_dir, mine)
    _save_site(deployment, site_doc(mine))
    return mine


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The charts whose overrides were really computed (not served from the cache)."""
    calls: list[str] = []
    real = OverrideService.get_keyed

    def spy(self: OverrideService, chart: str, namespace: str) -> Any:
        calls.append(chart)
        return real(self, chart, namespace)

    monkeypatch.setattr(OverrideService, "get_keyed", spy)
    return calls


@pytest.fixture
def store(deployment: Deployment, charts: Path) -> Iterator[Store]:
    with open_store(deployment.url) as st:
        yield st


def _save_site(dep: Deployment, doc: dict[str, Any]) -> None:
    with open_store(dep.url) as store, store.transaction() as s:
        sites.save_site(s, Site.model_validate(doc, strict=False))


def _get(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    r = client.get(URL, params={"namespace": NS, **params},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    body["etag"] = r.headers["ETag"]
    return body


def test_every_input_change_is_seen_at_once(
    deployment: Deployment, charts: Path, store: Store, computed: list[str]
) -> None:
    token = deployment.admin
    with TestClient(create_app(store)) as client:
        _get(client, token)  # the first read generates the site's secrets
        first = _get(client, token)
        computed.clear()
        assert _get(client, token) == first and computed == []  # served from the cache

        # user overrides
        r = client.patch(URL, params={"namespace": NS}, json={"values": {"set": ["a=1"]}},
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        after_patch = _get(client, token)
        assert "a: 1" in after_patch["user_overrides"] and after_patch["etag"] == '"1"'

        # the site: a second controller means two API replicas
        assert yaml.safe_load(after_patch["system_overrides"])["pod"]["replicas"]["api"] == 1
        doc = site_doc(charts)
        doc["spec"]["hosts"].append({"name": "ctl-1", "roles": ["controller"]})  # type: ignore[index]
        _save_site(deployment, doc)
        system = yaml.safe_load(_get(client, token)["system_overrides"])
        assert system["pod"]["replicas"]["api"] == 2

        # a secret (values are redacted, so look at what was recomputed)
        before = len(computed)
        with store.transaction() as s:
            set_secret(s, SecretBox(), "keystone_admin_password", "changed-by-test")
        _get(client, token)
        assert len(computed) == before + 1

        # enabled flags: keystone stops depending on a disabled chart
        full = _get(client, token, full="true")
        assert "memcached" in full["depends_on"]
        with store.transaction() as s:
            chart_state.set_chart_enabled(s, "memcached", NS, False)
        assert "memcached" not in _get(client, token, full="true")["depends_on"]

        # the chart's files: a new static override file, then an edited one, then Chart.yaml
        static = charts / "keystone" / "values_overrides" / "2026.1.yaml"
        static.parent.mkdir()
        static.write_text("static_key: one\n")
        assert "static_key: one" in _get(client, token)["combined_overrides"]
        static.write_text("static_key: two-longer\n")
        assert "static_key: two-longer" in _get(client, token)["combined_overrides"]
        chart_yaml = charts / "keystone" / "Chart.yaml"
        chart_yaml.write_text(chart_yaml.read_text().replace("0.1.0", "0.2.0"))
        assert _get(client, token, full="true")["chart_version"] == "0.2.0"


def test_two_servers_on_one_database_never_serve_stale_data(
    db_url: str, deployment: Deployment, store: Store
) -> None:
    token = {"Authorization": f"Bearer {deployment.admin}"}
    with open_store(deployment.url) as other_store, \
            TestClient(create_app(store)) as a, TestClient(create_app(other_store)) as b:
        assert _get(a, deployment.admin)["user_overrides"] == "{}\n"
        assert _get(b, deployment.admin)["user_overrides"] == "{}\n"
        r = b.patch(URL, params={"namespace": NS}, json={"values": {"set": ["x=2"]}},
                    headers=token)
        assert r.status_code == 200
        assert _get(a, deployment.admin)["user_overrides"] == "x: 2\n"
        assert a.delete(URL, params={"namespace": NS}, headers=token).status_code == 204
        assert _get(b, deployment.admin)["user_overrides"] == "{}\n"


def test_reveal_is_never_cached(deployment: Deployment, store: Store,
                                computed: list[str]) -> None:
    with TestClient(create_app(store)) as client:
        redacted = _get(client, deployment.admin)
        revealed = _get(client, deployment.admin, reveal="true")
        assert _get(client, deployment.admin) == redacted
    assert "<redacted>" in redacted["combined_overrides"]
    assert "<redacted>" not in revealed["combined_overrides"]
    assert yaml.safe_load(revealed["user_overrides"]) == {}
