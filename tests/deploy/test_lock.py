"""The deploy lock on SQLite and PostgreSQL: one holder, the second waits or is refused with
the holder named, stale holders are taken over, and racing takers never both win."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from support import run_concurrently

from helmdeck.deploy.lock import DEPLOY_LOCK, DeployLock
from helmdeck.errors import ConflictError
from helmdeck.store import Store, open_store
from helmdeck.store.locks import LockHolder, lock_holder, try_lock


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = open_store(db_url)
    yield st
    st.close()


def test_second_deploy_is_refused_with_one_line_naming_the_holder(store: Store) -> None:
    with DeployLock(store, "cli:ann", what="apply"), pytest.raises(ConflictError) as exc:
        DeployLock(store, "cli:bob", what="apply", wait=0.3).acquire()
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith("apply: the site is locked by another deploy: cli:ann on host ")
    assert f"host {socket.gethostname()}, pid {os.getpid()}, since " in text
    assert "UTC (last seen" in text
    # Released on exit: the next one gets it at once.
    with DeployLock(store, "cli:bob", wait=0):
        pass
    with store.transaction() as s:
        assert lock_holder(s, DEPLOY_LOCK) is None


def test_second_deploy_waits_for_the_first_to_finish(store: Store) -> None:
    first = DeployLock(store, "cli:ann")
    first.acquire()
    waited: list[str] = []
    got = threading.Event()

    def second() -> None:
        with DeployLock(store, "cli:bob", wait=30, on_wait=waited.append):
            got.set()

    t = threading.Thread(target=second)
    t.start()
    while not waited:  # it is waiting, and said so once
        t.join(0.05)
    assert not got.is_set()
    first.release()
    t.join(30)
    assert got.is_set()
    assert len(waited) == 1 and waited[0].startswith("waiting for the deploy lock held by cli:ann")


def test_a_lock_whose_holder_is_gone_is_taken_over(store: Store) -> None:
    now = datetime.now(UTC)
    # A holder on this host whose process no longer exists (a killed apply) ...
    dead = LockHolder("dead", "cli:ann", socket.gethostname(), _dead_pid(), now, now)
    with store.transaction() as s:
        try_lock(s, DEPLOY_LOCK, dead)
    with DeployLock(store, "cli:bob", wait=0) as lock:
        with store.transaction() as s:
            holder = lock_holder(s, DEPLOY_LOCK)
        assert holder is not None and holder.token == lock.me.token
    # ... and a holder elsewhere that stopped renewing its heartbeat.
    old = now - timedelta(seconds=120)
    silent = LockHolder("silent", "cli:ann", "other-host", 1, old, old)
    with store.transaction() as s:
        try_lock(s, DEPLOY_LOCK, silent)
    with pytest.raises(ConflictError):
        DeployLock(store, "cli:bob", wait=0, stale_after=600).acquire()
    with DeployLock(store, "cli:bob", wait=0, stale_after=60):
        pass
    # A live holder elsewhere whose heartbeat is fresh is never taken over.
    fresh = LockHolder("fresh", "cli:ann", "other-host", 1, now, datetime.now(UTC))
    with store.transaction() as s:
        try_lock(s, DEPLOY_LOCK, fresh)
    with pytest.raises(ConflictError, match="cli:ann on host other-host, pid 1"):
        DeployLock(store, "cli:bob", wait=0).acquire()


def test_the_holder_renews_its_heartbeat(store: Store) -> None:
    with DeployLock(store, "cli:ann", heartbeat=0.05) as lock:
        first = lock.me.heartbeat_at
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while datetime.now(UTC) < deadline:
            with store.transaction() as s:
                holder = lock_holder(s, DEPLOY_LOCK)
            assert holder is not None
            if holder.heartbeat_at > first:
                break
        else:
            pytest.fail("heartbeat never renewed")


def test_racing_deploys_exactly_one_wins(store: Store) -> None:
    won: list[int] = []
    refused: list[int] = []
    hold = threading.Event()

    def take(i: int) -> None:
        try:
            lock = DeployLock(store, f"cli:u{i}", wait=0)
            lock.acquire()
        except ConflictError:
            refused.append(i)
            return
        won.append(i)
        hold.wait(10)
        lock.release()

    def release_later() -> None:
        while len(won) + len(refused) < 8:
            threading.Event().wait(0.01)
        hold.set()

    watcher = threading.Thread(target=release_later)
    watcher.start()
    errors = run_concurrently(take, 8)
    watcher.join()
    assert errors == []
    assert len(won) == 1 and len(refused) == 7


def _dead_pid() -> int:
    """A PID no process has: a child that has exited and been reaped."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
