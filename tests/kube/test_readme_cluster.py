"""The README's optional cluster block runs as written (on a cluster of its own)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from support.cluster import REPO, ClusterError, ClusterUnavailable, build, stop_cluster, unavailable


def _cluster_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## On a test cluster (optional)\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return block


def test_readme_cluster_block_runs(tmp_path: Path) -> None:
    try:
        build()  # the block's `up` builds too, but a missing Go toolchain is a skip here
    except ClusterUnavailable as err:
        unavailable(str(err))
    except ClusterError as err:
        pytest.fail(str(err), pytrace=False)
    for name in ("examples", ".venv", "tests"):
        (tmp_path / name).symlink_to(REPO / name)
    cluster = tmp_path / "c"
    script = _cluster_block().replace("/tmp/helmdeck-cluster", str(cluster))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELMDECK_", "KUBECONFIG"))}
    try:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=600)
    finally:
        stop_cluster(cluster)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "applied 13, failed 0, skipped 0" in out
    assert "  ~ upgrade keystone (openstack, chart keystone): values changed" in out
    assert "applied 1, failed 0, skipped 0" in out
    assert "remove refused (exit 2)" in out
    assert "keystone: enabled charts depend on it" in result.stderr
