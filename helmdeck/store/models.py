"""The database schema (SQLAlchemy 2 typed ORM).

Changing a model means adding an Alembic revision under ``migrations/versions``; the store
never calls ``create_all`` so the schema of a database is always a known revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend; SQLite would otherwise hand back naive times."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UtcDateTime}


class SiteRow(Base):
    """The one site of this database: its document without the hosts."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    doc: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GenerationRow(Base):
    """A counter bumped by every write to what all charts' overrides derive from.

    The site (and hosts), the secrets and the charts' enabled flags feed every chart's
    system overrides; one number that changes with any of them, in the writing transaction,
    lets a reader tell in one query whether a result it computed earlier is still exact.
    """

    __tablename__ = "generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class HostRow(Base):
    """One host; kept in its own table so large sites are one bulk insert and one select."""

    __tablename__ = "host"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(253))
    data: Mapped[dict[str, Any]]


class SecretRow(Base):
    __tablename__ = "secret"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserOverrideRow(Base):
    """The operator's overrides of one chart in one namespace; ``version`` counts writes."""

    __tablename__ = "user_override"

    chart: Mapped[str] = mapped_column(String(128), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    values: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=0)


class OverrideRevisionRow(Base):
    __tablename__ = "override_revision"

    chart: Mapped[str] = mapped_column(String(128), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]
    values: Mapped[dict[str, Any]]
    diff: Mapped[str] = mapped_column(Text)


class ChartStateRow(Base):
    __tablename__ = "chart_state"

    chart: Mapped[str] = mapped_column(String(128), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class ReleaseRow(Base):
    """What was last applied for a release, so ``plan`` can skip what has not changed."""

    __tablename__ = "release_state"

    release: Mapped[str] = mapped_column(String(53), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    chart: Mapped[str] = mapped_column(String(128))
    chart_version: Mapped[str] = mapped_column(String(64))
    values_hash: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime]
    error: Mapped[str | None] = mapped_column(Text)
    manifest_digests: Mapped[dict[str, Any]]


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")


class TokenRow(Base):
    """An API token; only its SHA-256 is kept, so a leaked database grants nothing."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class DeployLockRow(Base):
    """Who is changing the cluster right now: at most one ``apply``/``remove`` per site.

    A row, not an advisory lock, so it works the same on SQLite and PostgreSQL and a waiting
    operator can be told who holds it. ``heartbeat_at`` is refreshed while the holder runs;
    a row whose holder stopped renewing it (or whose process is gone) may be taken over.
    """

    __tablename__ = "deploy_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
