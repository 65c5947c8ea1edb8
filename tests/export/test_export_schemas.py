"""Every exported document against the engine's own schema (with negative cases proving each
validator can fail), and the references between documents resolved inside the export."""

from __future__ import annotations

import copy
import posixpath
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_schemas import (
    argocd_application,
    armada_validator,
    errors,
    flux_helmrelease,
    helmfile_validator,
    openapi_to_json_schema,
)
from export_env import (
    ENGINE_OPTIONS,
    FORMATS,
    PATH_PREFIX,
    REPO_URL,
    Site,
    files_of,
    load_docs,
    run,
    sops_decrypt,
)
from jsonschema import Draft7Validator

from helmdeck.application import load_application
from helmdeck.check.rules import Context, rabbitmq_statefulset
from helmdeck.overrides.formats import ARGOCD_JOB_ANNOTATIONS
from helmdeck.plugins.registry import load_plugins


def _deps() -> dict[str, tuple[str, ...]]:
    return {c.name: c.depends_on for c in load_application().charts}


def _rollout() -> dict[str, tuple[bool, int]]:
    """chart -> (wait, timeout) of the packaged application."""
    return {c.name: (c.wait, c.timeout) for c in load_application().charts}


def _plain_docs(out: Path) -> dict[str, list[Any]]:
    """The deployable documents, per file (the encrypted secret files apart)."""
    return {p.name: load_docs(p) for p in sorted(out.glob("*.yaml"))
            if not p.name.endswith(".secrets.yaml")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_export_holds_a_placeholder(site: Site, fmt: str) -> None:
    for name, text in files_of(site.encrypted(fmt)).items():
        assert "<redacted>" not in text, name
    code, out, err = site.export(fmt, "--reveal", *ENGINE_OPTIONS[fmt])
    assert code == 0, err
    files = files_of(out)
    assert any(n.endswith(".secrets.yaml") for n in files)
    for name, text in files.items():
        assert "<redacted>" not in text, name


# --- Flux ------------------------------------------------------------------------------------


def test_fluxcd_documents_and_references(site: Site) -> None:
    out = site.encrypted("fluxcd")
    docs = _plain_docs(out)
    releases = {(d["metadata"]["namespace"], d["metadata"]["name"]): d
                for ds in docs.values() for d in ds if d["kind"] == "HelmRelease"}
    sources = {(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]): d
               for ds in docs.values() for d in ds
               if d["apiVersion"] == "source.toolkit.fluxcd.io/v1"}
    secrets = {}
    for path in out.glob("*.secrets.yaml"):
        doc = yaml.safe_load(sops_decrypt(path, site.key))
        assert (doc["apiVersion"], doc["kind"], doc["type"]) == ("v1", "Secret", "Opaque")
        assert all(isinstance(v, str) for v in doc["stringData"].values())
        secrets[(doc["metadata"]["namespace"], doc["metadata"]["name"])] = doc
    assert len(releases) == 13 and len(sources) == 1 and secrets
    ((kind, _, _), source), = sources.items()
    assert kind == "GitRepository"
    assert source["spec"] == {"url": REPO_URL, "interval": "10m", "ref": {"branch": "main"}}
    validator = flux_helmrelease()
    read: set[tuple[str, str]] = set()
    for (ns, name), hr in releases.items():
        assert errors(validator, hr) == [], name
        spec = hr["spec"]
        assert ("chart" in spec) != ("chartRef" in spec)  # the CRD's CEL rule
        chart = spec["chart"]["spec"]
        ref = chart["sourceRef"]
        assert (ref["kind"], ref.get("namespace", ns), ref["name"]) in sources, name
        # Git sources: a new artifact per revision; the chart version would be ignored.
        assert chart["reconcileStrategy"] == "Revision" and "version" not in chart
        assert chart["chart"] == f"./{PATH_PREFIX}/{name}"
        for vf in spec.get("valuesFrom", []):
            assert vf["kind"] == "Secret" and (ns, vf["name"]) in secrets, name
            assert vf["valuesKey"] in secrets[(ns, vf["name"])]["stringData"]
            read.add((ns, vf["name"]))
        deps = [(d.get("namespace", ns), d["name"]) for d in spec.get("dependsOn", [])]
        assert all(d in releases for d in deps), name
        exported = {n for _, n in releases}
        assert sorted(n for _, n in deps) == sorted(d for d in _deps()[name] if d in exported)
        wait, timeout = _rollout()[name]
        assert spec["timeout"] == f"{timeout}s"
        assert spec.get("install", {}).get("disableWait", False) is (not wait)
        assert spec.get("upgrade", {}).get("disableWait", False) is (not wait)
    assert read == set(secrets)
    (kustomization,) = docs["kustomization.yaml"]
    assert sorted(kustomization["resources"]) == sorted(
        n for n in files_of(out) if n not in ("kustomization.yaml", "README.md"))
    assert "decryption" in files_of(out)["README.md"]


