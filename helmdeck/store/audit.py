"""The audit log: who did what to which target; never a secret value.

Actions come from one closed vocabulary (``AuditAction``) so that a reader can filter the
log by action without knowing which command or route wrote it, and actors have one shape:
``cli:<user>`` for local commands, ``api:<token name>`` for the REST API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck.store.models import AuditRow


class AuditAction(StrEnum):
    """Every state change (and every reveal of a secret) helmdeck records, dotted lower-case."""

    SITE_IMPORT = "site.import"
    SITE_REVEAL = "site.reveal"
    SECRET_SET = "secret.set"
    SECRET_ROTATE = "secret.rotate"
    SECRET_REVEAL = "secret.reveal"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    OVERRIDES_UPDATE = "overrides.update"
    OVERRIDES_DELETE = "overrides.delete"
    OVERRIDES_ROLLBACK = "overrides.rollback"
    OVERRIDES_IMPORT = "overrides.import"
    CHART_ENABLE = "chart.enable"
    CHART_DISABLE = "chart.disable"
    RELEASE_APPLY = "release.apply"
    RELEASE_REAPPLY = "release.reapply"
    RELEASE_REMOVE = "release.remove"
    RELEASE_EXPORT = "release.export"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def audit(
    s: Session, *, actor: str, action: AuditAction, target: str, detail: str = ""
) -> None:
    """Record who did what to which target; ``detail`` must never carry a secret value."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit action {action!r}: use a helmdeck.store.audit.AuditAction")
    s.add(AuditRow(actor=actor, action=action.value, target=target, detail=detail))
    s.flush()


def audit_log(s: Session, limit: int = 100) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    rows = s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.detail) for r in rows]
