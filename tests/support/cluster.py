"""A real Kubernetes control plane for the tests: ``tests/cluster/`` (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK fake nodes, all on 127.0.0.1).

Two ways to get one:

* :func:`shared_cluster` - one cluster per test session, shared by every pytest-xdist worker of
  the run. The first worker to ask starts it (under a file lock in the run's tmp directory); the
  last worker to finish stops it. Its nodes are the hosts of ``examples/site.yaml`` (or of the
  site file named by ``HELMDECK_CLUSTER_SITE``). Use it from a session fixture::

      @pytest.fixture(scope="session")
      def kube(tmp_path_factory):
          yield from shared_cluster(tmp_path_factory)

* :func:`dedicated_cluster` - a context manager for a test that needs nodes of its own::

      with dedicated_cluster(tmp_path / "c", site_file) as cluster: ...

Skip rules: without a Go toolchain (or when the pinned modules cannot be built) the tests that
ask for a cluster are skipped with the reason - except under ``CI=true``, where that is a test
failure. A cluster that was built but does not start is always a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import yaml

if TYPE_CHECKING:
    from lightkube import Client

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "tests" / "cluster"
DEFAULT_SITE = REPO / "examples" / "site.yaml"
# The first build compiles Kubernetes: many minutes on 2 cores. Starting takes seconds.
BUILD_TIMEOUT = float(os.environ.get("HELMDECK_CLUSTER_BUILD_TIMEOUT", "5400"))
UP_TIMEOUT = float(os.environ.get("HELMDECK_CLUSTER_UP_TIMEOUT", "180"))
TOOLCHAIN_EXIT = 3  # tests/cluster/build: no Go toolchain


class ClusterError(RuntimeError):
    """The cluster was built but did not start (or stop): always a test failure."""


class ClusterUnavailable(ClusterError):
    """No cluster can be built here (no Go toolchain, modules not buildable): a skip off CI."""


def on_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI=true where a cluster must be available."""
    if on_ci():
        pytest.fail(f"{reason} (CI=true: a test cluster is required)", pytrace=False)
    pytest.skip(reason)


def _report(err: ClusterError) -> NoReturn:
    if isinstance(err, ClusterUnavailable):
        unavailable(str(err))
    pytest.fail(str(err), pytrace=False)


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its state directory, admin kubeconfig and node (host) names."""

    dir: Path
    kubeconfig: Path
    nodes: tuple[str, ...]

    @property
    def state(self) -> dict[str, Any]:
        """What tests/cluster/up recorded: server URL, ports, PIDs, bin and log directories."""
        data: dict[str, Any] = json.loads((self.dir / "cluster.json").read_text())
        return data

    @property
    def server(self) -> str:
        return str(self.state["server"])

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    def pids(self) -> dict[str, int]:
        """PID of each component, from DIR/pids (what tests/cluster/down stops)."""
        pids = {}
        for f in sorted((self.dir / "pids").glob("*")):
            pids[f.name] = int(f.read_text().split()[0])
        return pids

    def env(self) -> dict[str, str]:
        """os.environ with KUBECONFIG pointing at this cluster (for helm and kubectl)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def client(self, namespace: str | None = None) -> Client:
        """A lightkube client authenticated as cluster admin."""
        from lightkube import Client, KubeConfig

        return Client(config=KubeConfig.from_file(self.kubeconfig), namespace=namespace)


def site_hosts(site_file: Path) -> tuple[str, ...]:
    doc = yaml.safe_load(Path(site_file).read_text()) or {}
    return tuple(str(h["name"]) for h in (doc.get("spec") or {}).get("hosts") or [])


