"""Reading and writing the store's records inside the caller's transaction.

Every function takes the ``Session`` of a ``Store.transaction()`` and never commits, so a
command composes several writes (the change and its audit entry) into one atomic change.
Values cross this boundary as plain dicts and frozen dataclasses, never as ORM rows, so no
caller can mutate stored state behind the session's back.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from helmdeck.errors import ConflictError, NotFoundError, UserError
from helmdeck.site.model import Site
from helmdeck.store.dml import dialect_insert
from helmdeck.store.generation import bump_generation
from helmdeck.store.models import (
    AuditRow,
    ChartStateRow,
    HostRow,
    OverrideRevisionRow,
    ReleaseRow,
    SiteRow,
    TokenRow,
    UserOverrideRow,
    utcnow,
)
from helmdeck.store.secrets import SecretBox, all_secrets

_SITE_ID = 1

# --- site ---------------------------------------------------------------------------------


def save_site(s: Session, site: Site) -> None:
    """Replace the database's one site and all its hosts."""
    doc = site.model_dump(mode="json")
    hosts = doc["spec"].pop("hosts")
    s.execute(delete(HostRow).where(HostRow.site_id == _SITE_ID))
    row = s.get(SiteRow, _SITE_ID)
    if row is None:
        s.add(SiteRow(id=_SITE_ID, name=site.metadata.name, doc=doc))
    else:
        row.name, row.doc, row.updated_at = site.metadata.name, doc, utcnow()
    s.flush()
    s.execute(
        insert(HostRow),
        [
            {"site_id": _SITE_ID, "position": i, "name": h["name"], "data": h}
            for i, h in enumerate(hosts)
        ],
    )
    bump_generation(s)


def load_site(s: Session) -> Site | None:
    """The stored site (two queries whatever the host count), or None before an import."""
    doc = s.scalar(select(SiteRow.doc).where(SiteRow.id == _SITE_ID))
    if doc is None:
        return None
    hosts = s.scalars(
        select(HostRow.data).where(HostRow.site_id == _SITE_ID).order_by(HostRow.position)
    ).all()
    full = copy.deepcopy(doc)
    full["spec"]["hosts"] = hosts
    return Site.model_validate_json(json.dumps(full))


def load_snapshot(s: Session, box: SecretBox) -> tuple[Site, dict[str, str]]:
    """The site and every decrypted secret in three queries, whatever the host count."""
    site = load_site(s)
    if site is None:
        raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
    return site, all_secrets(s, box)


# --- user overrides ------------------------------------------------------------------------


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
    return copy.deepcopy(row.values), row.version


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
    return copy.deepcopy(row.values), row.version


def put_user_overrides(
    s: Session,
    chart: str,
    ns: str,
    values: dict[str, Any],
    *,
    actor: str,
    diff: str,
    expected_version: int | None = None,
) -> int:
    """Store new overrides and their revision; returns the new version.

    The version is bumped by the database in one upsert, so even unlocked concurrent writers
    get distinct versions. With ``expected_version`` a writer that read a stale version is
    refused (ConflictError -> 409) instead of overwriting a change it never saw.
    """
    version = _bump(s, chart, ns, values)
    if expected_version is not None and version != expected_version + 1:
        raise ConflictError(
            f"{chart} {ns}: user overrides changed since version {expected_version} "
            f"(now {version - 1}); read them again and retry"
        )
    s.add(
        OverrideRevisionRow(
            chart=chart,
            namespace=ns,
            revision=version,
            actor=actor,
            at=utcnow(),
            values=copy.deepcopy(values),
            diff=diff,
        )
    )
    s.flush()
    return version


def delete_user_overrides(s: Session, chart: str, ns: str, *, actor: str, diff: str) -> int:
    """Clear the overrides, keeping the history: a new revision with empty values."""
    return put_user_overrides(s, chart, ns, {}, actor=actor, diff=diff)


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
    return [(c, n, copy.deepcopy(v), ver) for c, n, v, ver in rows if v]


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
        chart=chart, namespace=ns, values=copy.deepcopy(values), version=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["chart", "namespace"],
        set_={"values": stmt.excluded["values"], "version": UserOverrideRow.version + 1},
    ).returning(UserOverrideRow.version)
    version: int = s.execute(stmt).scalar_one()
    return version


def _revision(r: OverrideRevisionRow) -> Revision:
    return Revision(r.revision, r.actor, r.at, copy.deepcopy(r.values), r.diff)


# --- chart state ---------------------------------------------------------------------------


def set_chart_enabled(s: Session, chart: str, ns: str, enabled: bool) -> None:
    stmt = dialect_insert(s, ChartStateRow).values(chart=chart, namespace=ns, enabled=enabled)
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["chart", "namespace"], set_={"enabled": enabled}
        )
    )
    bump_generation(s)


def chart_enabled(s: Session) -> dict[tuple[str, str], bool]:
    """Explicit enable/disable decisions; charts absent here follow the site's defaults."""
    rows = s.execute(select(ChartStateRow.chart, ChartStateRow.namespace, ChartStateRow.enabled))
    return {(c, n): e for c, n, e in rows}


# --- applied release state -----------------------------------------------------------------


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


# --- audit ---------------------------------------------------------------------------------


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


# --- API tokens ----------------------------------------------------------------------------

Role = Literal["admin", "reader"]


def create_token(s: Session, role: Role, name: str) -> str:
    """A new token, returned in plain text this once; only its SHA-256 is stored."""
    if role not in ("admin", "reader"):
        raise UserError(f"{role!r}: not a token role; use admin or reader")
    plain = "hd_" + secrets.token_urlsafe(32)
    s.add(TokenRow(name=name, role=role, token_hash=_token_hash(plain)))
    s.flush()
    return plain


def token_info(s: Session, token: str) -> tuple[str, str] | None:
    """``(name, role)`` of ``token``, or None; every stored hash is compared in constant time."""
    wanted = _token_hash(token)
    found = None
    for name, token_hash, role in s.execute(
        select(TokenRow.name, TokenRow.token_hash, TokenRow.role)
    ):
        if hmac.compare_digest(token_hash, wanted):
            found = (name, role)
    return found


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
