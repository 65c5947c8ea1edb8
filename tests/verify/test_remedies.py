"""Chart remedies: the application's ``patches:``, applied strictly to a staged copy of the chart,
part of the chart's identity, and shown by ``plan`` and ``explain``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from support import REPO, Run, chart_path, cli_runner, site_doc

from helmdeck.application import load_application
from helmdeck.application.remedies import ChartPatch
from helmdeck.deploy.ops import Deployed
from helmdeck.diffs import apply_diff
from helmdeck.errors import UserError
from helmdeck.helm import patched_chart

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: api
          image: {{ .Values.image }}
"""
PATCH = """\
api: honour pod.node_selector

--- a/templates/deployment.yaml
+++ b/templates/deployment.yaml
@@ -7,5 +7,7 @@
   replicas: {{ .Values.replicas }}
   template:
     spec:
+      nodeSelector:
+        {{ .Values.pod.node_selector.key }}: {{ .Values.pod.node_selector.value | quote }}
       containers:
         - name: api
"""


def make_chart(root: Path, version: str = "0.2.0") -> Path:
    chart = root / "api"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: api\nversion: {version}\n")
    (chart / "values.yaml").write_text(
        "replicas: 1\nimage: api:1\npod:\n  node_selector: {key: openstack-control-plane, "
        "value: enabled}\n")
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    return chart


def write_app(directory: Path, patches: object) -> Path:
    (directory / "patches").mkdir(exist_ok=True)
    (directory / "patches" / "api-selector.diff").write_text(PATCH)
    app = directory / "app.yaml"
    app.write_text(yaml.safe_dump({"name": "t", "charts": [{"name": "api", "patches": patches}]}))
    return app


# --- the application file -----------------------------------------------------------------


def test_the_packaged_application_patches_ovn_for_openstack_helm_versions() -> None:
    [patch] = load_application().chart("ovn").patches
    assert patch.name == "ovn-controller-tolerations.diff"
    assert patch.summary == "ovn: make ovn-controller honour pod.tolerations.ovn_controller"
    assert patch.applies_to("2026.1.0") and not patch.applies_to("0.1.0")
    assert patch.reads() == {"pod.tolerations.ovn_controller.enabled"}


def test_patches_are_read_next_to_the_application_file_or_from_the_package(
        tmp_path: Path) -> None:
    app = load_application(write_app(tmp_path, ["patches/api-selector.diff"]))
    [patch] = app.chart("api").patches
    assert patch.text == PATCH and patch.versions == ()
    copied = tmp_path / "copy.yaml"  # a copy of the packaged application, somewhere else
    shutil.copy(REPO / "helmdeck" / "application" / "openstack-helm.yaml", copied)
    assert load_application(copied).chart("ovn").patches[0].name == \
        "ovn-controller-tolerations.diff"
    explicit = write_app(tmp_path, [{"file": "package:patches/ovn-controller-tolerations.diff",
                                     "versions": ["1.*"]}])
    assert load_application(explicit).chart("api").patches[0].versions == ("1.*",)


@pytest.mark.parametrize(("patches", "message"), [
    ("patches/api-selector.diff", "must be a list of diff files"),
    (["patches/missing.diff"], "patches/missing.diff: no such file next to the application"),
    (["../escape.diff"], "must be a relative path inside"),
    ([{"file": "patches/api-selector.diff", "when": 1}], "unknown key when"),
    ([{"file": "patches/api-selector.diff", "versions": []}], "versions: must be a non-empty"),
    ([{"versions": ["1"]}], "expected the path of a diff file"),
    (["patches/api-selector.diff", "patches/api-selector.diff"], "is listed twice"),
    (["patches/bad.diff"], "hunk header says 1 old and 1 new lines"),
])
def test_bad_patches_are_refused_on_load(tmp_path: Path, patches: object, message: str) -> None:
    app = write_app(tmp_path, patches)
    (tmp_path / "patches" / "bad.diff").write_text("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n")
    with pytest.raises(UserError, match=message) as info:
        load_application(app)
    assert "charts[0].patches" in str(info.value)


# --- applying diffs -------------------------------------------------------------------------


def test_a_diff_applies_at_an_offset_and_keeps_the_linked_original(tmp_path: Path) -> None:
    source = make_chart(tmp_path / "src")
    tree = tmp_path / "tree"
    shutil.copytree(source, tree, copy_function=os.link)
    original = (source / "templates" / "deployment.yaml").read_text()
    (tree / "templates" / "deployment.yaml").unlink()
    (tree / "templates" / "deployment.yaml").write_text("# moved down\n# two lines\n" + original)
    assert apply_diff(tree, "p.diff", PATCH) == ["templates/deployment.yaml"]
    assert "nodeSelector:" in (tree / "templates" / "deployment.yaml").read_text()
    os.link(source / "values.yaml", tmp_path / "linked-values.yaml")
    shutil.copytree(source, tmp_path / "t2", copy_function=os.link)
    apply_diff(tmp_path / "t2", "p.diff", PATCH)
    assert (source / "templates" / "deployment.yaml").read_text() == original  # never through
    #                                                                            the hard link


def test_a_diff_that_does_not_fit_changes_nothing(tmp_path: Path) -> None:
    tree = make_chart(tmp_path)
    other = PATCH + "--- a/values.yaml\n+++ b/values.yaml\n@@ -1,1 +1,1 @@\n-replicas: 9\n+x: 1\n"
    with pytest.raises(UserError, match=r"p.diff:\d+: hunk does not apply to values.yaml"):
        apply_diff(tree, "p.diff", other)
    assert (tree / "templates" / "deployment.yaml").read_text() == TEMPLATE


