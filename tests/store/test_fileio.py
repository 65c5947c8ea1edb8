"""The one file writer: atomic, 0600, and never writing through a planted symlink."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helmdeck.fileio import replace_dir, write_atomic, write_new


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "f", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").read_text() == "x" and _mode(tmp_path / "f") == 0o600


def test_a_final_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "out.yaml"
    link.symlink_to(victim)
    write_atomic(link, "new")
    assert victim.read_text() == "keep" and not link.is_symlink() and link.read_text() == "new"


def test_parents_are_created_private_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "a" / "f", "x")
    write_atomic(tmp_path / "a" / "b" / "f", "x", parents=True)
    assert _mode(tmp_path / "a" / "b") == 0o700


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "dir", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["dir"]


def test_replace_dir_swaps_a_symlinked_tree_without_touching_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("keep")
    target = tmp_path / "out" / "keystone"
    target.parent.mkdir()
    target.symlink_to(elsewhere, target_is_directory=True)
    replace_dir(target, {"templates/a.yaml": "a"})
    assert (elsewhere / "precious").read_text() == "keep"
    assert not target.is_symlink() and (target / "templates" / "a.yaml").read_text() == "a"
    assert _mode(target / "templates" / "a.yaml") == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["keystone"]


def test_write_new_keeps_the_first_and_leaves_no_temp_file(tmp_path: Path) -> None:
    write_new(tmp_path / "key", b"first")
    write_new(tmp_path / "key", b"second")
    assert (tmp_path / "key").read_bytes() == b"first" and _mode(tmp_path / "key") == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key"]
