"""Snapshot load time and statement count at 10, 200 and 2,000 hosts, SQLite and PostgreSQL.

The peer is the per-host access pattern that makes StarlingX's plugins slow at scale (one
query per host, as an ORM lazy-load would do), measured on the same database in the same
run; the ratio is peer time / helmdeck time.

    .venv/bin/python bench/bench_store.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from timing import timings

from helmdeck.site.model import Site
from helmdeck.store import Store, open_store, sites
from helmdeck.store.models import HostRow
from helmdeck.store.secrets import SecretBox, all_secrets, ensure_secrets

SIZES = (10, 200, 2000)
SECRETS = [f"service_{i}_password" for i in range(40)] + ["memcache_secret_key", "ceph_secret_uuid"]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def make_site(hosts: int) -> Site:
    host_list = [
        {
            "name": f"node-{i:05d}",
            "roles": ["controller"] if i < 3 else ["compute"],
            "zone": f"az{i % 3}",
            "labels": {"rack": f"r{i % 40}"},
            "taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
            if i % 50 == 7
            else [],
        }
        for i in range(hosts)
    ]
    doc = {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": "bench"},
        "spec": {"public_domain": "cloud.example.com", "hosts": host_list},
    }
    return Site.model_validate_json(json.dumps(doc))


def per_host_peer(store: Store, box: SecretBox) -> int:
    """Load the hosts one query each: the N+1 pattern helmdeck's snapshot avoids."""
    with store.transaction() as s:
        positions = s.scalars(select(HostRow.position).order_by(HostRow.position)).all()
        hosts = [s.get(HostRow, (1, p), populate_existing=True) for p in positions]
        sites.load_site(s)
        ensure_secrets(s, box, [])
    return len(hosts)


def snapshot(store: Store, box: SecretBox) -> int:
    with store.transaction() as s:
        site = sites.load_site(s)
        all_secrets(s, box)
    assert site is not None
    return len(site.spec.hosts)


def measure(store: Store, fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Median seconds over ``repeat`` runs, and statements per run."""
    count = 0

    def seen(*_: Any) -> None:
        nonlocal count
        count += 1

    fn()  # warm caches and the pool
    event.listen(store.engine, "before_cursor_execute", seen)
    times = timings(repeat, fn)
    event.remove(store.engine, "before_cursor_execute", seen)
    return statistics.median(times), count // repeat


def databases() -> Iterator[tuple[str, str]]:
    """SQLite in a temp dir, then a throwaway PostgreSQL database when one is reachable."""
    with tempfile.TemporaryDirectory() as tmp:
        yield "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"
    try:
        import psycopg

        admin = make_url(PG_ADMIN)
        conn = psycopg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            dbname=admin.database,
            autocommit=True,
            connect_timeout=3,
        )
    except Exception as exc:  # any failure means: no PostgreSQL to measure here
        print(f"postgresql: skipped ({exc})")
        return
    name = f"helmdeck_bench_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield "postgresql", admin.set(database=name).render_as_string(hide_password=False)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    box = SecretBox(Fernet.generate_key())
    header = (
        f"{'backend':<11}{'hosts':>6}{'save ms':>10}{'snapshot ms':>13}{'stmts':>7}"
        f"{'per-host ms':>13}{'stmts':>7}{'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for backend, url in databases():
        with open_store(url) as store:
            for hosts in SIZES:
                site = make_site(hosts)
                start = time.perf_counter()
                with store.transaction() as s:
                    sites.save_site(s, site)
                    ensure_secrets(s, box, SECRETS)
                save = time.perf_counter() - start
                ours, our_stmts = measure(store, lambda st=store: snapshot(st, box), args.repeat)
                peer, peer_stmts = measure(
                    store, lambda st=store: per_host_peer(st, box), args.repeat
                )
                print(
                    f"{backend:<11}{hosts:>6}{save * 1e3:>10.1f}{ours * 1e3:>13.2f}"
                    f"{our_stmts:>7}{peer * 1e3:>13.2f}{peer_stmts:>7}{peer / ours:>6.1f}x"
                )


if __name__ == "__main__":
    main()
