"""Fine-grained behaviour of the FastAPI app, in process (the real server is in test_server)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import NS, Deployment, generated_secrets
from fastapi.testclient import TestClient
from sqlalchemy import text

from helmdeck.api.app import create_app
from helmdeck.api.middleware import MAX_BODY_BYTES
from helmdeck.api.routes import parse_if_match
from helmdeck.errors import UserError
from helmdeck.store import audit, open_store

URL = "/v1/helm_charts/keystone"


@pytest.fixture
def api(deployment: Deployment) -> Iterator[TestClient]:
    with open_store(deployment.url) as store, TestClient(create_app(store)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_lists_every_route_with_bearer_auth(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths["/v1/helm_charts/{name}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/v1/helm_charts"]
    for action in ("rollback", "enable", "disable"):
        assert "post" in paths[f"/v1/helm_charts/{{name}}/{action}"]
    assert "get" in paths["/v1/helm_charts/{name}/history"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_missing_or_wrong_token_is_401(api: TestClient, deployment: Deployment) -> None:
    for headers in ({}, auth("hd_wrong"), {"Authorization": f"Basic {deployment.admin}"}):
        r = api.get("/v1/helm_charts", headers=headers)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="helmdeck"'
        assert set(r.json()) == {"detail", "error_message"}


def test_x_auth_token_is_the_same_token_with_the_same_role(
    api: TestClient, deployment: Deployment
) -> None:
    """StarlingX's client sends ``X-Auth-Token``; it means what ``Authorization`` does."""
    reader, admin = {"X-Auth-Token": deployment.reader}, {"X-Auth-Token": deployment.admin}
    assert api.get("/v1/helm_charts", headers=reader).status_code == 200
    patch = {"params": {"namespace": NS}, "json": {"flag": "reuse"}}
    assert api.patch(URL, headers=reader, **patch).status_code == 403
    assert api.patch(URL, headers=admin, **patch).status_code == 200
    both = {**auth(deployment.admin), "X-Auth-Token": deployment.admin}
    assert api.get("/v1/helm_charts", headers=both).status_code == 200
    mixed = {**auth(deployment.admin), "X-Auth-Token": deployment.reader}
    r = api.get("/v1/helm_charts", headers=mixed)
    assert r.status_code == 401 and "two different tokens" in r.json()["detail"]
    r = api.get("/v1/helm_charts", headers={"X-Auth-Token": "hd_wrong"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="helmdeck"'


def test_unknown_routes_and_methods_answer_in_the_error_shape(
    api: TestClient, deployment: Deployment
) -> None:
    h = auth(deployment.admin)
    r = api.get("/v1/nosuch", headers=h)
    assert r.status_code == 404 and "/openapi.json" in r.json()["detail"]
    assert json.loads(r.json()["error_message"])["faultstring"] == r.json()["detail"]
    r = api.put(URL, headers=h)
    assert r.status_code == 405 and "PATCH" in r.json()["detail"] and "Allow" in r.headers


def test_reader_reads_but_may_not_write_or_reveal(api: TestClient, deployment: Deployment) -> None:
    h = auth(deployment.reader)
    assert api.get("/v1/helm_charts", headers=h).status_code == 200
    assert api.get(URL, params={"namespace": NS}, headers=h).status_code == 200
    writes = [
        api.patch(URL, params={"namespace": NS}, json={"flag": "reuse"}, headers=h),
        api.delete(URL, params={"namespace": NS}, headers=h),
        api.post(f"{URL}/disable", params={"namespace": NS}, headers=h),
        api.post(f"{URL}/rollback", params={"namespace": NS}, json={"to": 1}, headers=h),
        api.post("/v1/overrides/import", json={"overrides": "{}"}, headers=h),
        api.get(URL, params={"namespace": NS, "reveal": "true"}, headers=h),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert "admin" in writes[0].json()["detail"]


def test_list_shape(api: TestClient, deployment: Deployment) -> None:
    body = api.get("/v1/helm_charts", headers=auth(deployment.reader)).json()
    assert set(body) == {"charts"}
    keystone = next(c for c in body["charts"] if c["name"] == "keystone")
    assert keystone == {"name": "keystone", "namespaces": [NS], "enabled": True}


def test_show_shape_etag_and_redaction(api: TestClient, deployment: Deployment) -> None:
    r = api.get(URL, params={"namespace": NS}, headers=auth(deployment.reader))
    assert r.status_code == 200
    assert set(r.json()) == {
        "name",
        "namespace",
        "system_overrides",
        "user_overrides",
        "combined_overrides",
    }
    assert r.headers["ETag"] == '"0"'
    secrets = generated_secrets(deployment)
    assert secrets and "<redacted>" in r.json()["combined_overrides"]
    assert not [name for name, value in secrets.items() if value in r.text]


def test_reveal_shows_real_values_to_admin_and_is_audited(
    api: TestClient, deployment: Deployment
) -> None:
    r = api.get(URL, params={"namespace": NS, "reveal": "true"}, headers=auth(deployment.admin))
    assert r.status_code == 200 and "<redacted>" not in r.text
    assert any(v in r.text for v in generated_secrets(deployment).values())
    with open_store(deployment.url) as store, store.transaction() as s:
        entries = audit.audit_log(s)
    assert any(e.action == "secret.reveal" and e.target == f"keystone@{NS}"
               and e.actor == "api:test-admin" for e in entries)


def test_patch_reuse_then_reset_and_etag(api: TestClient, deployment: Deployment) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    r = api.patch(
        URL,
        params=q,
        headers=h,
        json={"flag": "reuse", "values": {"set": ["a.b=1"], "files": ["c: x\n"]}},
    )
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"name", "namespace", "user_overrides"}
    assert r.headers["ETag"] == '"1"'
    r = api.patch(URL, params=q, headers=h, json={"flag": "reuse", "values": {"set": ["d=2"]}})
    assert r.json()["user_overrides"] == "a:\n  b: 1\nc: x\nd: 2\n"
    r = api.patch(
        URL, params=q, headers=h, json={"flag": "reset", "values": {"set_string": ["e=3"]}}
    )
    assert r.json()["user_overrides"] == "e: '3'\n"
    assert api.get(URL, params=q, headers=h).headers["ETag"] == '"3"'


def test_if_match(api: TestClient, deployment: Deployment) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    body = {"flag": "reuse", "values": {"set": ["a=1"]}}
    assert api.patch(URL, params=q, json=body, headers={**h, "If-Match": '"0"'}).status_code == 200
    stale = api.patch(URL, params=q, json=body, headers={**h, "If-Match": '"0"'})
    assert stale.status_code == 409 and "version 1" in stale.json()["detail"]
    assert api.delete(URL, params=q, headers={**h, "If-Match": "0"}).status_code == 409
    changed = {"flag": "reuse", "values": {"set": ["a=2"]}}
    assert api.patch(URL, params=q, json=changed, headers={**h, "If-Match": "*"}).status_code == 200
    bad = api.patch(URL, params=q, json=body, headers={**h, "If-Match": "abc"})
    assert bad.status_code == 400 and "If-Match" in bad.json()["detail"]
    r = api.delete(URL, params=q, headers={**h, "If-Match": 'W/"2"'})
    assert r.status_code == 204 and r.content == b""


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("*", None), ('"7"', 7), ("7", 7), ('W/"7"', 7)]
)
def test_parse_if_match(value: str | None, expected: int | None) -> None:
    assert parse_if_match(value) == expected


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"flag": "merge"}, "body.flag"),
        ({"flag": "reuse", "values": {"sets": ["a=1"]}}, "body.values.sets"),
        ({"flag": "reuse", "values": {"set": "a=1"}}, "body.values.set"),
    ],
)
def test_malformed_body_is_one_line_400(
    api: TestClient, deployment: Deployment, body: dict[str, Any], needle: str
) -> None:
    r = api.patch(URL, params={"namespace": NS}, json=body, headers=auth(deployment.admin))
    assert r.status_code == 400
    assert set(r.json()) == {"detail", "error_message"} and needle in r.json()["detail"]
    assert "\n" not in r.json()["detail"]