def test_fluxcd_validator_can_fail(site: Site) -> None:
    (hr,) = load_docs(site.encrypted("fluxcd") / "keystone.yaml")
    validator = flux_helmrelease()
    assert errors(validator, hr) == []
    wrong = copy.deepcopy(hr)
    wrong["spec"]["interval"] = 10
    assert any("interval" in e for e in errors(validator, wrong))
    missing = copy.deepcopy(hr)
    del missing["spec"]["interval"]
    assert any("'interval' is a required property" in e for e in errors(validator, missing))
    unknown = copy.deepcopy(hr)
    unknown["spec"]["valuesFrm"] = []
    assert any("valuesFrm" in e for e in errors(validator, unknown))
    bad_ref = copy.deepcopy(hr)
    bad_ref["spec"]["chart"]["spec"]["sourceRef"]["kind"] = "Repository"
    assert errors(validator, bad_ref)
    assert errors(validator, {**hr, "apiVersion": "helm.toolkit.fluxcd.io/v2beta1"})


# --- Argo CD ---------------------------------------------------------------------------------


def test_argocd_documents_waves_and_hooks(site: Site) -> None:
    out = site.encrypted("argocd")
    docs = _plain_docs(out)
    apps = {d["metadata"]["name"]: d for ds in docs.values() for d in ds
            if d["kind"] == "Application"}
    assert len(apps) == 13
    validator = argocd_application()
    wave = {n: int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
            for n, a in apps.items()}
    for name, app in apps.items():
        assert errors(validator, app) == [], name
        source = app["spec"]["source"]
        assert source["repoURL"] == REPO_URL and not source["repoURL"].startswith("file:")
        assert source["targetRevision"] == "stable" and source["path"] == f"{PATH_PREFIX}/{name}"
        for ref in source["helm"].get("valueFiles", []):
            rel = ref.removeprefix("secrets://")
            in_repo = posixpath.normpath(posixpath.join(source["path"], rel))
            assert (out / posixpath.basename(in_repo)).is_file(), ref
        jobs = source["helm"]["valuesObject"]["annotations"]["job"]
        assert jobs["default"] == ARGOCD_JOB_ANNOTATIONS
        for dep in _deps()[name]:
            if dep in wave:
                # after a dependency it waits for; beside one it must not wait for (nova is
                # not healthy before neutron runs, so a later wave would never come)
                if _rollout()[dep][0]:
                    assert wave[dep] < wave[name], (dep, name)
                else:
                    assert wave[dep] <= wave[name], (dep, name)
        assert app["spec"]["syncPolicy"] == {"automated": {"selfHeal": True}}
    assert min(wave.values()) == 0 and wave["neutron"] == wave["nova"] == max(wave.values())
    (kustomization,) = docs["kustomization.yaml"]
    assert sorted(kustomization["resources"]) == sorted(f"{n}.yaml" for n in apps)


def test_argocd_validator_can_fail(site: Site) -> None:
    (app,) = load_docs(site.encrypted("argocd") / "keystone.yaml")
    validator = argocd_application()
    wrong = copy.deepcopy(app)
    wrong["spec"]["source"]["repoURL"] = 42
    assert any("repoURL" in e for e in errors(validator, wrong))
    missing = copy.deepcopy(app)
    del missing["spec"]["destination"]
    assert any("'destination' is a required property" in e for e in errors(validator, missing))
    unknown = copy.deepcopy(app)
    unknown["spec"]["source"]["helm"]["valueFile"] = []
    assert errors(validator, unknown)
    # values under valuesObject are free-form (x-kubernetes-preserve-unknown-fields)
    free = copy.deepcopy(app)
    free["spec"]["source"]["helm"]["valuesObject"]["anything"] = {"at": ["all"]}
    assert errors(validator, free) == []


