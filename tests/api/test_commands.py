"""``helmdeck token create`` and ``helmdeck serve``'s options."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helmdeck.cli.main import cli
from helmdeck.cli.serve_cmd import is_loopback


def test_token_create_prints_the_token_alone_on_the_last_line_and_stores_its_hash(
    helmdeck_home: Path,
) -> None:
    from helmdeck.store import audit, open_store, tokens
    from helmdeck.store.models import TokenRow

    result = CliRunner().invoke(cli, ["token", "create", "--role", "reader", "--name", "ci"])
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert result.stdout == token + "\n" and token.startswith("hd_")
    assert "shown only this once" in result.stderr
    with open_store() as store, store.transaction() as s:
        assert tokens.token_info(s, token).role == "reader"  # type: ignore[union-attr]
        rows = s.query(TokenRow).all()
        entries = audit.audit_log(s)
    assert [(r.name, r.token_hash) for r in rows] == [
        ("ci", hashlib.sha256(token.encode()).hexdigest())
    ]
    assert entries[0].action == "token.create" and token not in entries[0].detail
    assert token.encode() not in (helmdeck_home / "helmdeck.db").read_bytes()


def test_token_create_refuses_an_unknown_role(helmdeck_home: Path) -> None:
    result = CliRunner().invoke(cli, ["token", "create", "--role", "root"])
    assert result.exit_code == 2 and "root" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False),
     ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_serve_warns_when_reachable_from_the_network(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch, host: str, warned: bool
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    result = CliRunner().invoke(cli, ["serve", "--host", host, "--port", "9999"])
    assert result.exit_code == 0, result.output
    assert calls[0]["host"] == host and calls[0]["port"] == 9999
    assert ("reachable from the network" in result.stderr) is warned


def test_serve_defaults_to_loopback_on_8385(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.1", 8385)
