"""The store: the site, its secrets, user overrides, release state and audit log.

SQLite under ``HELMDECK_HOME`` by default, PostgreSQL for shared use; the record functions
live in one module per aggregate (``sites``, ``user_overrides``, ``chart_state``,
``release_state``, ``audit``, ``tokens``, ``secrets``).
"""

from helmdeck.store.db import Store, open_store

__all__ = ["Store", "open_store"]
