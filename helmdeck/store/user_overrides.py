"""User overrides of each chart and their revisions (who, when, full values, redacted diff).

The version is bumped by the database in one upsert, and writers lock the row from read to
write (``lock_user_overrides``), so concurrent updates never lose one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck.errors import NotFoundError
from helmdeck.store.dml import dialect_insert
from helmdeck.store.models import (
    OverrideRevisionRow,
    UserOverrideRow,
    utcnow,
)
from helmdeck.values import tree


@dataclass(frozen=True)
class Revision:
    """One write of a chart's user overrides: who, when, the full values and the diff."""

    revision: int
    actor: str
    at: datetime
    values: dict[str, Any]
    diff: str


def get_user_overrides(s: Session, chart: str, ns: str) -> tuple[dict[str, Any], int]:
    """The overrides and their version; ``({}, 0)`` when never set."""
    row = s.execute(
        select(UserOverrideRow.values, UserOverrideRow.version).where(
            UserOverrideRow.chart == chart, UserOverrideRow.namespace == ns
        )
    ).first()
    if row is None:
        return {}, 0
    return tree.copy(row.values), row.version


def lock_user_overrides(s: Session, chart: str, ns: str) -> tuple[dict[str, Any], int]:
    """Like ``get_user_overrides``, but no other writer can change them until we commit.

    PostgreSQL needs a row to lock, so an empty version-0 row is created first (a no-op if
    one exists, and the insert itself waits for a concurrent creator). SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers, and ``FOR UPDATE`` is ignored there.
    """
    s.execute(
        dialect_insert(s, UserOverrideRow)
        .values(chart=chart, namespace=ns, values={}, version=0)
        .on_conflict_do_nothing(index_elements=["chart", "namespace"])
    )
    row = s.execute(
        select(UserOverrideRow.values, UserOverrideRow.version)
        .where(UserOverrideRow.chart == chart, UserOverrideRow.namespace == ns)
        .with_for_update()
    ).one()
    return tree.copy(row.values), row.version


def put_user_overrides(
    s: Session,
    chart: str,
    ns: str,
    values: dict[str, Any],
    *,
    actor: str,
    diff: str,
) -> int:
    """Store new overrides and their revision; returns the new version.

    The version is bumped by the database in one upsert, so even unlocked concurrent writers
    get distinct versions; writers that must not lose a change lock first
    (``lock_user_overrides``) and compare versions themselves.
    """
    version = _bump(s, chart, ns, values)
    s.add(
        OverrideRevisionRow(
            chart=chart,
            namespace=ns,
            revision=version,
            actor=actor,
            at=utcnow(),
            values=tree.copy(values),
            diff=diff,
        )
    )
    s.flush()
    return version


def list_user_overrides(s: Session) -> list[tuple[str, str, dict[str, Any], int]]:
    """(chart, namespace, values, version) of every chart that has non-empty overrides."""
    rows = s.execute(
        select(
            UserOverrideRow.chart,
            UserOverrideRow.namespace,
            UserOverrideRow.values,
            UserOverrideRow.version,
        ).order_by(UserOverrideRow.chart, UserOverrideRow.namespace)
    )
    return [(c, n, tree.copy(v), ver) for c, n, v, ver in rows if v]


def list_revisions(s: Session, chart: str, ns: str) -> list[Revision]:
    rows = s.scalars(
        select(OverrideRevisionRow)
        .where(OverrideRevisionRow.chart == chart, OverrideRevisionRow.namespace == ns)
        .order_by(OverrideRevisionRow.revision)
    )
    return [_revision(r) for r in rows]


def get_revision(s: Session, chart: str, ns: str, n: int) -> Revision:
    row = s.get(OverrideRevisionRow, (chart, ns, n))
    if row is None:
        raise NotFoundError(f"{chart} {ns}: no revision {n} of the user overrides")
    return _revision(row)


def _bump(s: Session, chart: str, ns: str, values: dict[str, Any]) -> int:
    stmt = dialect_insert(s, UserOverrideRow).values(
        chart=chart, namespace=ns, values=tree.copy(values), version=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["chart", "namespace"],
        set_={"values": stmt.excluded["values"], "version": UserOverrideRow.version + 1},
    ).returning(UserOverrideRow.version)
    version: int = s.execute(stmt).scalar_one()
    return version


def _revision(r: OverrideRevisionRow) -> Revision:
    return Revision(r.revision, r.actor, r.at, tree.copy(r.values), r.diff)

