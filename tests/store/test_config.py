"""Configuration: where state lives and how the secret key is created and guarded."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from helmdeck import config
from helmdeck.errors import UserError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_is_created_private(helmdeck_home: Path) -> None:
    assert config.home() == helmdeck_home
    assert _mode(helmdeck_home) == 0o700


def test_database_url_defaults_to_sqlite_in_home(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config.database_url() == f"sqlite:///{helmdeck_home / 'helmdeck.db'}"
    monkeypatch.setenv("HELMDECK_DATABASE_URL", "postgresql+psycopg://db/helmdeck")
    assert config.database_url() == "postgresql+psycopg://db/helmdeck"


def test_key_file_created_0600_once(helmdeck_home: Path) -> None:
    key = config.secret_key()
    path = helmdeck_home / "secret.key"
    assert _mode(path) == 0o600
    Fernet(key)
    assert config.secret_key() == key
    assert [p.name for p in helmdeck_home.iterdir()] == ["secret.key"]


def test_readable_key_file_refused_with_fix(helmdeck_home: Path) -> None:
    config.secret_key()
    path = helmdeck_home / "secret.key"
    os.chmod(path, 0o640)
    with pytest.raises(UserError, match=r"secret\.key: .*mode 0640.*chmod 600") as exc:
        config.secret_key()
    assert "\n" not in str(exc.value)


def test_env_key_wins_and_is_checked(helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("HELMDECK_SECRET_KEY", key.decode())
    assert config.secret_key() == key
    assert not (helmdeck_home / "secret.key").exists()
    monkeypatch.setenv("HELMDECK_SECRET_KEY", "not-a-key")
    with pytest.raises(UserError, match="HELMDECK_SECRET_KEY: not a Fernet key"):
        config.secret_key()


def test_server_settings(helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.server_url() is None and config.token() is None
    monkeypatch.setenv("HELMDECK_URL", "http://127.0.0.1:8385")
    monkeypatch.setenv("HELMDECK_TOKEN", "hd_x")
    assert config.server_url() == "http://127.0.0.1:8385"
    assert config.token() == "hd_x"
