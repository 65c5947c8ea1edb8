"""``TokenService``: create, list and revoke API tokens, each change audited.

A token may carry an expiry; a revoked or expired token is refused by the next request to
any server on the store, because the API looks every presented token up (see ``api.auth``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from helmdeck.errors import NotFoundError, UserError
from helmdeck.store import Store
from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.tokens import Role, TokenInfo, create_token, list_tokens, revoke_token
from helmdeck.store.tokens import token_info as stored_token

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def expiry(expires_in: str | None, expires: str | None, now: datetime) -> datetime | None:
    """When a new token expires: ``expires_in`` (``90m``, ``12h``, ``30d``, ``2w``) from
    ``now``, or the ISO 8601 time ``expires`` (UTC unless it names a zone); None = never."""
    if expires_in is not None and expires is not None:
        raise UserError("--expires-in and --expires: give one of them, not both")
    if expires_in is not None:
        match = _DURATION.match(expires_in.strip())
        if match is None:
            raise UserError(f"--expires-in {expires_in}: not a duration; write e.g. 90m, 12h, "
                            "30d or 2w")
        return now + timedelta(**{_UNITS[match[2]]: int(match[1])})
    if expires is None:
        return None
    try:
        at = datetime.fromisoformat(expires)
    except ValueError:
        raise UserError(f"--expires {expires}: not an ISO 8601 time; write e.g. 2026-12-31 or "
                        "2026-12-31T18:00:00+01:00") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if at <= now:
        raise UserError(f"--expires {expires}: already past; give a time in the future")
    return at


class TokenService:
    """The API tokens of one store, changed as one actor (``cli:<user>``)."""

    def __init__(self, store: Store, *, actor: str) -> None:
        self.store = store
        self.actor = actor

    def create(
        self, role: Role, name: str, *, expires_at: datetime | None = None
    ) -> tuple[str, TokenInfo]:
        """A new token in plain text (shown this once) and what is stored about it."""
        with self.store.transaction() as s:
            plain = create_token(s, role, name, expires_at=expires_at)
            info = stored_token(s, plain)
            assert info is not None
            audit(s, actor=self.actor, action=AuditAction.TOKEN_CREATE, target=name,
                  detail=_detail(info))
        return plain, info

    def list(self) -> list[TokenInfo]:
        with self.store.transaction(readonly=True) as s:
            return list_tokens(s)

    def revoke(self, name_or_id: str) -> TokenInfo:
        """Revoke the unrevoked token with this id, or of this name (names never are digits)."""
        with self.store.transaction() as s:
            live = [t for t in list_tokens(s) if t.revoked_at is None]
            found = [t for t in live if (str(t.id) if name_or_id.isdigit() else t.name)
                     == name_or_id]
            if not found:
                raise NotFoundError(f"token {name_or_id}: no unrevoked token has this name or "
                                    "id; see helmdeck token list")
            if len(found) > 1:
                ids = ", ".join(str(t.id) for t in found)
                raise UserError(f"token {name_or_id}: {len(found)} tokens have this name (ids "
                                f"{ids}); revoke one by its id")
            token = found[0]
            revoke_token(s, token.id)
            audit(s, actor=self.actor, action=AuditAction.TOKEN_REVOKE, target=token.name,
                  detail=_detail(token))
        return token


def _detail(info: TokenInfo) -> str:
    expires = info.expires_at.isoformat(timespec="seconds") if info.expires_at else "never"
    return f"id {info.id}, role {info.role}, expires {expires}"

