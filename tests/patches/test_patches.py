"""Hot-fix patches: diff validation, the ConfigMap, --against, and the pod.mounts overrides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.errors import UserError
from helmdeck.patches import (
    MOUNT_PATH,
    attach_overrides,
    build_configmap,
    load_patches,
    main_pods,
    validate_diff,
)
from helmdeck.patches.build import check_applies
from helmdeck.patches.unified import unquote

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
TREE = FIXTURES / "tree"

HEADER = "--- a/app/api.py\n+++ b/app/api.py\n"
HUNK = "@@ -1,3 +1,3 @@\n def handler(request):\n-    limit = 10\n+    limit = 100\n     return x\n"


def test_good_fixtures_validate() -> None:
    assert validate_diff("p", (GOOD / "0001-page-limit.patch").read_text()) == ["b/app/api.py"]
    assert validate_diff("p", (GOOD / "0002-readme.diff").read_text()) == ["b/app/README"]


def test_several_files_hunks_and_no_newline_markers() -> None:
    text = (HEADER + HUNK + "@@ -10 +10 @@\n-a\n+b\n\\ No newline at end of file\n"
            + "diff --git a/new b/new\nnew file mode 100644\n"
            + "--- /dev/null\n+++ b/new\n@@ -0,0 +1 @@\n+hello\n"
            + "--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n")
    assert validate_diff("p", text) == ["b/app/api.py", "b/new", "a/gone"]


def test_git_quoted_names_and_headers_inside_the_tree_are_fine() -> None:
    quoted = '--- "a/caf\\303\\251 \\"x\\"\\t"\n+++ "b/caf\\303\\251 \\"x\\"\\t"\t2024-01-01\n'
    assert validate_diff("p", quoted + HUNK) == ['b/café "x"\t']
    renamed = ("diff --git a/old name b/new name\nsimilarity index 90%\nrename from old name\n"
               "rename to new name\n--- a/old name\n+++ b/new name\n" + HUNK)
    assert validate_diff("p", renamed) == ["b/new name"]


def git_quote(name: str) -> str:
    """Quote a file name as git does (core.quotePath): C escapes, other bytes in octal."""
    named = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}
    out = []
    for byte in name.encode():
        if byte in named:
            out.append("\\" + named[byte])
        elif byte < 32 or byte >= 127:
            out.append(f"\\{byte:03o}")
        else:
            out.append(chr(byte))
    return '"' + "".join(out) + '"'


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
       st.text("x \t", max_size=3))
def test_unquote_reverses_gits_quoting(name: str, rest: str) -> None:
    assert unquote(git_quote(name) + rest) == (name, rest)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "..", ".", "b c", "é"]), min_size=1, max_size=4))
def test_quoted_paths_are_checked_after_decoding(parts: list[str]) -> None:
    path = "/".join(["a", *parts])
    text = f"--- {git_quote(path)}\n+++ {git_quote(path)}\n" + HUNK
    if ".." in parts:
        with pytest.raises(UserError, match="leaves the tree"):
            validate_diff("p", text)
    else:
        assert validate_diff("p", text) == [path]


def test_stripped_blank_context_line_counts_as_context() -> None:
    assert validate_diff("p", HEADER + "@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n") == ["b/app/api.py"]


# (diff text, line the error names, words in the message)
BAD = {
    "not-a-diff": ("just some text\n", None, "no unified diff"),
    "empty": ("", None, "no unified diff"),
    "absolute": ("--- /etc/passwd\n+++ /etc/passwd\n" + HUNK, 1, "absolute path"),
    "dotdot-new": ("--- a/x\n+++ b/../../etc/x\n" + HUNK, 2, "'..' leaves the tree"),
    "no-plus": ("--- a/x\n@@ -1 +1 @@\n-a\n+b\n", 2, "expected '+++ <file>'"),
    "plus-first": ("+++ b/x\n--- a/x\n" + HUNK, 1, "without a '--- '"),
    "no-hunk": (HEADER + "nothing\n", 3, "expected a hunk"),
    "hunk-first": ("@@ -1 +1 @@\n-a\n+b\n", 1, "hunk before any"),
    "bad-header": (HEADER + "@@ -1,x +1 @@\n-a\n+b\n", 3, "malformed hunk header"),
    "short": (HEADER + "@@ -1,3 +1,3 @@\n a\n-b\n+c\n", 3, "says 3 old and 3 new lines but "
              "the hunk has 2 and 2"),
    "long": (HEADER + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n d\n", 3, "says 2 old and 2 new"),
    "garbage-inside": (HEADER + "@@ -1,2 +1,2 @@\n a\n*b\n+c\n", 3, "the hunk has 1 and 1"),
    "both-null": ("--- /dev/null\n+++ /dev/null\n" + HUNK, 1, "both sides"),
    "quoted-dotdot": ('--- "a/\\056\\056/etc/x"\n+++ "b/\\056\\056/etc/x"\n' + HUNK, 1,
                      "a/../etc/x: '..' leaves the tree"),
    "quoted-absolute": ('--- a/x\n+++ "\\057etc/x"\n' + HUNK, 2, "/etc/x: absolute path"),
    "quoted-unclosed": ('--- "a/x\n+++ b/x\n' + HUNK, 1, "without its closing"),
    "quoted-bad-escape": ('--- "a/\\qx"\n+++ b/x\n' + HUNK, 1, "unknown escape"),
    "rename-to": ("diff --git a/x b/x\nsimilarity index 90%\nrename from x\n"
                  "rename to ../../etc/x\n" + HEADER + HUNK, 4, "'..' leaves the tree"),
    "rename-from": ("rename from /etc/shadow\nrename to y\n" + HEADER + HUNK, 1,
                    "absolute path"),
    "copy-to": ("copy from x\ncopy to ../x\n" + HEADER + HUNK, 2, "'..' leaves the tree"),
    "copy-to-quoted": ('copy from x\ncopy to "\\056\\056/x"\n' + HEADER + HUNK, 2,
                       "'..' leaves the tree"),
    "diff-git": ("diff --git a/../x b/../x\n" + HEADER + HUNK, 1, "'..' leaves the tree"),
    "diff-git-quoted": ('diff --git "a/\\056\\056/x" b/x\n' + HEADER + HUNK, 1,
                        "'..' leaves the tree"),
    "index": ("Index: ../x\n" + HEADER + HUNK, 1, "'..' leaves the tree"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_diffs_name_the_file_and_line(case: str) -> None:
    text, line, words = BAD[case]
    where = f"fix.patch:{line}: " if line else "fix.patch: "
    with pytest.raises(UserError) as info:
        validate_diff("fix.patch", text)
    assert str(info.value).startswith(where) and words in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(" -+"), st.text("abc", max_size=5)), min_size=1,
                max_size=12))
def test_hunk_counts_must_add_up(body: list[tuple[str, str]]) -> None:
    old = sum(tag != "+" for tag, _ in body)
    new = sum(tag != "-" for tag, _ in body)
    lines = "".join(f"{tag}{text}\n" for tag, text in body)
    assert validate_diff("p", f"{HEADER}@@ -1,{old} +1,{new} @@\n{lines}") == ["b/app/api.py"]
    with pytest.raises(UserError, match="hunk header says"):
        validate_diff("p", f"{HEADER}@@ -1,{old + 1} +1,{new} @@\n{lines}")


def test_configmap_holds_every_diff() -> None:
    manifest = build_configmap("nova", load_patches(GOOD))
    assert manifest["metadata"]["name"] == "nova-patches"
    assert manifest["data"] == {p.name: p.read_text() for p in sorted(GOOD.iterdir())}


@pytest.mark.parametrize("chart", ["../../x", "Nova", "nova/x", "", "-nova", "a" * 64, "nova_x"])
def test_chart_must_be_a_dns_label(chart: str) -> None:
    with pytest.raises(UserError, match="not a chart name"):
        build_configmap(chart, {"a.patch": "x"})


def test_symlinks_must_stay_in_the_directory(tmp_path: Path) -> None:
    secret = tmp_path / "secret.patch"
    shutil.copy(GOOD / "0001-page-limit.patch", secret)
    folder = tmp_path / "diffs"
    shutil.copytree(GOOD, folder)
    (folder / "0003-inside.patch").symlink_to(folder / "0001-page-limit.patch")
    assert "0003-inside.patch" in load_patches(folder)
    (folder / "0004-outside.patch").symlink_to(secret)
    with pytest.raises(UserError, match=r"0004-outside.patch: a symlink to .*outside"):
        load_patches(folder)


def test_a_diff_over_a_configmap_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "big.patch").write_text(HEADER + HUNK + "x" * (2 * 1024 * 1024))
    with pytest.raises(UserError, match="over the 1 MiB"):
        load_patches(tmp_path)


def test_load_patches_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no \*\.patch or \*\.diff"):
        load_patches(tmp_path)
    (tmp_path / "bad.patch").write_text("--- /abs\n+++ /abs\n@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(UserError, match=f"^{tmp_path / 'bad.patch'}:1: "):
        load_patches(tmp_path)
    with pytest.raises(UserError, match="not a directory"):
        load_patches(tmp_path / "missing")


needs_patch = pytest.mark.skipif(shutil.which("patch") is None, reason="`patch` not installed")


@needs_patch
def test_against_a_tree_they_apply_to() -> None:
    check_applies(GOOD, load_patches(GOOD), TREE)


@needs_patch
def test_against_a_tree_they_do_not_apply_to(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "app" / "api.py").write_text("def handler(request):\n    return None\n")
    with pytest.raises(UserError, match=r"0001-page-limit.patch: does not apply to .*FAILED"):
        check_applies(GOOD, load_patches(GOOD), tree)
    assert (tree / "app" / "api.py").read_text().endswith("return None\n")  # dry run only


# --- attach --------------------------------------------------------------------------------

VALUES: dict[str, Any] = {
    "pod": {
        "mounts": {
            "nova_api_osapi": {"init_container": None,
                               "nova_api_osapi": {"volumeMounts": [], "volumes": []}},
            "nova_novncproxy": {"init_novncproxy": {"volumeMounts": [], "volumes": []},
                                "nova_novncproxy": {
                                    "volumeMounts": [{"name": "x", "mountPath": "/x"}],
                                    "volumes": [{"name": "x", "emptyDir": {}}]}},
            "nova_db_sync": {"nova_db_sync": {"volumeMounts": [], "volumes": []}},
            "nova_tests": {"nova_tests": {"volumeMounts": [], "volumes": []}},
        }
    }
}


def test_main_pods_skip_jobs_tests_and_init_containers() -> None:
    assert main_pods(VALUES) == [("nova_api_osapi", "nova_api_osapi"),
                                 ("nova_novncproxy", "nova_novncproxy")]


def test_attach_keeps_existing_mounts_and_adds_ours() -> None:
    out = attach_overrides("nova", VALUES, "nova-patches")
    mounts = out["pod"]["mounts"]
    assert sorted(mounts) == ["nova_api_osapi", "nova_novncproxy"]
    proxy = mounts["nova_novncproxy"]["nova_novncproxy"]
    assert proxy["volumes"] == [
        {"name": "x", "emptyDir": {}},
        {"name": "helmdeck-patches", "configMap": {"name": "nova-patches", "defaultMode": 0o444}},
    ]
    assert proxy["volumeMounts"][-1] == {"name": "helmdeck-patches", "mountPath": MOUNT_PATH,
                                         "readOnly": True}
    again = attach_overrides("nova", _merged(VALUES, out), "nova-patches-2")
    assert again["pod"]["mounts"]["nova_novncproxy"]["nova_novncproxy"]["volumes"][-1][
        "configMap"]["name"] == "nova-patches-2"
    assert len(again["pod"]["mounts"]["nova_novncproxy"]["nova_novncproxy"]["volumes"]) == 2


def _merged(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    from helmdeck.values.merge import coalesce

    return coalesce(values, overrides)


def test_attach_to_chosen_pods_and_errors() -> None:
    out = attach_overrides("nova", VALUES, "p", ["nova_db_sync"])
    assert list(out["pod"]["mounts"]) == ["nova_db_sync"]
    with pytest.raises(UserError, match=r"--pod nova_nope: no pod\.mounts\.nova_nope"):
        attach_overrides("nova", VALUES, "p", ["nova_nope"])
    with pytest.raises(UserError, match="not a valid ConfigMap name"):
        attach_overrides("nova", VALUES, "Bad_Name")
    with pytest.raises(UserError, match=r"no pod\.mounts"):
        attach_overrides("mariadb", {"pod": {}}, "p")


# --- CLI -----------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from helmdeck.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_build_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "patches", "build", str(GOOD), "--chart", "glance")
    assert code == 0 and yaml.safe_load(out) == build_configmap("glance", load_patches(GOOD))
    target = tmp_path / "cm.yaml"
    assert run(capsys, "patches", "build", str(GOOD), "--chart", "glance", "--out",
               str(target))[0] == 0
    assert yaml.safe_load(target.read_text())["metadata"]["name"] == "glance-patches"
    code, out, _ = run(capsys, "patches", "build", str(GOOD), "--chart", "glance", "-o", "json")
    assert code == 0 and json.loads(out) == build_configmap("glance", load_patches(GOOD))
    code, out, err = run(capsys, "patches", "build", str(GOOD), "--chart", "glance", "-o",
                         str(target))
    assert code == 2 and out == "" and err == (
        f"helmdeck: error: -o {target}: -o is the output format, yaml or json; to write the "
        f"manifest to a file use --out {target}\n")
    code, _, err = run(capsys, "patches", "build", str(GOOD), "--chart", "../../x")
    assert code == 2 and err.count("\n") == 1 and "--chart '../../x': not a chart name" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.patch").write_text("--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n+b\n")
    code, _, err = run(capsys, "patches", "build", str(bad), "--chart", "glance")
    assert code == 2 and err.startswith(f"helmdeck: error: {bad / 'x.patch'}:3: ")


SITE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


def test_attach_command(helmdeck_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    """The example keystone chart, given openstack-helm's pod.mounts, gets the patches."""
    charts = tmp_path / "charts"
    shutil.copytree(SITE.parent / "charts", charts)
    values_file = charts / "keystone" / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    values["pod"]["mounts"] = {
        "keystone_api": {"init_container": None,
                         "keystone_api": {"volumeMounts": [], "volumes": []}},
        "keystone_db_sync": {"keystone_db_sync": {"volumeMounts": [], "volumes": []}},
    }
    values_file.write_text(yaml.safe_dump(values))
    (tmp_path / "site.yaml").write_text(SITE.read_text().replace("{path: charts}",
                                                                 f"{{path: {charts}}}"))
    monkeypatch.setenv("HELMDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert run(capsys, "site", "import", str(tmp_path / "site.yaml"))[0] == 0

    code, out, _ = run(capsys, "patches", "attach", "keystone", "openstack",
                       "--configmap", "keystone-patches", "--dry-run")
    assert code == 0 and list(yaml.safe_load(out)["pod"]["mounts"]) == ["keystone_api"]
    code, out, _ = run(capsys, "patches", "attach", "keystone", "openstack",
                       "--configmap", "keystone-patches")
    assert code == 0 and "mounted at /var/lib/helmdeck/patches in keystone_api" in out

    from helmdeck.overrides.service import OverrideService
    from helmdeck.store import open_store

    user = OverrideService(open_store()).get("keystone", "openstack").user
    assert user["pod"]["mounts"]["keystone_api"]["keystone_api"]["volumes"] == [
        {"name": "helmdeck-patches",
         "configMap": {"name": "keystone-patches", "defaultMode": 0o444}}
    ]
