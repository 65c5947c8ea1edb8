"""REST API load: requests/s and p50/p99 latency of GET and PATCH at 1, 10 and 50 clients.

A real ``helmdeck serve`` (SQLite in a temporary HELMDECK_HOME, the example site and charts)
is driven by a load generator in a second process (asyncio + httpx, one keep-alive
connection per client) over loopback. Each level is bounded by a request count and a time
limit. The peer is ``GET /v1/health`` at the same concurrency in the same run: the floor of
FastAPI + uvicorn on this machine, so ``ratio`` shows what helmdeck itself adds. The issue's
target is a GET p99 under 50 ms at 50 clients.

    .venv/bin/python bench/bench_api.py [--requests 2000] [--seconds 20] [--site FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (1, 10, 50)
TARGET_P99_MS = 50.0
CHART, NS = "keystone", "openstack"


# --- load generator (the second process) ---------------------------------------------------


async def _generate(base: str, token: str, op: str, clients: int, total: int,
                    seconds: float) -> dict[str, Any]:
    """Run ``clients`` closed-loop clients until ``total`` requests or ``seconds`` pass.

    Every client connects (one untimed request) before the clock starts, so the figures are
    the steady state rather than 50 simultaneous TCP handshakes.
    """
    import httpx

    latencies: list[float] = []
    errors = 0
    first_error = ""
    remaining = total
    connected = 0
    all_connected = asyncio.Event()
    go = asyncio.Event()
    deadline = 0.0
    headers = {"Authorization": f"Bearer {token}"}

    async def client(n: int) -> None:
        nonlocal remaining, errors, first_error, connected
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                     timeout=60) as http:
            await http.get("/v1/health")
            connected += 1
            if connected == clients:
                all_connected.set()
            await go.wait()
            i = 0
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                i += 1
                t0 = time.perf_counter()
                if op == "PATCH":
                    r = await http.patch(f"/v1/helm_charts/{CHART}", params={"namespace": NS},
                                         json={"values": {"set": [f"bench.c{n}={i}"]}})
                elif op == "GET":
                    r = await http.get(f"/v1/helm_charts/{CHART}", params={"namespace": NS})
                else:
                    r = await http.get("/v1/health")
                latencies.append(time.perf_counter() - t0)
                if not r.is_success:
                    errors += 1
                    first_error = first_error or f"{r.status_code} {r.text[:200]}"

    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    await all_connected.wait()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "op": op,
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "first_error": first_error,
    }


# --- orchestration -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELMDECK_")}
    env["HELMDECK_HOME"] = str(home)
    return env


def _prepare(home: Path, site_file: Path) -> str:
    """Import the site as an operator would, and return an admin token."""
    helmdeck = [sys.executable, "-m", "helmdeck"]
    subprocess.run([*helmdeck, "site", "import", str(site_file)], env=_env(home), check=True)
    out = subprocess.run([*helmdeck, "token", "create", "--role", "admin"], env=_env(home),
                         check=True, capture_output=True, text=True)
    return out.stdout.splitlines()[-1]


def _serve(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    import httpx

    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "helmdeck", "serve", "--port", str(port)],
                                env=_env(home), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).is_success:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"helmdeck serve did not start:\n{log.read_text()}")


def _run_level(base: str, token: str, op: str, clients: int, total: int,
               seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--generate", json.dumps([base, token, op, clients, total,
                                                             seconds])],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per level (bound)")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level (bound)")
    parser.add_argument("--site", type=Path, default=ROOT / "examples" / "site.yaml")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(asyncio.run(_generate(*json.loads(args.generate)))))
        return

    with tempfile.TemporaryDirectory(prefix="helmdeck-bench-") as tmp:
        home = Path(tmp) / "home"
        token = _prepare(home, args.site)
        port = _free_port()
        proc = _serve(home, port, Path(tmp) / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            _run_level(base, token, "GET", 1, 50, args.seconds)  # warm the caches
            rows = [
                _run_level(base, token, op, clients, args.requests, args.seconds)
                for op in ("health", "GET", "PATCH")
                for clients in LEVELS
            ]
        finally:
            proc.terminate()
            proc.wait()

    print(f"{'request':<8} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} "
          f"{'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['op']:<8} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} "
              f"{r['rps']:>8.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
        if r["first_error"]:
            print(f"    first error: {r['first_error']}")
    get50 = next(r for r in rows if r["op"] == "GET" and r["clients"] == 50)
    peer50 = next(r for r in rows if r["op"] == "health" and r["clients"] == 50)
    verdict = "meets" if get50["p99_ms"] < TARGET_P99_MS else "MISSES"
    print(f"\nGET p99 at 50 clients: {get50['p99_ms']:.1f} ms, {verdict} the "
          f"{TARGET_P99_MS:.0f} ms target (ratio {get50['p99_ms'] / TARGET_P99_MS:.2f}); "
          f"{get50['p99_ms'] / peer50['p99_ms']:.1f}x the p99 of GET /v1/health (peer)")


if __name__ == "__main__":
    main()
