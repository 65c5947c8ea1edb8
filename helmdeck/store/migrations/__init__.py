"""Alembic migrations, run programmatically when a store is opened.

``SCHEMA_HEAD`` lets an up-to-date database be recognised with one query instead of loading
Alembic on every command; a test checks it names the newest revision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

SCHEMA_HEAD = "0004"


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at this directory (and at ``conn`` when given)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection) -> None:
    """Upgrade the database behind ``conn`` to head, inside the caller's transaction."""
    from alembic import command

    command.upgrade(alembic_config(conn), "head")
