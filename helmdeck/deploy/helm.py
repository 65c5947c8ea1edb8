"""The one place helmdeck talks to Helm (Helm v4's Go engine in process, via helm-python-sdk).

Everything else goes through these functions, so Helm's semantics (chart loading, rendering,
schema validation, releases) come from Helm itself and never from a re-implementation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import helm_python
import yaml

from helmdeck.errors import UserError

if TYPE_CHECKING:
    from helmdeck.deploy.ops import Deployed
    from helmdeck.overrides.service import DesiredRelease

helm_python.disable_logging()

_cache: dict[Path, helm_python.Chart] = {}
_cache_lock = threading.Lock()


class RenderError(UserError):
    """A chart failed to render with the given values (Helm's own message is kept)."""


def _file_dependencies(chart_dir: Path) -> list[tuple[str, Path]]:
    """Dependencies declared as ``file://`` that are not already vendored under charts/."""
    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    sub = chart_dir / "charts"
    vendored = (
        {p.name.split("-")[0] if p.suffix == ".tgz" else p.name for p in sub.glob("*")}
        if sub.is_dir()
        else set()
    )
    deps = []
    for dep in meta.get("dependencies") or []:
        repo = str(dep.get("repository") or "")
        name = str(dep.get("name"))
        if name in vendored:
            continue
        if not repo.startswith("file://"):
            raise UserError(
                f"{chart_dir}/Chart.yaml: dependency {name} ({repo}) is not vendored under "
                f"charts/; run `helm dependency build {chart_dir}`"
            )
        target = (chart_dir / repo.removeprefix("file://")).resolve()
        if not (target / "Chart.yaml").is_file():
            raise UserError(f"{chart_dir}/Chart.yaml: dependency {name} not found at {target}")
        deps.append((name, target))
    return deps


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def load_chart(chart_dir: Path) -> helm_python.Chart:
    """Load a chart directory, resolving ``file://`` dependencies the way ``helm dep build`` would.

    openstack-helm charts depend on ``file://../helm-toolkit`` and do not vendor it. Rather than
    writing into the operator's checkout, the chart is staged in a temporary directory of
    symlinks with the dependency linked under charts/; Helm reads everything into memory on
    load, so the staging directory is removed at once. Loaded charts are immutable and cached.
    Files are hard-linked (copied across filesystems), not symlinked: Helm logs every symlink.
    """
    chart_dir = Path(chart_dir).resolve()
    with _cache_lock:
        cached = _cache.get(chart_dir)
    if cached is not None:
        return cached
    if not (chart_dir / "Chart.yaml").is_file():
        raise UserError(f"{chart_dir}: not a chart directory (no Chart.yaml)")
    deps = _file_dependencies(chart_dir)
    try:
        if not deps:
            chart = helm_python.Chart.load(chart_dir)
        else:
            stage = Path(tempfile.mkdtemp(prefix="helmdeck-chart-"))
            try:
                staged = stage / chart_dir.name
                shutil.copytree(chart_dir, staged, copy_function=_link_or_copy)
                (staged / "charts").mkdir(exist_ok=True)
                for name, target in deps:
                    shutil.copytree(target, staged / "charts" / name, copy_function=_link_or_copy)
                chart = helm_python.Chart.load(staged)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
    except helm_python.HelmError as exc:
        raise UserError(f"{chart_dir}: Helm cannot load the chart: {exc}") from None
    with _cache_lock:
        _cache[chart_dir] = chart
    return chart


def chart_metadata(chart_dir: Path) -> dict[str, Any]:
    """The chart's Chart.yaml as Helm reads it."""
    return load_chart(chart_dir).metadata


def render(
    chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str
) -> dict[str, str]:
    """Render offline (``helm template``): template path -> manifest text."""
    try:
        return load_chart(chart_dir).render(
            values=values, name=release, namespace=namespace, is_install=True
        )
    except helm_python.HelmError as exc:
        raise RenderError(f"{chart_dir.name}: render failed: {exc}") from None


def validate_schema(chart_dir: Path, values: dict[str, Any]) -> None:
    """Check values (already coalesced with defaults) against the chart's values.schema.json."""
    try:
        load_chart(chart_dir).validate_schema(values)
    except helm_python.HelmError as exc:
        raise UserError(f"{chart_dir.name}: values break values.schema.json: {exc}") from None


# --- releases --------------------------------------------------------------------------------

# Helm v4's "hookOnly" waits for hook jobs only. Anything stronger ("watcher", "legacy") waits
# for workloads to be ready BEFORE post-install hooks run, while openstack-helm's workloads
# wait for those hooks (db-sync, ks-user...): the install would deadlock until its timeout.
_WAIT = "hookOnly"


class HelmReleases:
    """Install, upgrade, uninstall and read releases through Helm's own actions.

    ``dry_run`` uses Helm's client-side dry run over in-memory release storage: the full
    install path (chart load, values, render, hook ordering, manifest validation) with no
    cluster at all. Configs are created per namespace on first use and reused; Helm allows
    concurrent actions on different releases of one config.
    """

    def __init__(self, *, dry_run: bool = False, kubeconfig: str | None = None,
                 delete_object: Callable[[str, str, str], None] | None = None) -> None:
        self.dry_run = dry_run
        self._kubeconfig = kubeconfig
        self._delete_object = delete_object
        self._configs: dict[str, helm_python.Config] = {}
        self._lock = threading.Lock()

    def _config(self, namespace: str) -> helm_python.Config:
        with self._lock:
            cfg = self._configs.get(namespace)
            if cfg is None:
                if self.dry_run:
                    cfg = helm_python.Config(namespace=namespace, storage_driver="memory")
                else:
                    cfg = helm_python.Config(namespace=namespace,
                                             kubeconfig_path=self._kubeconfig)
                self._configs[namespace] = cfg
            return cfg

    def check_reachable(self) -> None:
        """Raise ClusterError (one line) unless the API server answers."""
        try:
            self._config("default").check_reachable()
        except helm_python.HelmError as exc:
            from helmdeck.deploy.ops import ClusterError

            raise ClusterError(f"Kubernetes cluster unreachable: {_one_line(exc)}") from None

    def deploy(self, release: DesiredRelease, *, wait: bool, timeout: int) -> Deployed:
        """Install the release, or upgrade it when Helm already has it.

        ``wait`` is the application's choice for later charts; at Helm level every release
        waits for its hooks only (see ``_WAIT``), never for readiness before its hooks.
        """
        from helmdeck.deploy.ops import Deployed

        cfg = self._config(release.namespace)
        chart = load_chart(release.chart_dir)
        ns, values = release.namespace, release.values
        try:
            if self.dry_run:
                result = cfg.install(chart, release.release, values, namespace=ns,
                                     timeout=timeout, wait=_WAIT, dry_run="client")
            elif self._exists(cfg, release.release):
                result = cfg.upgrade(chart, release.release, values, namespace=ns,
                                     timeout=timeout, wait=_WAIT)
            else:
                result = cfg.install(chart, release.release, values, namespace=ns,
                                     timeout=timeout, wait=_WAIT, create_namespace=True)
        except helm_python.HelmError as exc:
            raise UserError(f"{release.release} ({release.namespace}): {_one_line(exc)}") from None
        return Deployed(int(result.get("revision") or result.get("version") or 1))

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        if self.dry_run:
            return
        try:
            self._config(namespace).uninstall(release, timeout=timeout, ignore_not_found=True)
        except helm_python.HelmError as exc:
            raise UserError(
                f"{release} ({namespace}): uninstall failed: {_one_line(exc)}"
            ) from None

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        if self.dry_run or self._delete_object is None:
            return
        self._delete_object(namespace, kind, name)

    def revisions(self) -> dict[tuple[str, str], int] | None:
        """Every release's current revision in one Helm call; None on a dry run."""
        if self.dry_run:
            return None
        try:
            found = self._config("default").list(all_states=True, all_namespaces=True)
        except helm_python.HelmError as exc:
            from helmdeck.deploy.ops import ClusterError

            raise ClusterError(f"cannot list Helm releases: {_one_line(exc)}") from None
        return {(r["name"], r["namespace"]): int(r.get("revision") or r.get("version") or 0)
                for r in found}

    @staticmethod
    def _exists(cfg: helm_python.Config, name: str) -> bool:
        try:
            cfg.history(name, max_revisions=1)
        except helm_python.HelmNotFoundError:
            return False
        return True


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- chart sources -----------------------------------------------------------------------------


def pull_chart(chart: str, *, dest: Path, repo_url: str | None = None,
               oci: str | None = None) -> Path:
    """Download and unpack ``chart`` from a Helm repository or an OCI registry into ``dest``.

    Unpacked into a temporary sibling and renamed into place, so an interrupted pull never
    leaves a half-written chart that later loads as if it were whole.
    """
    target = dest / chart
    dest.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{chart}-", dir=dest))
    try:
        if oci is not None:
            helm_python.pull(f"{oci.rstrip('/')}/{chart}", destination=stage, untar=True,
                             untar_dir=stage)
        else:
            helm_python.pull(chart, repo_url=repo_url, destination=stage, untar=True,
                             untar_dir=stage)
        pulled = stage / chart
        if not (pulled / "Chart.yaml").is_file():
            raise UserError(f"chart {chart}: the pulled archive has no {chart}/Chart.yaml")
        try:
            os.replace(pulled, target)
        except OSError:
            if not (target / "Chart.yaml").is_file():  # not a concurrent pull that won
                raise
    except helm_python.HelmError as exc:
        source = oci or repo_url
        raise UserError(f"chart {chart}: cannot pull from {source}: {_one_line(exc)}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target
