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


def test_actor_is_cli_and_the_user(helmdeck_home: Path) -> None:
    import getpass

    assert config.actor() == f"cli:{getpass.getuser()}"


def test_an_open_home_of_ours_is_tightened(helmdeck_home: Path) -> None:
    helmdeck_home.mkdir(mode=0o755)
    os.chmod(helmdeck_home, 0o755)
    assert config.home() == helmdeck_home and _mode(helmdeck_home) == 0o700


@pytest.mark.parametrize("case", ["file", "under a file", "not writable"])
def test_unusable_home_is_one_line_naming_it(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    helmdeck_home.parent.mkdir(exist_ok=True)
    if case == "file":
        helmdeck_home.write_text("")
    elif case == "under a file":
        helmdeck_home.write_text("")
        monkeypatch.setenv("HELMDECK_HOME", str(helmdeck_home / "sub"))
    else:
        helmdeck_home.mkdir()
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == helmdeck_home
                            else real_access(p, mode))
    with pytest.raises(UserError, match=r"^HELMDECK_HOME=\S+: .*; set HELMDECK_HOME to a "
                                        r"directory") as exc:
        config.database_url()
    assert "\n" not in str(exc.value) and "HELMDECK_DATABASE_URL" not in str(exc.value)


def test_unusable_home_from_the_command_line_is_exit_2_without_traceback(
    helmdeck_home: Path,
) -> None:
    import subprocess
    import sys

    helmdeck_home.parent.mkdir(exist_ok=True)
    helmdeck_home.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELMDECK_")}
    env["HELMDECK_HOME"] = str(helmdeck_home)
    for argv in (["site", "show"], ["secret", "list"], ["token", "list"]):
        result = subprocess.run([sys.executable, "-m", "helmdeck", *argv], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (f"helmdeck: error: HELMDECK_HOME={helmdeck_home}: exists and "
                                 "is not a directory; set HELMDECK_HOME to a directory of yours "
                                 "that helmdeck may create or write\n")


def test_default_home_names_the_variable_too(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HELMDECK_HOME")
    (tmp_path / ".helmdeck").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(UserError, match=r"\.helmdeck \(the default HELMDECK_HOME\): exists"):
        config.home()


def test_database_files_are_private(helmdeck_home: Path) -> None:
    from support import as_site, site_doc

    from helmdeck.store import open_store, sites

    with open_store() as store, store.transaction() as s:
        sites.save_site(s, as_site(site_doc([{"name": "c", "roles": ["controller"]},
                                             {"name": "n", "roles": ["compute"]}])))
        files = sorted(p.name for p in helmdeck_home.iterdir() if p.name.startswith("helmdeck"))
        assert files == ["helmdeck.db", "helmdeck.db-shm", "helmdeck.db-wal"]
        assert {p: _mode(helmdeck_home / p) for p in files} == {p: 0o600 for p in files}


def test_older_open_database_files_are_tightened(helmdeck_home: Path) -> None:
    from helmdeck.store import open_store

    open_store().close()
    db = helmdeck_home / "helmdeck.db"
    os.chmod(db, 0o644)
    os.chmod(helmdeck_home, 0o755)
    open_store().close()
    assert _mode(db) == 0o600 and _mode(helmdeck_home) == 0o700


def test_database_error_names_home_when_no_url_was_set(
    helmdeck_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from helmdeck.store import Store, open_store

    def broken(self: Store) -> None:
        raise OperationalError("x", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Store, "migrate", broken)
    with pytest.raises(UserError, match=r"disk I/O error.*check HELMDECK_HOME$") as exc:
        open_store()
    assert "HELMDECK_DATABASE_URL" not in str(exc.value)
