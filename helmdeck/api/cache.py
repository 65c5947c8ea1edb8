"""Rendered chart bodies (``GET /v1/helm_charts/{name}``), each kept with the key it is exact
for.

Computing a chart's overrides runs its plugin and dumps three YAML documents, far more than
serving them; the result changes only when the store's generation, the chart's user
override version or the chart's files do (``OverrideService.cache_key``). A GET reads that
key (one small query, a few file stats) and, when it equals the stored one, sends the stored
bytes. The key comes from the database, so a write through any server process is seen at
once by every other. Only redacted bodies are kept: a reveal is always computed afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

Slot = tuple[str, str, str]  # (chart, namespace, form of the body: plain, full or sysinv)

_MAX_SLOTS = 1024


class ShowCache:
    """One entry per (chart, namespace, form): the newest body computed and its key."""

    def __init__(self) -> None:
        self._entries: dict[Slot, tuple[Hashable, bytes, str]] = {}
        self._lock = threading.Lock()

    def lookup(self, slot: Slot, key: Hashable) -> tuple[bytes, str] | None:
        """``(body, etag)`` if the body stored for ``slot`` was computed at ``key``."""
        with self._lock:
            entry = self._entries.get(slot)
        if entry is None or entry[0] != key:
            return None
        return entry[1], entry[2]

    def store(self, slot: Slot, key: Hashable, body: bytes, etag: str) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_SLOTS and slot not in self._entries:
                self._entries.clear()
            self._entries[slot] = (key, body, etag)