def _last_lines(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def build() -> Path:
    """Build the binaries (a no-op when the cache is warm) and return their directory."""
    if shutil.which("go") is None:
        raise ClusterUnavailable(
            "Go toolchain not found on PATH: the test cluster (tests/cluster) is built from Go "
            "modules and needs Go >= 1.26"
        )
    try:
        proc = subprocess.run(
            [str(SCRIPTS / "build")],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ClusterUnavailable(
            f"tests/cluster/build took longer than {exc.timeout:.0f}s"
        ) from exc
    if proc.returncode == TOOLCHAIN_EXIT:
        raise ClusterUnavailable(_last_lines(proc.stderr, 1))
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ClusterUnavailable(
            f"tests/cluster/build failed (exit {proc.returncode}):\n{_last_lines(proc.stderr)}"
        )
    return Path(proc.stdout.strip().splitlines()[-1])


def start_cluster(
    directory: Path, site_file: Path | None = None, *, timeout: float = UP_TIMEOUT
) -> Cluster:
    """Start a cluster in DIRECTORY with one KWOK node per host of SITE_FILE.

    Raises ClusterUnavailable when it cannot be built, ClusterError when it does not start.
    """
    build()  # apart from up, so that the first (long) build is not under up's timeout
    cmd = [str(SCRIPTS / "up"), str(directory), "--timeout", f"{timeout:.0f}s"]
    if site_file is not None:
        cmd += ["--nodes", str(site_file)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        stop_cluster(directory)
        raise ClusterError(f"tests/cluster/up {directory} hung for {exc.timeout:.0f}s") from exc
    if proc.returncode == TOOLCHAIN_EXIT:
        raise ClusterUnavailable(_last_lines(proc.stderr, 1))
    if proc.returncode != 0:
        raise ClusterError(
            f"tests/cluster/up {directory} failed (exit {proc.returncode}): "
            f"{_last_lines(proc.stderr, 1)}\n{_last_lines(proc.stderr, 30)}"
        )
    kubeconfig = Path(proc.stdout.strip().splitlines()[-1])
    nodes = site_hosts(site_file) if site_file is not None else ()
    return Cluster(dir=Path(directory), kubeconfig=kubeconfig, nodes=nodes)


def stop_cluster(directory: Path) -> None:
    """tests/cluster/down: stop every process of the cluster and remove its state."""
    proc = subprocess.run(
        [str(SCRIPTS / "down"), str(directory)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if proc.returncode != 0:
        raise ClusterError(f"tests/cluster/down {directory} failed: {_last_lines(proc.stderr, 5)}")


@contextlib.contextmanager
def dedicated_cluster(directory: Path, site_file: Path) -> Iterator[Cluster]:
    """A cluster of the test's own with the hosts of SITE_FILE as nodes, stopped on exit.

    Skips (fails under CI=true) when no cluster can be built; fails when it does not start.
    """
    try:
        cluster = start_cluster(directory, site_file)
    except ClusterError as err:
        _report(err)
    try:
        yield cluster
    finally:
        stop_cluster(directory)


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all workers of this pytest run, and by no other run."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist every worker's basetemp is RUN/popen-gwN; without it, basetemp is the run's own.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _running(cluster_dir: Path) -> bool:
    """Every recorded component still runs (same PID and start time)."""
    pids = cluster_dir / "pids"
    if not (cluster_dir / "cluster.json").is_file() or not pids.is_dir():
        return False
    records = list(pids.iterdir())
    if len(records) != 5:
        return False
    for record in records:
        pid, start = record.read_text().split()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X") or fields[19] != start:
            return False
    return True


def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Yield the run's shared cluster; for a session-scoped fixture (``yield from``)."""
    root = _run_root(tmp_path_factory)
    site = Path(os.environ.get("HELMDECK_CLUSTER_SITE") or DEFAULT_SITE)
    cluster_dir = root / "helmdeck-cluster"
    lock = root / "helmdeck-cluster.lock"
    users_file = root / "helmdeck-cluster.users"
    failed_file = root / "helmdeck-cluster.failed"
    with _locked(lock):
        if failed_file.exists():
            # An earlier worker could not start it: report the same, without trying again.
            failure = json.loads(failed_file.read_text())
            kind = ClusterUnavailable if failure["unavailable"] else ClusterError
            _report(kind(failure["message"]))
        users = int(users_file.read_text() or 0) if users_file.exists() else 0
        if users > 0 and _running(cluster_dir):
            cluster = Cluster(
                dir=cluster_dir, kubeconfig=cluster_dir / "kubeconfig", nodes=site_hosts(site)
            )
        else:
            try:
                stop_cluster(cluster_dir)  # what a crashed holder left behind
                cluster = start_cluster(cluster_dir, site)
            except ClusterError as err:
                failed_file.write_text(
                    json.dumps(
                        {"unavailable": isinstance(err, ClusterUnavailable), "message": str(err)}
                    )
                )
                _report(err)
            users = 0
        users_file.write_text(str(users + 1))
    try:
        yield cluster
    finally:
        with _locked(lock):
            users = int(users_file.read_text() or 0) - 1
            users_file.write_text(str(max(users, 0)))
            if users <= 0:
                stop_cluster(cluster_dir)