def test_diffs_made_from_the_checkout_root_and_new_and_deleted_files(tmp_path: Path) -> None:
    tree = make_chart(tmp_path)
    from_root = PATCH.replace("a/templates", "a/api/templates").replace("b/templates",
                                                                         "b/api/templates")
    apply_diff(tree, "root.diff", from_root)
    assert "nodeSelector" in (tree / "templates" / "deployment.yaml").read_text()
    apply_diff(tree, "new.diff", "--- /dev/null\n+++ b/templates/cm.yaml\n@@ -0,0 +1,2 @@\n"
                                 "+kind: ConfigMap\n+# no newline\n\\ No newline at end of file\n")
    assert (tree / "templates" / "cm.yaml").read_text() == "kind: ConfigMap\n# no newline"
    apply_diff(tree, "gone.diff", "--- a/templates/cm.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
                                  "-kind: ConfigMap\n-# no newline\n\\ No newline at end of file\n")
    assert not (tree / "templates" / "cm.yaml").exists()


# --- the staged chart ----------------------------------------------------------------------


def test_the_patched_copy_is_staged_once_marked_and_made_anew_on_change(tmp_path: Path) -> None:
    source = make_chart(tmp_path / "src")
    root = tmp_path / "patched"
    staged = patched_chart(source, [("api-selector.diff", PATCH)], root)
    assert staged.name == "api" and staged.parent.parent == root
    assert patched_chart(source, [("api-selector.diff", PATCH)], root) == staged
    meta = yaml.safe_load((staged / "Chart.yaml").read_text())
    assert meta["version"].startswith("0.2.0+patched.") and len(meta["version"]) == 22
    assert "nodeSelector" in (staged / "templates" / "deployment.yaml").read_text()
    assert "nodeSelector" not in (source / "templates" / "deployment.yaml").read_text()
    (source / "templates" / "service.yaml").write_text("kind: Service\n")
    assert patched_chart(source, [("api-selector.diff", PATCH)], root) != staged
    broken = PATCH.replace("    spec:\n", "    spec: {}\n", 1)
    with pytest.raises(UserError, match=r"api-selector\.diff"):
        patched_chart(source, [("api-selector.diff", broken)], root)
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no leftovers


# --- plan and explain ----------------------------------------------------------------------




@pytest.fixture
def run(helmdeck_home: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(helmdeck_home.parent))

    return cli_runner(capsys)


class Recorded:
    """Release operations that succeed at once (no cluster), for a recorded apply."""

    def deploy(self, release: object, *, wait: bool, timeout: int,
               report: object = None) -> Deployed:
        return Deployed(1)

    def uninstall(self, release: str, namespace: str, *, timeout: int) -> None:
        return None

    def delete_object(self, namespace: str, kind: str, name: str) -> None:
        return None

    def revisions(self) -> None:
        return None


def test_plan_shows_the_patch_and_sees_it_change(run: Run, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    charts = tmp_path / "charts"
    make_chart(charts)
    app = write_app(tmp_path, ["patches/api-selector.diff"])
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(site_doc(
        [{"name": "ctl-0", "roles": ["controller"]}, {"name": "cmp-0", "roles": ["compute"]}],
        charts=chart_path(charts))))
    assert run("site", "import", str(site))[0] == 0
    rc, out, _ = run("plan", "--app", str(app))
    label = ChartPatch("patches/api-selector.diff", PATCH).label()
    assert rc == 0 and f"      patched: {label} (the application's remedy for the chart)" in out
    rc, out, _ = run("plan", "--app", str(app), "-o", "json")
    [item] = json.loads(out)
    first = item["chart_version"]
    assert first.startswith("0.2.0+patched.")
    run("render", "--app", str(app), "--out", str(tmp_path / "out"))
    text = (tmp_path / "out" / "api" / "templates" / "deployment.yaml").read_text()
    assert 'openstack-control-plane: "enabled"' in text
    monkeypatch.setattr("helmdeck.cli.deploy_cmd.connect", lambda dry_run: Recorded())
    rc, out, err = run("apply", "--app", str(app))
    assert rc == 0, out + err
    assert "no changes" in run("plan", "--app", str(app))[1]
    (tmp_path / "patches" / "api-selector.diff").write_text(PATCH.replace("honour", "honours"))
    rc, out, _ = run("plan", "--app", str(app), "-o", "json")
    [item] = json.loads(out)
    assert (item["action"], item["reason"]) == (
        "upgrade", f"chart {first} -> {item['chart_version']}")


def test_explain_names_the_patch_that_makes_the_chart_read_a_key(
        run: Run, tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())
    osh = Path(os.environ.get("HELMDECK_OSH_CHECKOUT") or "/work/osh")
    if not (osh / "helm-toolkit" / "Chart.yaml").is_file():
        pytest.skip(f"no openstack-helm checkout at {osh}")
    doc["spec"]["charts"]["source"]["path"] = str(osh)
    doc["spec"]["network"]["backend"] = "ovn"
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(doc))
    assert run("site", "import", str(site))[0] == 0
    rc, out, err = run("explain", "ovn", "openstack", "pod.tolerations.ovn_controller.enabled")
    assert rc == 0, err
    assert "the chart reads it through the application's patch ovn-controller-tolerations.diff" \
        in out
    rc, out, _ = run("explain", "ovn", "openstack", "pod.replicas.ovn_northd")
    assert "patch" not in out
