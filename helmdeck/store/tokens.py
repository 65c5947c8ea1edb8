"""API tokens: only a SHA-256 of each is kept, so a leaked database grants nothing.

A token is found by its hash through the table's unique index (one small query), so every
request sees a revocation or an expiry the moment it is committed, whichever server process
committed it. The hash is of a 256-bit random secret: looking it up by index reveals nothing
a timing attacker could use, since nobody can choose inputs that hash near a stored one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helmdeck.errors import UserError
from helmdeck.store.models import TokenRow, utcnow

Role = Literal["admin", "reader"]
ROLES: tuple[Role, ...] = ("admin", "reader")
# Bounded so the audit actor ``api:<name>`` always fits its column, on every backend.
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class TokenInfo:
    """A stored token without its secret: what ``token list`` shows and auth checks."""

    id: int
    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> Literal["active", "expired", "revoked"]:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def check_token_name(name: str) -> str:
    """Refuse names the audit log could not hold, a shell would mangle, or that read as an id
    (``token revoke`` takes either)."""
    if not _NAME.match(name) or name.isdigit():
        raise UserError(
            f"token name {name[:80]!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
            "not only digits"
        )
    return name


def create_token(s: Session, role: Role, name: str, *, expires_at: datetime | None = None) -> str:
    """A new token, returned in plain text this once; only its SHA-256 is stored."""
    if role not in ROLES:
        raise UserError(f"{role!r}: not a token role; use admin or reader")
    check_token_name(name)
    plain = "hd_" + secrets.token_urlsafe(32)
    s.add(TokenRow(name=name, role=role, token_hash=_token_hash(plain), expires_at=expires_at))
    s.flush()
    return plain


def token_info(s: Session, token: str) -> TokenInfo | None:
    """The stored token ``token`` is, whatever its state, or None when it is unknown."""
    row = s.scalar(select(TokenRow).where(TokenRow.token_hash == _token_hash(token)))
    return None if row is None else _info(row)


def list_tokens(s: Session) -> list[TokenInfo]:
    """Every token ever created (revoked ones too: the audit log names them), oldest first."""
    return [_info(r) for r in s.scalars(select(TokenRow).order_by(TokenRow.id))]


def revoke_token(s: Session, token_id: int) -> None:
    """Mark a token revoked now; it is refused from the next request on."""
    s.execute(update(TokenRow).where(TokenRow.id == token_id, TokenRow.revoked_at.is_(None))
              .values(revoked_at=utcnow()))


def _info(r: TokenRow) -> TokenInfo:
    return TokenInfo(r.id, r.name, r.role, r.created_at, r.expires_at, r.revoked_at)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
