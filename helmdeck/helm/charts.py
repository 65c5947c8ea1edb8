"""Loading charts into Helm's engine, with ``file://`` dependencies staged.

openstack-helm charts depend on ``file://../helm-toolkit`` and do not vendor it. Rather than
writing into the operator's checkout, a chart is staged in a temporary directory with the
dependency linked under ``charts/``; Helm reads everything into memory on load, so the
staging directory is removed at once.

Loaded charts are cached by the state of every file they were read from (path, mtime, size
of each file of the chart and of its ``file://`` dependencies), so a long-running
``helmdeck serve`` sees a chart edited on disk on the very next request.

A chart with remedies (unified diffs the application declares, ``helmdeck.application.
remedies``) is staged the same way, with the diffs applied to the staged copy and the
version marked ``+patched.<digest>``; that copy is kept (``patched_chart``) under a
directory named after the state of the source and the diffs, so it is a chart directory like
any other for rendering, schema checks and installs, and a changed source or diff makes a
new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from pathlib import Path

import helm_python
import yaml

from helmdeck.diffs import apply_diff
from helmdeck.errors import UserError
from helmdeck.helm.errors import helm_errors

helm_python.disable_logging()

_MAX_CACHED = 64
_cache: OrderedDict[Hashable, helm_python.Chart] = OrderedDict()
_cache_lock = threading.Lock()


def file_dependencies(chart_dir: Path) -> list[tuple[str, Path]]:
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


def tree_stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """(relative path, mtime_ns, size) of every file under ``directory``, sorted."""
    out = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out.append((str(path.relative_to(directory)), st.st_mtime_ns, st.st_size))
    return tuple(out)


def chart_stamp(chart_dir: Path) -> Hashable:
    """The state of every file the chart loads from, its ``file://`` dependencies included."""
    deps = file_dependencies(chart_dir)
    return (
        str(chart_dir),
        tree_stamp(chart_dir),
        tuple((name, str(target), tree_stamp(target)) for name, target in deps),
    )


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


Patch = tuple[str, str]  # (name shown in messages, unified diff text)
_VERSION_LINE = re.compile(r"^version:[ \t]*(.*?)[ \t]*$", re.M)


def stage_chart(chart_dir: Path, staged: Path, deps: list[tuple[str, Path]],
                patches: Sequence[Patch] = (), version_suffix: str = "") -> None:
    """Copy ``chart_dir`` to ``staged`` with its ``file://`` dependencies under ``charts/``,
    then apply ``patches`` (paths relative to the chart) and mark the version.

    Files are hard-linked (copied across filesystems), not symlinked: Helm logs every
    symlink. A patched file is written anew (``diffs.apply_diff`` unlinks it first), so the
    source is never changed through a link.
    """
    shutil.copytree(chart_dir, staged, copy_function=_link_or_copy)
    if deps:
        (staged / "charts").mkdir(exist_ok=True)
        for name, target in deps:
            shutil.copytree(target, staged / "charts" / name, copy_function=_link_or_copy)
    for name, text in patches:
        apply_diff(staged, name, text)
    if version_suffix:
        meta = staged / "Chart.yaml"
        text = meta.read_text()
        found = _VERSION_LINE.search(text)
        if found is None:
            raise UserError(f"{chart_dir}/Chart.yaml: no `version:` line to mark as patched")
        old = str(yaml.safe_load(found.group(1)) if found.group(1) else "")
        sep = "." if "+" in old else "+"
        new = f"{found.group(0)[:found.start(1) - found.start(0)]}\"{old}{sep}{version_suffix}\""
        meta.unlink()
        meta.write_text(text[:found.start()] + new + text[found.end():])


def patched_chart(chart_dir: Path, patches: Sequence[Patch], root: Path) -> Path:
    """The staged copy of ``chart_dir`` with ``patches`` applied, kept under ``root``.

    Its directory is named after the state of the chart's files (and its ``file://``
    dependencies') and the diffs, and made once: a second call with nothing changed returns
    it at once; an edited chart or diff makes a new one. It is built aside and renamed into
    place, so concurrent callers see a complete copy or none. A diff that does not apply is a
    UserError naming it and the hunk. The version gets ``+patched.<digest of the diffs>``.
    """
    chart_dir = Path(chart_dir).resolve()
    digests = [hashlib.sha256(text.encode()).hexdigest() for _, text in patches]
    suffix = "patched." + hashlib.sha256("".join(digests).encode()).hexdigest()[:8]
    key = hashlib.sha256(repr((chart_stamp(chart_dir), digests)).encode()).hexdigest()[:16]
    final = root / f"{chart_dir.name}-{key}"
    chart = final / chart_dir.name
    if (chart / "Chart.yaml").is_file():
        return chart
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{chart_dir.name}-", dir=root))
    try:
        stage_chart(chart_dir, work / chart_dir.name, file_dependencies(chart_dir), patches,
                    suffix)
        try:
            os.rename(work, final)
        except OSError:
            if not (chart / "Chart.yaml").is_file():  # not a concurrent twin: a real error
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return chart


def _load(chart_dir: Path, deps: list[tuple[str, Path]]) -> helm_python.Chart:
    """Helm's load of the chart, staged with its dependencies when it has any."""
    with helm_errors(f"{chart_dir}: Helm cannot load the chart"):
        if not deps:
            return helm_python.Chart.load(chart_dir)
        stage = Path(tempfile.mkdtemp(prefix="helmdeck-chart-"))
        try:
            staged = stage / chart_dir.name
            stage_chart(chart_dir, staged, deps)
            return helm_python.Chart.load(staged)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def load_chart(chart_dir: Path) -> helm_python.Chart:
    """The chart at ``chart_dir`` as Helm loads it; reloaded whenever one of its files changes."""
    chart_dir = Path(chart_dir).resolve()
    if not (chart_dir / "Chart.yaml").is_file():
        raise UserError(f"{chart_dir}: not a chart directory (no Chart.yaml)")
    key = chart_stamp(chart_dir)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    chart = _load(chart_dir, file_dependencies(chart_dir))
    with _cache_lock:
        _cache[key] = chart
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
    return chart
