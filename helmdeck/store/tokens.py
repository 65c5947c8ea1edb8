"""API tokens: only a SHA-256 of each is kept, so a leaked database grants nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck.errors import UserError
from helmdeck.store.models import (
    TokenRow,
)

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
