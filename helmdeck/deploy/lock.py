"""One deploy at a time per site: ``apply`` and ``remove`` hold a lock row in the store.

Helm corrupts a release's history when two actions write it at once, and two operators
applying one site would each upgrade every changed release. The lock is a row of the shared
database (SQLite or PostgreSQL), so it holds across processes and machines. A second deploy
waits a little (a colleague's apply may be finishing) and is then refused with one line
naming the holder. The holder renews a heartbeat while it runs; a lock whose holder stopped
(its process is gone on this host, or its heartbeat is older than ``stale_after``) is taken
over, so a killed apply never blocks the site for good.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType

from helmdeck.errors import ConflictError
from helmdeck.store import Store
from helmdeck.store.locks import LockHolder, lock_holder, renew, take_over, try_lock, unlock

DEPLOY_LOCK = "deploy"
WAIT_S = 10.0  # how long a second deploy waits before it is refused
STALE_AFTER_S = 60.0  # a holder silent this long is taken to be gone
HEARTBEAT_S = 10.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def describe(holder: LockHolder, now: datetime) -> str:
    """``cli:ann on host h, pid 42, since 2026-01-02 10:00:00 UTC (last seen 3s ago)``."""
    since = holder.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    seen = max(0, int((now - holder.heartbeat_at).total_seconds()))
    return (f"{holder.actor} on host {holder.host}, pid {holder.pid}, since {since} "
            f"(last seen {seen}s ago)")


class DeployLock:
    """``with DeployLock(store, actor, what="apply"):`` holds the site's deploy lock."""

    def __init__(
        self,
        store: Store,
        actor: str,
        *,
        what: str = "apply",
        wait: float = WAIT_S,
        stale_after: float = STALE_AFTER_S,
        heartbeat: float = HEARTBEAT_S,
        on_wait: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.what = what
        self.wait = wait
        self.stale_after = timedelta(seconds=stale_after)
        self.heartbeat = heartbeat
        self.on_wait = on_wait
        self.clock = clock
        self.host = socket.gethostname()
        self.me = LockHolder(token=uuid.uuid4().hex, actor=actor, host=self.host,
                             pid=os.getpid(), since=clock(), heartbeat_at=clock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def stale(self, holder: LockHolder, now: datetime) -> bool:
        """The holder has stopped: its process is gone (same host), or it went silent."""
        if holder.host == self.host and not _alive(holder.pid):
            return True
        return now - holder.heartbeat_at > self.stale_after

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            now = self.clock()
            me = LockHolder(self.me.token, self.me.actor, self.host, self.me.pid, now, now)
            with self.store.transaction() as s:
                holder = try_lock(s, DEPLOY_LOCK, me)
                if holder.token == me.token:
                    self.me = me
                    break
                if self.stale(holder, now) and take_over(s, DEPLOY_LOCK, holder, me):
                    self.me = me
                    break
            if time.monotonic() >= deadline:
                raise ConflictError(
                    f"{self.what}: the site is locked by another deploy: "
                    f"{describe(holder, now)}; wait for it to finish, or if it was killed, run "
                    f"again: a holder silent for {self.stale_after.total_seconds():.0f}s is "
                    "taken over"
                )
            if not told and self.on_wait is not None:
                self.on_wait(f"waiting for the deploy lock held by {describe(holder, now)}")
                told = True
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        self._thread = threading.Thread(target=self._beat, name="helmdeck-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                with self.store.transaction() as s:
                    if not renew(s, DEPLOY_LOCK, self.me.token, self.clock()):
                        return
            except Exception:  # a database hiccup: the next beat tries again
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.store.transaction() as s:
            unlock(s, DEPLOY_LOCK, self.me.token)

    def holder(self) -> LockHolder | None:
        with self.store.transaction(readonly=True) as s:
            return lock_holder(s, DEPLOY_LOCK)

    def __enter__(self) -> DeployLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
