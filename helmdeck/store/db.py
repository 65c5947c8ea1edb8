"""Opening the store: one engine per URL, one transaction per change, schema at head.

SQLite is the embedded default, so it is tuned for several helmdeck processes on one host:
WAL lets readers run beside a writer, and every writing transaction starts with
``BEGIN IMMEDIATE`` so a read-modify-write (lock overrides, add a key, put) holds the write
lock from its first read; otherwise two writers would both read version n and one update
would be lost. Read-only transactions start with a plain ``BEGIN``: WAL gives them a
consistent snapshot without the write lock, so readers never queue behind writers.
PostgreSQL needs none of this: its writers lock rows explicitly (see ``repo``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from helmdeck import config
from helmdeck.errors import UserError
from helmdeck.fileio import PRIVATE
from helmdeck.store.migrations import SCHEMA_HEAD, upgrade

_BUSY_TIMEOUT_S = 60
_READONLY = "helmdeck_readonly"


class Store:
    """A database holding one site, its secrets, overrides, release state and audit log."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{_READONLY: True})
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        ``readonly`` promises not to write: on SQLite it then takes no write lock. Code that
        may have to write (generating a missing secret) checks ``is_readonly`` and asks its
        caller to retry in a writing transaction.
        """
        sessions = self._read_sessions if readonly else self._sessions
        with sessions() as session, session.begin():
            session.info[_READONLY] = readonly
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read-only transaction on a bare connection, for hot paths of a query or two.

        The ORM session costs several times the query itself; a version probe needs none
        of it. Same guarantees as ``transaction(readonly=True)``.
        """
        with self._read_engine.connect() as conn, conn.begin():
            yield conn

    def migrate(self) -> None:
        """Bring the schema to head; a no-op (one query) when it already is."""
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two servers starting on a fresh database must not both create tables.
                conn.execute(text("SELECT pg_advisory_xact_lock(7340218)"))
            if _current_revision(conn) == SCHEMA_HEAD:
                return

            upgrade(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_readonly(s: Session) -> bool:
    """Whether ``s`` belongs to a ``transaction(readonly=True)``."""
    return bool(s.info.get(_READONLY))


def open_store(url: str | None = None) -> Store:
    """The store at ``url`` (default: the configured one), migrated to the current schema."""
    setting = "HELMDECK_DATABASE_URL"
    if url is None:
        url = config.database_url()
        setting = config.database_setting()
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        store = Store(url)
    except OSError as exc:
        raise UserError(f"{shown}: cannot create the database ({exc.strerror}); check "
                        f"{setting}") from None
    try:
        store.migrate()
    except OperationalError as exc:
        store.close()
        raise UserError(
            f"{shown}: cannot open the database ({' '.join(str(exc.orig).split())}); "
            f"check {setting}"
        ) from None
    except BaseException:
        store.close()
        raise
    return store


def _current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        _private_database_files(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _private_database_files(db: Path) -> None:
    """Create the SQLite file 0600 before SQLite does, and tighten older files of ours.

    SQLite creates its ``-wal`` and ``-shm`` files with the database file's mode, so a
    private database file keeps all three private; without this they are 0644 and anyone
    on the host can copy the inventory, the overrides and the audit log.
    """
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(db, os.O_RDWR | os.O_CREAT, PRIVATE))
    for path in (db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, PRIVATE)