def test_openapi_translation() -> None:
    schema = openapi_to_json_schema({
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True},
            "b": {"x-kubernetes-int-or-string": True},
            "c": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    })

    v = Draft7Validator(schema)
    assert v.is_valid({"a": None, "b": 1, "c": {"x": 1}}) and v.is_valid({"b": "50%"})
    assert not v.is_valid({"b": 1.5}) and not v.is_valid({"a": 1}) and not v.is_valid({"d": 1})


def test_argocd_refuses_a_local_chart_path(site: Site) -> None:
    code, out, err = site.export("argocd", "--sops-age", site.key.recipient)
    assert code == 2 and not out.exists() and "--repo-url" in err and err.count("\n") == 1
    code, out, err = site.export("argocd", "--sops-age", site.key.recipient,
                                 "--repo-url", f"file://{out}")
    assert code == 2 and "local path" in err
    code, out, err = site.export("argocd", "--sops-age", site.key.recipient,
                                 "--repo-url", REPO_URL)
    assert code == 2 and "--export-path" in err and not out.exists()


# --- helmfile --------------------------------------------------------------------------------


def test_helmfile_documents_and_references(site: Site) -> None:
    out = site.encrypted("helmfile")
    (doc,) = load_docs(out / "helmfile.yaml")
    assert errors(helmfile_validator(), doc) == []
    names = {f"{r['namespace']}/{r['name']}" for r in doc["releases"]}
    assert len(names) == 13
    for rel in doc["releases"]:
        assert set(rel.get("needs", [])) <= names, rel["name"]
        assert sorted(n.split("/")[1] for n in rel.get("needs", [])) == sorted(
            d for d in _deps()[rel["name"]] if f"openstack/{d}" in names)
        assert (rel["wait"], rel["timeout"]) == _rollout()[rel["name"]]
        for path in rel.get("secrets", []):
            assert (out / path).is_file() and "sops" in yaml.safe_load((out / path).read_text())
        assert "<redacted>" not in yaml.safe_dump(rel)


def test_helmfile_validator_can_fail(site: Site) -> None:
    (doc,) = load_docs(site.encrypted("helmfile") / "helmfile.yaml")
    validator = helmfile_validator()
    wrong = copy.deepcopy(doc)
    wrong["releases"][0]["secrets"] = "mariadb.secrets.yaml"
    assert any("secrets" in e for e in errors(validator, wrong))
    missing = copy.deepcopy(doc)
    del missing["releases"][0]["name"]
    assert any("'name' is a required property" in e for e in errors(validator, missing))
    unknown = copy.deepcopy(doc)
    unknown["releases"][0]["need"] = []
    assert errors(validator, unknown)


# --- Armada ----------------------------------------------------------------------------------


def _armada(site: Site) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    docs = load_docs(site.encrypted("armada") / "armada.yaml")
    by = {s: {d["metadata"]["name"]: d for d in docs if d["schema"] == s}
          for s in ("armada/Chart/v1", "armada/ChartGroup/v1", "armada/Manifest/v1")}
    assert sum(len(v) for v in by.values()) == len(docs)
    return by["armada/Chart/v1"], by["armada/ChartGroup/v1"], by["armada/Manifest/v1"]


def test_armada_documents_and_references(site: Site) -> None:
    out = site.encrypted("armada")
    charts, groups, manifests = _armada(site)
    ((_, manifest),) = manifests.items()
    for schema, docs in (("armada/Chart/v1", charts), ("armada/ChartGroup/v1", groups),
                         ("armada/Manifest/v1", manifests)):
        for name, d in docs.items():
            assert d["metadata"] == {"schema": "metadata/Document/v1", "name": name}
            assert errors(armada_validator(schema), d["data"]) == [], name
    for path in out.glob("*.secrets.yaml"):
        over = yaml.safe_load(sops_decrypt(path, site.key))
        assert over["metadata"]["name"] in charts
        assert errors(armada_validator("armada/Chart/v1"), over["data"]) == []
    # every reference resolves; every chart is deployed once, after its dependencies
    assert all(g in groups for g in manifest["data"]["chart_groups"])
    order = [m for g in manifest["data"]["chart_groups"] for m in groups[g]["data"]["chart_group"]]
    assert sorted(order) == sorted(charts) and len(order) == len(set(order))
    level = {m: n for n, g in enumerate(manifest["data"]["chart_groups"])
             for m in groups[g]["data"]["chart_group"]}
    for name, d in charts.items():
        wait, timeout = _rollout()[d["data"]["chart_name"]]
        assert d["data"]["wait"]["timeout"] == timeout
        # Armada's ChartWait: an explicit empty resource list waits for nothing
        assert (d["data"]["wait"].get("resources") == []) is (not wait)
        for dep in _deps()[d["data"]["chart_name"]]:
            if dep in level:
                assert level[dep] < level[name]


