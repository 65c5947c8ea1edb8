"""Reliability and security against a REAL ``helmdeck serve`` process on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from api_support import NS, Deployment, Server, generated_secrets

URL = "/v1/helm_charts/keystone"
WRITERS = 50


def _user_overrides(server: Server, token: str) -> tuple[str, str]:
    with server.client(token) as http:
        r = http.get(URL, params={"namespace": NS})
    assert r.status_code == 200, r.text
    return r.json()["user_overrides"], r.headers["ETag"]


def test_concurrent_writers_all_land(
    db_url: str, deployment: Deployment, serve: Callable[[], Server]
) -> None:
    server = serve()
    start = threading.Barrier(WRITERS)

    def write(i: int) -> int:
        with server.client(deployment.admin) as http:
            start.wait()
            r = http.patch(URL, params={"namespace": NS},
                           json={"flag": "reuse", "values": {"set": [f"writers.w{i}={i}"]}})
        return r.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = list(pool.map(write, range(WRITERS)))
    assert statuses == [200] * WRITERS
    text, etag = _user_overrides(server, deployment.reader)
    for i in range(WRITERS):
        assert f"  w{i}: {i}\n" in text
    assert etag == f'"{WRITERS}"'


def test_sigkill_mid_burst_keeps_every_acknowledged_update(
    db_url: str, deployment: Deployment, serve: Callable[[], Server]
) -> None:
    server = serve()
    acked: list[str] = []
    enough = threading.Event()
    lock = threading.Lock()

    def burst(worker: int) -> None:
        with server.client(deployment.admin) as http:
            for n in range(10_000):
                key = f"k{worker}_{n}"
                try:
                    r = http.patch(URL, params={"namespace": NS},
                                   json={"flag": "reuse", "values": {"set": [f"burst.{key}=1"]}})
                except httpx.TransportError:
                    return
                if r.is_success:
                    with lock:
                        acked.append(key)
                        if len(acked) >= 30:
                            enough.set()

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    assert enough.wait(timeout=300), "the burst never got going"
    server.kill()
    for t in threads:
        t.join()

    from helmdeck.store import open_store, user_overrides

    with open_store(deployment.url) as store, store.transaction() as s:
        if store.dialect == "sqlite":
            from sqlalchemy import text

            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored, version = user_overrides.get_user_overrides(s, "keystone", NS)
        assert len(user_overrides.list_revisions(s, "keystone", NS)) == version
    missing = [k for k in acked if k not in stored["burst"]]
    assert not missing
    text, _ = _user_overrides(serve(), deployment.reader)
    assert all(f"  {k}: 1\n" in text for k in acked)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def _corpus(dep: Deployment) -> list[tuple[str, str, str, dict[str, object], int, str]]:
    """(label, method, token, request kwargs, status, text the detail must contain)."""
    q = {"namespace": NS}
    admin, reader = dep.admin, dep.reader

    def patch(values: dict[str, list[str]], **kw: object) -> dict[str, object]:
        return {"params": q, "json": {"flag": "reuse", "values": values}, **kw}

    return [
        ("malformed YAML", "PATCH", admin, patch({"files": ["a: [1, 2\n"]}), 400, "values[0]:"),
        ("YAML bomb", "PATCH", admin, patch({"files": [BOMB]}), 400, "values[0]"),
        ("10 MB body", "PATCH", admin, patch({"files": ["a" * 10_000_000]}), 413, "larger than"),
        ("unknown chart", "GET", reader, {"params": q, "url": "/v1/helm_charts/nosuch"}, 404,
         "nosuch"),
        ("unknown namespace", "PATCH", admin,
         {"params": {"namespace": "kube-system"}, "json": {"values": {"set": ["a=1"]}}}, 404,
         "kube-system"),
        ("bad --set", "PATCH", admin, patch({"set": ["a[x]=1"]}), 400, "a[x]=1"),
        ("secret path", "PATCH", admin,
         patch({"set": ["endpoints.identity.auth.admin.password=hunter2"]}), 400,
         "helmdeck secret set"),
        ("wrong token", "PATCH", "hd_not-a-token", patch({"set": ["a=1"]}), 401, "token"),
        ("reader on write", "PATCH", reader, patch({"set": ["a=1"]}), 403, "admin"),
        ("reader on delete", "DELETE", reader, {"params": q}, 403, "admin"),
        ("stale If-Match", "PATCH", admin, patch({"set": ["a=1"]}, headers={"If-Match": '"0"'}),
         409, "version 1"),
        ("bad flag", "PATCH", admin, {"params": q, "json": {"flag": "merge"}}, 400, "body.flag"),
    ]


def test_bad_input_corpus_changes_nothing_and_leaks_nothing(
    deployment: Deployment, serve: Callable[[], Server], tmp_path: Path
) -> None:
    server = serve()
    texts: list[str] = []
    with server.client(deployment.admin) as http:
        r = http.patch(URL, params={"namespace": NS}, json={"values": {"set": ["kept=1"]}})
        assert r.status_code == 200
        before = _user_overrides(server, deployment.reader)
        for label, method, token, kwargs, status, needle in _corpus(deployment):
            url = str(kwargs.pop("url", URL))
            try:
                r = http.request(method, url, headers={"Authorization": f"Bearer {token}",
                                                       **kwargs.pop("headers", {})}, **kwargs)
            except httpx.TransportError as exc:  # pragma: no cover - reported, not swallowed
                pytest.fail(f"{label}: connection failed instead of {status}: {exc}")
            assert r.status_code == status, f"{label}: {r.status_code} {r.text[:200]}"
            detail = r.json()["detail"]
            assert needle in detail and "\n" not in detail, f"{label}: {detail}"
            texts.append(r.text)
        # Everything a reader or admin may see without reveal.
        for path, params in [
            ("/v1/helm_charts", {}),
            (URL, {"namespace": NS}),
            (URL, {"namespace": NS, "full": "true"}),
            (f"{URL}/effective", {"namespace": NS}),
            (f"{URL}/history", {"namespace": NS}),
            (f"{URL}/explain", {"namespace": NS, "path": "endpoints.identity.auth.test.password"}),
            ("/v1/overrides", {}),
        ]:
            r = http.get(path, params=params)
            assert r.status_code == 200, f"{path}: {r.text}"
            texts.append(r.text)
    assert _user_overrides(server, deployment.reader) == before
    server.stop()
    log = server.log.read_text()
    texts.append(log)
    secrets = generated_secrets(deployment)
    assert secrets
    leaks = [name for name, value in secrets.items() for t in texts if value in t]
    assert not leaks
    assert deployment.admin not in log and deployment.reader not in log


def test_declared_oversized_body_is_refused_before_it_is_sent(
    deployment: Deployment, serve: Callable[[], Server]
) -> None:
    """A 10 MB Content-Length gets 413 at once, without the server waiting for the body."""
    server = serve()
    request = (
        f"PATCH {URL}?namespace={NS} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {deployment.admin}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):  # the server closes after a 413
            chunks.append(chunk)
    response = b"".join(chunks).decode()
    assert response.startswith("HTTP/1.1 413")
    assert json.loads(response.split("\r\n\r\n", 1)[1])["detail"].startswith("request body")
