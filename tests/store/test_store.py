"""The store on SQLite and PostgreSQL: schema, site, snapshot, secrets, overrides, state."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, select, text
from support import run_concurrently

from helmdeck.errors import NotFoundError, UserError
from helmdeck.site.model import Site
from helmdeck.store import (
    Store,
    audit,
    chart_state,
    open_store,
    release_state,
    sites,
    tokens,
    user_overrides,
)
from helmdeck.store.migrations import SCHEMA_HEAD
from helmdeck.store.models import AuditRow, SecretRow, utcnow
from helmdeck.store.secrets import (
    Generator,
    SecretBox,
    all_secrets,
    ensure_secrets,
    rotate_secret,
    secret_names,
    set_secret,
)

MakeSite = Callable[..., Site]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as st:
        yield st


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


class StatementCounter:
    def __init__(self, store: Store) -> None:
        self.count = 0
        event.listen(store.engine, "before_cursor_execute", self._seen)
        self.store = store

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.store.engine, "before_cursor_execute", self._seen)


# --- schema --------------------------------------------------------------------------------


def test_schema_head_constant_names_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from helmdeck.store.migrations import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_open_migrates_to_head_and_reopen_skips_alembic(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(db_url) as st, st.transaction() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD

    def no_upgrade(conn: object) -> None:
        raise AssertionError("an up-to-date database must not run Alembic")

    monkeypatch.setattr("helmdeck.store.migrations.upgrade", no_upgrade)
    open_store(db_url).close()


def test_unreachable_database_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"cannot open the database.*HELMDECK_DATABASE_URL") as exc:
        open_store("postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert "\n" not in str(exc.value)


def test_transaction_rolls_back_on_error(store: Store, make_site: MakeSite) -> None:
    with pytest.raises(RuntimeError), store.transaction() as s:
        sites.save_site(s, make_site(3))
        audit.audit(s, actor="t", action=audit.AuditAction.SITE_IMPORT, target="lab1")
        raise RuntimeError("crash mid-change")
    with store.transaction() as s:
        assert sites.load_site(s) is None
        assert audit.audit_log(s) == []


# --- site and snapshot ---------------------------------------------------------------------


def test_site_round_trip_and_replace(store: Store, make_site: MakeSite) -> None:
    with store.transaction() as s:
        assert sites.load_site(s) is None
        sites.save_site(s, make_site(5, registry="mirror.example.com:5000"))
    with store.transaction() as s:
        assert sites.load_site(s) == make_site(5, registry="mirror.example.com:5000")
        sites.save_site(s, make_site(2))
    with store.transaction() as s:
        assert sites.load_site(s) == make_site(2)


def test_snapshot_query_count_is_constant(
    store: Store, box: SecretBox, make_site: MakeSite
) -> None:
    counts = {}
    for hosts in (10, 2000):
        with store.transaction() as s:
            sites.save_site(s, make_site(hosts))
            ensure_secrets(s, box, ["keystone_admin_password", "memcache_secret_key"])
        counter = StatementCounter(store)
        with store.transaction() as s:
            site = sites.load_site(s)
            secrets = all_secrets(s, box)
        counter.close()
        assert site is not None and len(site.spec.hosts) == hosts
        assert set(secrets) == {"keystone_admin_password", "memcache_secret_key"}
        counts[hosts] = counter.count
    assert counts[10] == counts[2000] <= 5, counts


# --- secrets -------------------------------------------------------------------------------


def test_generated_secret_shapes_and_stability(store: Store, box: SecretBox) -> None:
    names = ["ceph_secret_uuid", "memcache_secret_key", "keystone_admin_password"]
    kinds = dict(zip(names, (Generator.UUID, Generator.ALNUM64, None), strict=True))
    with store.transaction() as s:
        first = ensure_secrets(s, box, kinds)
    assert len(first["ceph_secret_uuid"]) == 36 and first["ceph_secret_uuid"].count("-") == 4
    assert len(first["memcache_secret_key"]) == 64 and first["memcache_secret_key"].isalnum()
    assert len(first["keystone_admin_password"]) == 32
    assert first["keystone_admin_password"].isalnum()
    with store.transaction() as s:
        again = ensure_secrets(s, box, [*names, "horizon_secret_key"])
    assert {k: again[k] for k in names} == first
    assert set(again) == {*names, "horizon_secret_key"}


def test_ciphertext_does_not_contain_plaintext(store: Store, box: SecretBox) -> None:
    with store.transaction() as s:
        set_secret(s, box, "db_admin_password", "Plaintext0penSesame")
        plain = ensure_secrets(s, box, ["rabbitmq_admin_password"])
    with store.transaction() as s:
        stored = {n: bytes(c) for n, c in s.execute(select(SecretRow.name, SecretRow.ciphertext))}
    for name, value in plain.items():
        assert value.encode() not in stored[name]
    assert b"Plaintext0penSesame" not in stored["db_admin_password"]


def test_wrong_key_is_a_user_error_without_values(store: Store, box: SecretBox) -> None:
    with store.transaction() as s:
        set_secret(s, box, "db_admin_password", "Plaintext0penSesame")
    with pytest.raises(UserError, match="HELMDECK_SECRET_KEY") as exc, store.transaction() as s:
        ensure_secrets(s, SecretBox(Fernet.generate_key()), [])
    assert "Plaintext0penSesame" not in str(exc.value)


def test_set_rotate_and_names(store: Store, box: SecretBox) -> None:
    with store.transaction() as s:
        set_secret(s, box, "db_admin_password", "first")
        set_secret(s, box, "db_admin_password", "second")
        assert ensure_secrets(s, box, [])["db_admin_password"] == "second"
        rotate_secret(s, box, "db_admin_password")
        rotated = ensure_secrets(s, box, [])["db_admin_password"]
        assert rotated != "second" and len(rotated) == 32
        assert secret_names(s) == ["db_admin_password"]
    with pytest.raises(NotFoundError, match="nope: no such secret"), store.transaction() as s:
        rotate_secret(s, box, "nope")
    with pytest.raises(UserError, match="empty value"), store.transaction() as s:
        set_secret(s, box, "db_admin_password", "")
    with pytest.raises(UserError, match="not a secret name"), store.transaction() as s:
        set_secret(s, box, "Bad Name", "x")


# --- user overrides ------------------------------------------------------------------------


def test_user_overrides_versions_and_revisions(store: Store) -> None:
    with store.transaction() as s:
        assert user_overrides.get_user_overrides(s, "nova", "openstack") == ({}, 0)
        assert (
            user_overrides.put_user_overrides(
                s, "nova", "openstack", {"a": 1}, actor="u", diff="+a"
            )
            == 1
        )
        assert (
            user_overrides.put_user_overrides(
                s, "nova", "openstack", {"a": 2}, actor="u", diff="~a"
            )
            == 2
        )
        user_overrides.put_user_overrides(
            s, "glance", "openstack", {"b": [1]}, actor="v", diff="+b"
        )
    with store.transaction() as s:
        assert user_overrides.get_user_overrides(s, "nova", "openstack") == ({"a": 2}, 2)
        assert user_overrides.list_user_overrides(s) == [
            ("glance", "openstack", {"b": [1]}, 1),
            ("nova", "openstack", {"a": 2}, 2),
        ]
        assert (
            user_overrides.put_user_overrides(s, "nova", "openstack", {}, actor="w", diff="-a") == 3
        )
    with store.transaction() as s:
        assert user_overrides.get_user_overrides(s, "nova", "openstack") == ({}, 3)
        assert [c for c, *_ in user_overrides.list_user_overrides(s)] == ["glance"]
        revs = user_overrides.list_revisions(s, "nova", "openstack")
        assert [(r.revision, r.actor, r.values, r.diff) for r in revs] == [
            (1, "u", {"a": 1}, "+a"),
            (2, "u", {"a": 2}, "~a"),
            (3, "w", {}, "-a"),
        ]
        assert revs[0].at.tzinfo is not None
        assert user_overrides.get_revision(s, "nova", "openstack", 2) == revs[1]
        with pytest.raises(NotFoundError):
            user_overrides.get_revision(s, "nova", "openstack", 9)


def test_returned_values_are_copies(store: Store) -> None:
    with store.transaction() as s:
        user_overrides.put_user_overrides(
            s, "nova", "openstack", {"a": {"b": 1}}, actor="u", diff=""
        )
        values, _ = user_overrides.get_user_overrides(s, "nova", "openstack")
        values["a"]["b"] = 99
    with store.transaction() as s:
        assert user_overrides.get_user_overrides(s, "nova", "openstack") == ({"a": {"b": 1}}, 1)


def test_concurrent_read_modify_write_loses_nothing(store: Store) -> None:
    def add_key(i: int) -> None:
        with store.transaction() as s:
            values, _ = user_overrides.lock_user_overrides(s, "nova", "openstack")
            values[f"k{i}"] = i
            user_overrides.put_user_overrides(
                s, "nova", "openstack", values, actor=f"t{i}", diff=""
            )

    errors = run_concurrently(add_key, 20)
    assert errors == []
    with store.transaction() as s:
        values, version = user_overrides.get_user_overrides(s, "nova", "openstack")
    assert values == {f"k{i}": i for i in range(20)}
    assert version == 20


# --- chart and release state, audit, tokens ------------------------------------------------


def test_chart_enabled(store: Store) -> None:
    with store.transaction() as s:
        chart_state.set_chart_enabled(s, "nova", "openstack", False)
        chart_state.set_chart_enabled(s, "glance", "openstack", True)
        chart_state.set_chart_enabled(s, "nova", "openstack", True)
    with store.transaction() as s:
        assert chart_state.chart_enabled(s) == {
            ("nova", "openstack"): True,
            ("glance", "openstack"): True,
        }


def test_release_state_record_replace_forget(store: Store) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    state = release_state.ReleaseState(
        "nova",
        "openstack",
        "nova",
        "2025.1.0",
        "sha256:aa",
        "deployed",
        1,
        at,
        manifest_digests={"Deployment/nova-api": "sha256:bb"},
    )
    with store.transaction() as s:
        release_state.record_release(s, state)
        release_state.record_release(
            s,
            release_state.ReleaseState(
                "nova",
                "openstack",
                "nova",
                "2025.1.0",
                "sha256:cc",
                "failed",
                2,
                at,
                error="boom",
            ),
        )
        release_state.record_release(
            s,
            release_state.ReleaseState(
                "glance",
                "openstack",
                "glance",
                "1",
                "h",
                "deployed",
                1,
                at,
            ),
        )
    with store.transaction() as s:
        states = release_state.release_states(s)
        assert states[("nova", "openstack")].status == "failed"
        assert states[("nova", "openstack")].error == "boom"
        assert states[("nova", "openstack")].manifest_digests == {}
        assert states[("glance", "openstack")].applied_at == at
        release_state.forget_release(s, "nova", "openstack")
    with store.transaction() as s:
        assert set(release_state.release_states(s)) == {("glance", "openstack")}


def test_audit_log_newest_first(store: Store) -> None:
    with store.transaction() as s:
        for i in range(3):
            audit.audit(s, actor="u", action=audit.AuditAction.SECRET_SET, target=f"s{i}")
    with store.transaction() as s:
        log = audit.audit_log(s, limit=2)
    assert [e.target for e in log] == ["s2", "s1"]
    assert log[0].at.tzinfo is not None


def test_audit_takes_only_the_vocabulary(store: Store) -> None:
    with store.transaction() as s, pytest.raises(TypeError, match="AuditAction"):
        audit.audit(s, actor="u", action="secret set", target="x")  # type: ignore[arg-type]
    assert all(a.value == a.value.lower() and "." in a.value and " " not in a.value
               for a in audit.AuditAction)


def test_tokens_store_only_hashes(store: Store) -> None:
    with store.transaction() as s:
        admin = tokens.create_token(s, "admin", "ci")
        reader = tokens.create_token(s, "reader", "dash")
        with pytest.raises(UserError):
            tokens.create_token(s, "root", "x")  # type: ignore[arg-type]
    with store.transaction() as s:
        info = tokens.token_info(s, admin)
        assert info is not None and (info.name, info.role) == ("ci", "admin")
        assert tokens.token_info(s, reader).role == "reader"  # type: ignore[union-attr]
        assert tokens.token_info(s, admin + "x") is None
        dump = str(s.execute(text("SELECT * FROM api_token")).all())
    assert admin not in dump and reader not in dump


@pytest.mark.parametrize("name", ["", "x" * 65, "x" * 252, "x" * 256, "a b", "ci/prod", "ü",
                                  "123"])
def test_token_names_are_bounded(store: Store, name: str) -> None:
    with store.transaction() as s, pytest.raises(UserError, match="token name"):
        tokens.create_token(s, "admin", name)


def test_longest_token_name_fits_the_audit_actor(store: Store) -> None:
    name = "n" * 64
    with store.transaction() as s:
        tokens.create_token(s, "admin", name)
        audit.audit(s, actor=f"api:{name}", action=audit.AuditAction.TOKEN_CREATE, target=name)
    assert len(f"api:{name}") <= AuditRow.__table__.c.actor.type.length  # type: ignore[attr-defined]


def test_revoked_and_expired_tokens_keep_their_row_but_not_their_use(store: Store) -> None:
    with store.transaction() as s:
        old = tokens.create_token(s, "admin", "old", expires_at=utcnow() - timedelta(seconds=1))
        live = tokens.create_token(s, "reader", "live", expires_at=utcnow() + timedelta(days=1))
        gone = tokens.create_token(s, "admin", "gone")
        tokens.revoke_token(s, tokens.token_info(s, gone).id)  # type: ignore[union-attr]
    now = utcnow()
    with store.transaction() as s:
        states = {t.name: t.state(now) for t in tokens.list_tokens(s)}
        assert tokens.token_info(s, old).state(now) == "expired"  # type: ignore[union-attr]
        assert tokens.token_info(s, live).state(now) == "active"  # type: ignore[union-attr]
    assert states == {"old": "expired", "live": "active", "gone": "revoked"}


def test_a_database_at_0002_upgrades_and_keeps_its_tokens(tmp_path: Any) -> None:
    from alembic import command

    from helmdeck.store.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.execute(text("INSERT INTO api_token (name, role, token_hash, created_at) "
                          "VALUES ('ci', 'admin', :h, '2025-01-01 00:00:00')"),
                     {"h": hashlib.sha256(b"hd_old").hexdigest()})
    engine.dispose()
    with open_store(url) as st, st.transaction() as s:
        info = tokens.token_info(s, "hd_old")
        assert info is not None and info.state(utcnow()) == "active"
        assert (info.expires_at, info.revoked_at) == (None, None)


# --- read-only transactions and the generation ----------------------------------------------


def test_read_only_transactions_take_no_write_lock(tmp_path: Any) -> None:
    """On SQLite a reader completes while a writer holds the lock (it used to queue behind)."""
    from helmdeck.store.db import is_readonly

    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        began: list[str] = []
        event.listen(
            store.engine,
            "before_cursor_execute",
            lambda _c, _cur, stmt, *_a: began.append(stmt) if "BEGIN" in stmt else None,
        )
        order: list[str] = []
        writing, read_done = threading.Event(), threading.Event()

        def writer() -> None:
            with store.transaction() as s:
                chart_state.set_chart_enabled(s, "nova", "openstack", False)
                writing.set()
                read_done.wait(30)
                order.append("writer released")

        thread = threading.Thread(target=writer)
        thread.start()
        writing.wait()
        with store.transaction(readonly=True) as s:
            assert is_readonly(s)
            assert chart_state.chart_enabled(s) == {}  # the writer has not committed yet
        with store.read_connection() as conn:
            assert conn.execute(text("SELECT count(*) FROM chart_state")).scalar() == 0
        order.append("reader done")
        read_done.set()
        thread.join()
    assert order == ["reader done", "writer released"]
    assert began == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN"]


def test_every_input_of_the_overrides_moves_the_generation(
    store: Store, box: SecretBox, make_site: MakeSite
) -> None:
    from helmdeck.store.generation import chart_key, current_generation

    def generation() -> int:
        with store.transaction(readonly=True) as s:
            return current_generation(s)

    changes: list[Callable[[Any], object]] = [
        lambda s: sites.save_site(s, make_site()),
        lambda s: chart_state.set_chart_enabled(s, "nova", "openstack", False),
        lambda s: ensure_secrets(s, box, ["nova_db_password"]),
        lambda s: set_secret(s, box, "nova_db_password", "x"),
        lambda s: rotate_secret(s, box, "nova_db_password"),
    ]
    for change in changes:
        before = generation()
        with store.transaction() as s:
            change(s)
        assert generation() == before + 1
    before = generation()
    with store.transaction() as s:
        ensure_secrets(s, box, ["nova_db_password"])  # exists: nothing written
        assert chart_key(s, "nova", "openstack") == (before, 0)
        user_overrides.put_user_overrides(s, "nova", "openstack", {"a": 1}, actor="t", diff="")
        # user overrides have their own version, so other charts' results stay valid
        assert chart_key(s, "nova", "openstack") == (before, 1)
    assert generation() == before
