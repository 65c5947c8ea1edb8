"""``helmdeck token create|list|revoke``, expiry, and revocation seen by every server at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from api_support import Deployment, Server
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from support import Run, cli_runner

from helmdeck import config
from helmdeck.api.app import create_app
from helmdeck.cli.main import cli
from helmdeck.store import audit, open_store, tokens
from helmdeck.store.models import utcnow


@pytest.fixture
def run(helmdeck_home: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return cli_runner(capsys)


def listed(run: Run) -> list[dict[str, object]]:
    rc, out, _ = run("token", "list", "-o", "json")
    assert rc == 0
    rows: list[dict[str, object]] = json.loads(out)["tokens"]
    return rows


def test_list_shows_every_field_but_the_secret(run: Run) -> None:
    rc, plain, err = run("token", "create", "--role", "admin", "--name", "ci",
                         "--expires-in", "30d")
    assert rc == 0 and "(id 1, expires " in err
    run("token", "create", "--role", "reader")
    rows = listed(run)
    assert [(r["name"], r["id"], r["role"], r["state"]) for r in rows] == [
        ("ci", 1, "admin", "active"), ("reader", 2, "reader", "active")]
    expires = datetime.fromisoformat(str(rows[0]["expires"]))
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    assert rows[1]["expires"] is None and set(rows[0]) == {
        "name", "id", "role", "created", "expires", "state"}
    rc, table, _ = run("token", "list")
    assert rc == 0 and "never" in table and "ci" in table
    assert plain.strip() not in table + json.dumps(rows)


def test_revoke_by_name_or_id_is_audited(run: Run) -> None:
    run("token", "create", "--role", "admin", "--name", "ci")
    run("token", "create", "--role", "reader", "--name", "dash")
    assert run("token", "revoke", "ci") == (0, "token 'ci' (id 1) revoked\n", "")
    assert run("token", "revoke", "2")[1] == "token 'dash' (id 2) revoked\n"
    assert [r["state"] for r in listed(run)] == ["revoked", "revoked"]
    with open_store() as store, store.transaction() as s:
        log = [(e.actor, e.action, e.target) for e in audit.audit_log(s)]
    assert log[:2] == [(config.actor(), "token.revoke", "dash"),
                       (config.actor(), "token.revoke", "ci")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("revoke", "nope"), "token nope: no unrevoked token has this name or id; "
                             "see helmdeck token list"),
        (("revoke", "99"), "token 99: no unrevoked token has this name or id"),
        (("create", "--role", "admin", "--name", "x" * 65), "token name 'xxxx"),
        (("create", "--role", "admin", "--name", "a b"), "use 1 to 64 letters"),
        (("create", "--role", "admin", "--expires-in", "soon"),
         "--expires-in soon: not a duration; write e.g. 90m, 12h, 30d or 2w"),
        (("create", "--role", "admin", "--expires", "2001-01-01"),
         "--expires 2001-01-01: already past"),
        (("create", "--role", "admin", "--expires", "tomorrow"), "not an ISO 8601 time"),
        (("create", "--role", "admin", "--expires", "2999-01-01", "--expires-in", "1d"),
         "give one of them, not both"),
    ],
)
def test_mistakes_are_one_line(run: Run, argv: tuple[str, ...], message: str) -> None:
    rc, out, err = run("token", *argv)
    assert (rc, out) == (2, "") and err.count("\n") == 1 and message in err, err
    assert listed(run) == []


def test_a_shared_name_is_revoked_by_id(run: Run) -> None:
    run("token", "create", "--role", "admin")
    run("token", "create", "--role", "admin")
    rc, _, err = run("token", "revoke", "admin")
    assert rc == 2 and "2 tokens have this name (ids 1, 2); revoke one by its id" in err
    assert run("token", "revoke", "2")[0] == 0
    assert run("token", "revoke", "admin")[0] == 0  # now only id 1 is unrevoked


def test_create_prints_the_token_alone_on_the_last_line(helmdeck_home: Path) -> None:
    result: Result = CliRunner().invoke(
        cli, ["token", "create", "--role", "reader", "--expires", "2999-01-01T00:00:00+02:00"])
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert result.stdout == token + "\n" and token.startswith("hd_")
    with open_store() as store, store.transaction() as s:
        info = tokens.token_info(s, token)
    assert info is not None and info.expires_at == datetime.fromisoformat("2998-12-31T22:00Z")


@pytest.fixture
def api(deployment: Deployment) -> Iterator[TestClient]:
    with open_store(deployment.url) as store, TestClient(create_app(store)) as client:
        yield client


def test_revoked_token_fails_on_the_very_next_request(
    api: TestClient, deployment: Deployment, run: Run
) -> None:
    """No positive cache: the revocation, committed by another process, holds at once."""
    headers = {"Authorization": f"Bearer {deployment.admin}"}
    assert api.get("/v1/helm_charts", headers=headers).status_code == 200
    assert run("token", "revoke", "test-admin")[0] == 0
    r = api.get("/v1/helm_charts", headers=headers)
    assert r.status_code == 401 and r.json()["detail"] == (
        "Authorization: token 'test-admin' is revoked; create a new one with "
        "`helmdeck token create`")


def test_expired_token_is_refused(api: TestClient, deployment: Deployment) -> None:
    with open_store(deployment.url) as store, store.transaction() as s:
        soon = tokens.create_token(s, "reader", "soon", expires_at=utcnow() + timedelta(hours=1))
        gone = tokens.create_token(s, "reader", "gone", expires_at=utcnow() - timedelta(hours=1))
    assert api.get("/v1/helm_charts", headers={"Authorization": f"Bearer {soon}"}) \
        .status_code == 200
    r = api.get("/v1/helm_charts", headers={"Authorization": f"Bearer {gone}"})
    assert r.status_code == 401 and "'gone' is expired" in r.json()["detail"]


def test_no_docs_ui_pulls_outside_assets(api: TestClient) -> None:
    assert api.get("/docs").status_code == 404 and api.get("/redoc").status_code == 404
    assert api.get("/openapi.json").json()["info"]["title"] == "helmdeck"


def test_a_running_server_refuses_a_token_revoked_by_the_cli(
    deployment: Deployment, serve: Callable[[], Server], run: Run
) -> None:
    with serve().client(deployment.reader) as client:
        assert client.get("/v1/helm_charts").status_code == 200
        assert run("token", "revoke", "test-reader")[0] == 0
        assert client.get("/v1/helm_charts").status_code == 401
