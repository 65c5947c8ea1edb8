"""Helpers of the API tests: a small site on small charts and a real ``helmdeck serve``.

The charts are written here (13 tiny charts named like openstack-helm's, so the real
application and plugins run unchanged) rather than borrowed from another test package, so
these tests depend on nothing but the repo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import support
from support import chart_path, stored_secrets

CHARTS = (
    "mariadb", "rabbitmq", "memcached", "keystone", "glance", "placement", "heat", "cinder",
    "openvswitch", "libvirt", "nova", "neutron", "horizon",
)
NS = "openstack"
START_BOUND_S = 60  # a start-up bound, not an assertion about speed


def write_charts(root: Path) -> Path:
    for name in CHARTS:
        chart = root / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text(
            f"images:\n  tags:\n    {name}_api: docker.io/openstackhelm/{name}:2025.1\n"
            "pod:\n  replicas:\n    api: 1\n"
        )
        (chart / "templates" / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
            "data:\n  replicas: {{ .Values.pod.replicas.api | quote }}\n"
        )
    return root


def site_doc(charts: Path) -> dict[str, object]:
    hosts = [{"name": "ctl-0", "roles": ["controller"]}, {"name": "cmp-1", "roles": ["compute"]}]
    return support.site_doc(hosts, charts=chart_path(charts))


@dataclass
class Deployment:
    """A HELMDECK_HOME with a database holding the site, and a token of each role."""

    home: Path
    url: str
    env: dict[str, str]
    admin: str = ""
    reader: str = ""


def server_env(home: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELMDECK_")}
    env.update(HELMDECK_HOME=str(home), HELMDECK_DATABASE_URL=url)
    return env


def generated_secrets(dep: Deployment) -> dict[str, str]:
    """Every secret the site has generated so far (call after the charts were read)."""
    from helmdeck.store import open_store

    with open_store(dep.url) as store:
        return stored_secrets(store)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A ``helmdeck serve`` subprocess; its output (the server log) goes to ``log``."""

    dep: Deployment
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "helmdeck", "serve", "--port", str(self.port)],
                env=self.dep.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_BOUND_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"helmdeck serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"helmdeck serve did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=START_BOUND_S)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=120)
