"""Dialect-specific ``INSERT ... ON CONFLICT``, the one statement SQLite and PostgreSQL share
in meaning but not in SQLAlchemy class: upserts let concurrent writers agree without a
read-then-insert race."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(s: Session, model: type[Any]) -> Any:
    """``insert(model)`` of the session's dialect, with ``on_conflict_do_*`` available."""

    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
