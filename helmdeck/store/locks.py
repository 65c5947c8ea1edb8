"""Named locks held as rows: who holds one, taking it, renewing it, taking over a stale one.

Each function is one statement (or a read and a compare-and-set) in the caller's
transaction. Taking a lock is an ``INSERT ... ON CONFLICT DO NOTHING``: of two operators
racing on one database exactly one row wins, on SQLite and PostgreSQL alike; taking over a
stale lock is an ``UPDATE`` guarded by the old holder's token, so two operators who both see
the same stale holder cannot both take over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from helmdeck.store.dml import dialect_insert
from helmdeck.store.models import DeployLockRow


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or wants) a lock; ``token`` is unique to one holding."""

    token: str
    actor: str
    host: str
    pid: int
    since: datetime
    heartbeat_at: datetime


def _holder(row: DeployLockRow) -> LockHolder:
    return LockHolder(row.token, row.actor, row.host, row.pid, row.since, row.heartbeat_at)


def lock_holder(s: Session, name: str) -> LockHolder | None:
    row = s.get(DeployLockRow, name, populate_existing=True)
    return _holder(row) if row is not None else None


def try_lock(s: Session, name: str, me: LockHolder) -> LockHolder:
    """Take ``name`` for ``me`` unless held; the holder afterwards (``me`` when taken)."""
    stmt = dialect_insert(s, DeployLockRow).values(
        name=name, token=me.token, actor=me.actor, host=me.host, pid=me.pid, since=me.since,
        heartbeat_at=me.heartbeat_at,
    )
    s.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    row = s.scalars(
        select(DeployLockRow).where(DeployLockRow.name == name).execution_options(
            populate_existing=True)
    ).one()
    return _holder(row)


def take_over(s: Session, name: str, stale: LockHolder, me: LockHolder) -> bool:
    """Replace the stale holding ``stale`` by ``me``; False when someone else got there first."""
    result = s.execute(
        update(DeployLockRow)
        .where(DeployLockRow.name == name, DeployLockRow.token == stale.token)
        .values(token=me.token, actor=me.actor, host=me.host, pid=me.pid, since=me.since,
                heartbeat_at=me.heartbeat_at)
    )
    return bool(getattr(result, "rowcount", 0))


def renew(s: Session, name: str, token: str, at: datetime) -> bool:
    """Refresh the holder's heartbeat; False when the lock is no longer this holding's."""
    result = s.execute(
        update(DeployLockRow)
        .where(DeployLockRow.name == name, DeployLockRow.token == token)
        .values(heartbeat_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


def unlock(s: Session, name: str, token: str) -> None:
    """Release the lock if this holding still has it (a taken-over lock is not touched)."""
    s.execute(delete(DeployLockRow).where(DeployLockRow.name == name,
                                          DeployLockRow.token == token))
