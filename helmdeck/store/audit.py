"""The audit log: who did what to which target; never a secret value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck.store.models import (
    AuditRow,
)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def audit(s: Session, *, actor: str, action: str, target: str, detail: str = "") -> None:
    """Record who did what to which target; ``detail`` must never carry a secret value."""
    s.add(AuditRow(actor=actor, action=action, target=target, detail=detail))
    s.flush()


def audit_log(s: Session, limit: int = 100) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    rows = s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.detail) for r in rows]