def test_armada_release_names_and_the_values_that_name_them_agree(site: Site) -> None:
    charts, _, manifests = _armada(site)
    ((_, manifest),) = manifests.items()
    prefix = manifest["data"]["release_prefix"]
    assert prefix  # required by the schema; Armada joins it with "-", so never empty
    combined = {d["data"]["chart_name"]: d["data"]["values"] for d in charts.values()}
    # the names Armada gives the releases (armada.utils.release.release_prefixer)
    armada_names = {d["data"]["chart_name"]: f"{prefix}-{d['data']['release']}"
                    for d in charts.values()}
    plugins = load_plugins()

    def rule(releases: dict[str, str]) -> list[Any]:
        return rabbitmq_statefulset(combined,
                                    Context(releases, plugins.catalog, plugins.secret_paths))

    assert rule(armada_names) == []
    names = {v["endpoints"]["oslo_messaging"]["statefulset"]["name"]
             for v in combined.values()
             if "statefulset" in v.get("endpoints", {}).get("oslo_messaging", {})}
    assert names == {f"{prefix}-rabbitmq-rabbitmq"}
    # the check bites: with the bare release names the clients would name absent pods
    bare = {c: d["data"]["release"] for c, d in
            ((d["data"]["chart_name"], d) for d in charts.values())}
    assert rule(bare)


def test_armada_validators_can_fail(site: Site) -> None:
    charts, groups, manifests = _armada(site)
    chart = copy.deepcopy(charts["keystone"]["data"])
    validator = armada_validator("armada/Chart/v1")
    assert errors(validator, {**chart, "release": 1})
    assert any("'source' is a required property" in e
               for e in errors(validator, {k: v for k, v in chart.items() if k != "source"}))
    assert errors(validator, {**chart, "valuez": {}})
    group = next(iter(groups.values()))["data"]
    assert errors(armada_validator("armada/ChartGroup/v1"), {**group, "chart_group": "x"})
    manifest = next(iter(manifests.values()))["data"]
    assert any("'release_prefix' is a required property" in e for e in errors(
        armada_validator("armada/Manifest/v1"),
        {k: v for k, v in manifest.items() if k != "release_prefix"}))


def test_helm_override_show_armada_names_the_releases_armada_makes(site: Site) -> None:
    """``helm-override-show --format armada`` prints the Chart document export writes: a
    Chart in any Armada manifest gets ``release_prefix``, so its values must name
    ``<prefix>-rabbitmq-rabbitmq``, not the bare release's StatefulSet."""
    charts, _, manifests = _armada(site)
    ((_, manifest),) = manifests.items()
    prefix = manifest["data"]["release_prefix"]
    for chart in ("nova", "rabbitmq"):
        code, out, err = run("helm-override-show", chart, "openstack", "--format", "armada")
        assert code == 0, err
        (shown,) = yaml.safe_load_all(out)
        assert shown == charts[chart], chart
    (nova,) = yaml.safe_load_all(run("helm-override-show", "nova", "openstack",
                                     "--format", "armada")[1])
    messaging = nova["data"]["values"]["endpoints"]["oslo_messaging"]
    assert messaging["statefulset"]["name"] == f"{prefix}-rabbitmq-rabbitmq"
    assert nova["data"]["release"] == "nova"  # Armada adds the prefix itself
    # Helm's own format keeps the release helmdeck installs, with its StatefulSet.
    helm = yaml.safe_load(run("helm-override-show", "nova", "openstack", "--format", "helm")[1])
    assert helm["endpoints"]["oslo_messaging"]["statefulset"]["name"] == "rabbitmq-rabbitmq"
