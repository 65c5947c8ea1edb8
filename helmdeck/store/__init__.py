"""The store: the site, its secrets, user overrides, release state and audit log.

SQLite under ``HELMDECK_HOME`` by default, PostgreSQL for shared use; the record functions
live in ``helmdeck.store.repo`` and ``helmdeck.store.secrets``.
"""

from helmdeck.store.db import Store, open_store

__all__ = ["Store", "open_store"]
