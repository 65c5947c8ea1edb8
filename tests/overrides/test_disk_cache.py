"""Chart bases kept on disk by command-line processes: reused while the files are unchanged."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from overrides_env import CHARTS, make_site

from helmdeck.overrides import layers


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "cache"
    layers.use_disk_cache(directory)
    yield directory
    layers.use_disk_cache(None)


def test_a_new_process_reads_the_chart_base_from_disk_until_a_file_changes(
    disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS, charts)
    site = make_site(source=charts)
    first = layers.chart_base(site, "keystone")
    [saved] = disk.iterdir()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    layers._cache.clear()  # as in a new process
    monkeypatch.setattr("helmdeck.chart.chart_defaults",
                        lambda _d: pytest.fail("parsed again although unchanged"))
    assert layers.chart_base(site, "keystone") == first
    monkeypatch.undo()

    layers._cache.clear()
    (charts / "keystone" / "values.yaml").write_text("changed: true\n")
    assert layers.chart_base(site, "keystone").defaults == {"changed": True}


def test_memory_only_unless_asked(tmp_path: Path) -> None:
    layers.chart_base(make_site(), "keystone")
    assert layers._disk is None and not (tmp_path / "cache").exists()
