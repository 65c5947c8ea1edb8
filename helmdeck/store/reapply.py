"""Reapply marks: a chart, or the whole application, asked to be applied again.

StarlingX's ``helm-override-update --reapply`` (``--reapply-all``) asks for the next apply to
run even where nothing changed. A mark is an audit entry (action ``release.reapply``, target
``chart@namespace`` or ``application:NAME``), so it is visible in the audit log with who asked
and when, and needs no state of its own: a mark is pending for a release while the release's
last apply is older than the mark, and spent as soon as an apply records the release again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.models import AuditRow

APPLICATION_PREFIX = "application:"


@dataclass(frozen=True)
class ReapplyMark:
    """Who asked for a reapply of ``target`` and when (the newest request counts)."""

    target: str
    at: datetime
    actor: str


def chart_target(chart: str, namespace: str) -> str:
    return f"{chart}@{namespace}"


def application_target(application: str) -> str:
    return f"{APPLICATION_PREFIX}{application}"


def mark_reapply(s: Session, target: str, *, actor: str, detail: str = "") -> None:
    """Ask the next apply to apply ``target`` (``chart_target`` or ``application_target``)."""
    audit(s, actor=actor, action=AuditAction.RELEASE_REAPPLY, target=target, detail=detail)


@dataclass(frozen=True)
class ReapplyMarks:
    """The newest mark of every target, as ``plan`` reads them."""

    marks: dict[str, ReapplyMark]

    def pending(self, application: str, chart: str, namespace: str,
                applied_at: datetime | None) -> ReapplyMark | None:
        """The mark that makes this release change, or None: the newest of the chart's own
        and the application's, if it is newer than the release's last apply (``None``:
        never applied, which installs anyway)."""
        found = [m for m in (self.marks.get(chart_target(chart, namespace)),
                             self.marks.get(application_target(application))) if m is not None]
        if not found:
            return None
        newest = max(found, key=lambda m: m.at)
        if applied_at is not None and applied_at >= newest.at:
            return None
        return newest


def reapply_marks(s: Session, since: datetime | None = None) -> ReapplyMarks:
    """The newest reapply mark per target (only those after ``since``, when given: pass the
    oldest ``applied_at`` of the recorded releases to read just the recent audit entries)."""
    newest = (
        select(AuditRow.target, func.max(AuditRow.id).label("id"))
        .where(AuditRow.action == AuditAction.RELEASE_REAPPLY.value)
        .group_by(AuditRow.target)
    )
    if since is not None:
        newest = newest.where(AuditRow.at > since)
    ids = newest.subquery()
    rows = s.execute(
        select(AuditRow.target, AuditRow.at, AuditRow.actor).join(ids, AuditRow.id == ids.c.id)
    )
    return ReapplyMarks({t: ReapplyMark(t, at, actor) for t, at, actor in rows})
