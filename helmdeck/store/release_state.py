"""What the last apply did to each release, so ``plan`` can skip what has not changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from helmdeck.store.dml import dialect_insert
from helmdeck.store.models import (
    ReleaseRow,
)


@dataclass
class ReleaseState:
    """What the last apply of a release did, as ``plan`` compares against."""

    release: str
    namespace: str
    chart: str
    chart_version: str
    values_hash: str
    status: str
    revision: int
    applied_at: datetime
    error: str | None = None
    manifest_digests: dict[str, str] = field(default_factory=dict)


def release_states(s: Session) -> dict[tuple[str, str], ReleaseState]:
    return {
        (r.release, r.namespace): ReleaseState(
            release=r.release,
            namespace=r.namespace,
            chart=r.chart,
            chart_version=r.chart_version,
            values_hash=r.values_hash,
            status=r.status,
            revision=r.revision,
            applied_at=r.applied_at,
            error=r.error,
            manifest_digests=dict(r.manifest_digests),
        )
        for r in s.scalars(select(ReleaseRow))
    }


def record_release(s: Session, state: ReleaseState) -> None:
    """Insert or replace the state of ``(state.release, state.namespace)``."""
    fields = {
        "chart": state.chart,
        "chart_version": state.chart_version,
        "values_hash": state.values_hash,
        "status": state.status,
        "revision": state.revision,
        "applied_at": state.applied_at,
        "error": state.error,
        "manifest_digests": dict(state.manifest_digests),
    }
    stmt = dialect_insert(s, ReleaseRow).values(
        release=state.release, namespace=state.namespace, **fields
    )
    s.execute(stmt.on_conflict_do_update(index_elements=["release", "namespace"], set_=fields))


def forget_release(s: Session, release: str, ns: str) -> None:
    s.execute(delete(ReleaseRow).where(ReleaseRow.release == release, ReleaseRow.namespace == ns))