def test_invalid_json_and_missing_namespace_are_400(
    api: TestClient, deployment: Deployment
) -> None:
    h = {**auth(deployment.admin), "Content-Type": "application/json"}
    assert api.patch(URL, params={"namespace": NS}, content=b"{", headers=h).status_code == 400
    r = api.get(URL, headers=h)
    assert r.status_code == 400 and "namespace" in r.json()["detail"]


def test_oversized_bodies_are_413_declared_or_streamed(
    api: TestClient, deployment: Deployment
) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    big = b'{"flag": "reuse", "values": {"files": ["' + b"a" * MAX_BODY_BYTES + b'"]}}'
    r = api.patch(URL, params=q, content=big, headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"flag": "reuse", "values": {"files": ["'
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"a" * 4096
        yield b'"]}}'

    r = api.patch(
        URL, params=q, content=chunks(), headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert api.get(URL, params=q, headers=h).headers["ETag"] == '"0"'


def test_errors_from_the_service_keep_their_status(api: TestClient, deployment: Deployment) -> None:
    h = auth(deployment.admin)
    r = api.get("/v1/helm_charts/nosuch", params={"namespace": NS}, headers=h)
    assert r.status_code == 404 and "nosuch" in r.json()["detail"]
    r = api.get(URL, params={"namespace": "elsewhere"}, headers=h)
    assert r.status_code == 404 and "elsewhere" in r.json()["detail"]
    r = api.patch(
        URL,
        params={"namespace": NS},
        headers=h,
        json={"flag": "reuse", "values": {"set": ["a[x]=1"]}},
    )
    assert r.status_code == 400 and "a[x]=1" in r.json()["detail"]


SECRET = "endpoints.identity.auth.test.password"  # generated for these charts


@pytest.mark.parametrize(
    "values",
    [
        {"set_json": [f'{SECRET}={{"a":1}}']},
        {"files": ["endpoints:\n  identity:\n    auth:\n      test:\n"
                   "        password: {a: 1}\n"]},
        {"set": [f"{SECRET}.sub=1"]},
        {"set": ["endpoints.identity.auth=x"]},
    ],
    ids=["map-at", "file-map-at", "under", "over"],
)
def test_patch_at_under_or_over_a_secret_path_is_400_and_stores_nothing(
    api: TestClient, deployment: Deployment, db_url: str, values: dict[str, list[str]]
) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    for flag in ("reuse", "reset"):
        r = api.patch(URL, params=q, headers=h, json={"flag": flag, "values": values})
        assert r.status_code == 400, r.text
        assert "holds a secret" in r.json()["detail"]
        assert "helmdeck secret set keystone_keystone_test_password" in r.json()["detail"]
    shown = api.get(URL, params=q, headers=h)
    assert shown.headers["ETag"] == '"0"' and shown.json()["user_overrides"] in ("", "{}\n")


@pytest.mark.parametrize("values", [
    {"set_json": ["x=" + '{"k":' * 450 + "1" + "}" * 450]},
    {"files": ["x: " + "[" * 450 + "]" * 450 + "\n"]},
], ids=["set_json", "file"])
def test_deep_nesting_is_a_one_line_400_not_a_500(
    api: TestClient, deployment: Deployment, values: dict[str, list[str]]
) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    r = api.patch(URL, params=q, headers=h, json={"flag": "reuse", "values": values})
    assert r.status_code == 400 and "nested deeper than 100 levels" in r.json()["detail"]
    assert "\n" not in r.json()["detail"]


def test_rollback_beyond_any_revision_is_400_on_every_database(
    api: TestClient, deployment: Deployment, db_url: str
) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    api.patch(URL, params=q, headers=h, json={"values": {"set": ["a=1"]}})
    r = api.post(f"{URL}/rollback", params=q, headers=h, json={"to": 2**31 - 1})
    assert r.status_code == 404 and f"no revision {2**31 - 1}" in r.json()["detail"]
    for to in (2**31, 99999999999999999999):  # past PostgreSQL's integer column
        r = api.post(f"{URL}/rollback", params=q, headers=h, json={"to": to})
        assert r.status_code == 400 and "body.to" in r.json()["detail"], r.text
        assert "\n" not in r.json()["detail"]
    assert api.get(URL, params=q, headers=h).headers["ETag"] == '"1"'


def test_history_rollback_enable_disable(api: TestClient, deployment: Deployment) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    for expr in ("a=1", "a=2"):
        api.patch(URL, params=q, headers=h, json={"values": {"set": [expr]}})
    revisions = api.get(f"{URL}/history", params=q, headers=h).json()["revisions"]
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["values"] == "a: 1\n" and revisions[0]["actor"] == "api:test-admin"
    r = api.post(f"{URL}/rollback", params=q, headers=h, json={"to": 1})
    assert r.json()["user_overrides"] == "a: 1\n" and r.headers["ETag"] == '"3"'
    assert api.post(f"{URL}/rollback", params=q, headers=h, json={"to": 0}).status_code == 400
    refused = api.post(f"{URL}/disable", params=q, headers=h)
    assert refused.status_code == 400 and "--cascade" in refused.json()["detail"]
    cascade = {**q, "cascade": "true"}
    assert api.post(f"{URL}/disable", params=cascade, headers=h).json()["enabled"] is False
    charts = api.get("/v1/helm_charts", headers=h).json()["charts"]
    assert next(c for c in charts if c["name"] == "keystone")["enabled"] is False
    assert api.post(f"{URL}/enable", params=q, headers=h).json()["enabled"] is True


def test_explain_effective_export_import(api: TestClient, deployment: Deployment) -> None:
    h, q = auth(deployment.admin), {"namespace": NS}
    api.patch(URL, params=q, headers=h, json={"values": {"set": ["pod.replicas.api=5"]}})
    r = api.get(f"{URL}/explain", params={**q, "path": "pod.replicas.api"}, headers=h)
    assert r.json()["layer"] == "user"
    eff = api.get(f"{URL}/effective", params=q, headers=h).json()["effective_values"]
    assert "api: 5" in eff and "keystone_api: docker.io" in eff
    exported = api.get("/v1/overrides", headers=h).json()["overrides"]
    assert exported == "keystone:\n  pod:\n    replicas:\n      api: 5\n"
    r = api.post("/v1/overrides/import", json={"overrides": exported}, headers=h)
    assert r.json() == {"changed": 0}
    r = api.post("/v1/overrides/import", json={"overrides": "keystone: {b: 1}\n"}, headers=h)
    assert r.json() == {"changed": 1}


class _Exploding:
    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("password=hunter2-leaked")

        return fail


def test_crash_is_a_bare_500_and_the_log_has_no_message(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    with open_store(deployment.url) as store:
        app = create_app(store, services=lambda actor: _Exploding())
        with TestClient(app) as client, caplog.at_level(logging.INFO):
            r = client.get("/v1/helm_charts", headers=auth(deployment.reader))
    assert r.status_code == 500 and "hunter2" not in r.text
    assert "RuntimeError" in caplog.text and "hunter2" not in caplog.text


def test_user_error_detail_is_one_line(deployment: Deployment) -> None:
    class Refusing:
        def list_charts(self) -> None:
            raise UserError("first line\nsecond line")

    with open_store(deployment.url) as store:
        app = create_app(store, services=lambda actor: Refusing())
        with TestClient(app) as client:
            r = client.get("/v1/helm_charts", headers=auth(deployment.reader))
    assert r.status_code == 400 and r.json()["detail"] == "first line second line"
    fault = json.loads(r.json()["error_message"])
    assert fault == {"faultcode": "Client", "faultstring": "first line second line",
                     "debuginfo": None}


def test_sqlite_transactions_queue_in_process(deployment: Deployment) -> None:
    """Threads wait on the server's lock, not in SQLite's sleeping busy handler."""
    import threading

    from helmdeck.api.app import SerialStore

    with open_store(deployment.url) as store:
        serial = create_app(store).state.store
        assert isinstance(serial, SerialStore)
        inside, release = threading.Event(), threading.Event()

        def hold() -> None:
            with serial.transaction():
                inside.set()
                release.wait()

        holder = threading.Thread(target=hold)
        holder.start()
        inside.wait()
        taken_by_other = not serial._lock.acquire(blocking=False)
        with serial.transaction(readonly=True) as s:  # readers do not queue behind writers
            reader_ran = s.execute(text("SELECT 1")).scalar() == 1
        release.set()
        holder.join()
        with serial.transaction():
            reentrant = serial._lock.acquire(blocking=False)
            serial._lock.release()
    assert taken_by_other and reentrant and reader_ran
