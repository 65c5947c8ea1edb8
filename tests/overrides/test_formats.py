"""The deployer formats: each parses as YAML and carries the values, release facts and order."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from helmdeck.errors import UserError
from helmdeck.overrides import formats
from helmdeck.plugins.registry import load_plugins
from helmdeck.values.merge import merge_values
from helmdeck.values.yamlio import load_values

PATHS = load_plugins().secret_paths

VALUES = {"pod": {"replicas": {"api": 3}}, "on": "yes", "version": "007"}
RELEASE = SimpleNamespace(
    chart="keystone",
    release="ks",
    namespace="openstack",
    chart_dir=Path("/charts/keystone"),
    chart_version="0.3.1",
    depends_on=("mariadb", "memcached"),
)
REFS = {"mariadb": ("infra", "db")}


def _docs(fmt: str) -> list[Any]:
    text = formats.render(fmt, formats.target_of(RELEASE, REFS), VALUES, PATHS)
    return list(yaml.safe_load_all(text))


def test_target_of_resolves_dependencies() -> None:
    target = formats.target_of(RELEASE, REFS)
    assert target.needs == (("infra", "db"), ("openstack", "memcached"))
    overrides = SimpleNamespace(
        name="keystone",
        release="ks",
        namespace="openstack",
        chart_dir=Path("/c/keystone"),
        chart_version="1",
        depends_on=(),
    )
    assert formats.target_of(overrides).chart == "keystone"


def test_helm_is_plain_values_read_back_as_helm_would() -> None:
    text = formats.render("helm", formats.target_of(RELEASE), VALUES, PATHS)
    assert load_values(text) == VALUES


def test_armada() -> None:
    (doc,) = _docs("armada")
    assert doc["schema"] == "armada/Chart/v1"
    data = doc["data"]
    assert (data["chart_name"], data["release"], data["namespace"]) == (
        "keystone",
        "ks",
        "openstack",
    )
    assert data["values"] == VALUES
    assert data["source"] == {"type": "local", "location": "/charts/keystone", "subpath": "."}


SECRET = {
    "endpoints": {"identity": {"auth": {"admin": {"password": "s3cr3t", "username": "admin"}}}}
}
GIT = formats.ChartSource("git", "https://git.example/charts.git", "v1", "charts")


def test_fluxcd_helmrelease_values_inline_and_secrets_from_a_secret() -> None:
    values = {**VALUES, **SECRET}
    rendered = formats.documents("fluxcd", formats.target_of(RELEASE, REFS), values, PATHS, GIT)
    (release,) = rendered.documents
    secret = rendered.secret
    assert secret is not None and (secret["apiVersion"], secret["kind"]) == ("v1", "Secret")
    assert load_values(secret["stringData"]["values.yaml"]) == {
        "endpoints": {"identity": {"auth": {"admin": {"password": "s3cr3t"}}}}
    }
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert release["kind"] == "HelmRelease"
    spec = release["spec"]
    assert spec["values"]["endpoints"]["identity"]["auth"]["admin"] == {"username": "admin"}
    assert "s3cr3t" not in yaml.safe_dump(release)
    assert spec["valuesFrom"] == [
        {"kind": "Secret", "name": secret["metadata"]["name"], "valuesKey": "values.yaml"}
    ]
    assert spec["dependsOn"] == [
        {"name": "db", "namespace": "infra"},
        {"name": "memcached", "namespace": "openstack"},
    ]
    assert spec["chart"]["spec"] == {
        "chart": "./charts/keystone",
        "reconcileStrategy": "Revision",
        "sourceRef": {"kind": "GitRepository", "name": "openstack-helm", "namespace": "openstack"},
    }
    assert secret["metadata"]["namespace"] == release["metadata"]["namespace"] == "openstack"
    assert rendered.secret_keys == ["endpoints.identity.auth.admin.password"]


def test_fluxcd_helm_repository_keeps_the_chart_version() -> None:
    repo = formats.ChartSource("helm", "https://charts.example", namespace="flux-system")
    (release,) = formats.documents(
        "fluxcd", formats.target_of(RELEASE), VALUES, PATHS, repo
    ).documents
    assert release["spec"]["chart"]["spec"] == {
        "chart": "keystone",
        "version": "0.3.1",
        "sourceRef": {
            "kind": "HelmRepository",
            "name": "openstack-helm",
            "namespace": "flux-system",
        },
    }
    assert "valuesFrom" not in release["spec"]  # no secrets, no Secret
    assert formats.flux_source(repo, "openstack")["spec"] == {
        "url": "https://charts.example",
        "interval": "10m",
    }
    commit = formats.ChartSource("git", "https://g", "a" * 40)
    assert formats.flux_source(commit, "ns")["spec"]["ref"] == {"commit": "a" * 40}


def test_fluxcd_without_dependencies_has_no_depends_on() -> None:
    lone = SimpleNamespace(**{**vars(RELEASE), "depends_on": ()})
    (release,) = yaml.safe_load_all(formats.render("fluxcd", formats.target_of(lone), {}, PATHS))
    assert "dependsOn" not in release["spec"]


def test_helmfile() -> None:
    (doc,) = _docs("helmfile")
    (entry,) = doc["releases"]
    assert entry["name"] == "ks" and entry["namespace"] == "openstack"
    assert entry["chart"] == "/charts/keystone" and entry["version"] == "0.3.1"
    assert entry["values"] == [VALUES] and "secrets" not in entry
    assert entry["needs"] == ["infra/db", "openstack/memcached"]
    rendered = formats.documents("helmfile", formats.target_of(RELEASE), SECRET, PATHS)
    (entry,) = rendered.documents[0]["releases"]
    assert entry["secrets"] == ["ks.secrets.yaml"]
    assert entry["values"] == [
        {"endpoints": {"identity": {"auth": {"admin": {"username": "admin"}}}}}
    ]


def test_argocd() -> None:
    (doc,) = _docs("argocd")
    assert doc["apiVersion"] == "argoproj.io/v1alpha1" and doc["kind"] == "Application"
    helm = doc["spec"]["source"]["helm"]
    assert helm["valuesObject"] == {
        **VALUES,
        "annotations": {"job": {"default": formats.ARGOCD_JOB_ANNOTATIONS}},
    }
    assert helm["releaseName"] == "ks" and "valueFiles" not in helm
    assert doc["spec"]["destination"]["namespace"] == "openstack"
    rendered = formats.documents(
        "argocd",
        formats.target_of(RELEASE),
        SECRET,
        PATHS,
        GIT,
        secrets_path="../../x/ks.secrets.yaml",
        wave=2,
    )
    (app,) = rendered.documents
    assert app["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "2"}
    assert app["spec"]["source"]["helm"]["valueFiles"] == ["secrets://../../x/ks.secrets.yaml"]
    assert app["spec"]["source"]["repoURL"] == GIT.url
    assert (app["spec"]["source"]["path"], app["spec"]["source"]["targetRevision"]) == (
        "charts/keystone",
        "v1",
    )


def test_argocd_job_hooks_keep_per_job_annotations() -> None:
    values = {"annotations": {"job": {"keystone_db_sync": {"x/y": "1"}, "other": None}}}
    jobs = formats.with_argocd_hooks(values)["annotations"]["job"]
    assert jobs["keystone_db_sync"] == {**formats.ARGOCD_JOB_ANNOTATIONS, "x/y": "1"}
    assert jobs["other"] == jobs["default"] == formats.ARGOCD_JOB_ANNOTATIONS
    assert values == {"annotations": {"job": {"keystone_db_sync": {"x/y": "1"}, "other": None}}}


def test_render_leaves_secrets_out_unless_revealed() -> None:
    target = formats.target_of(RELEASE)
    for fmt in formats.FORMATS:
        hidden = formats.render(fmt, target, SECRET, PATHS)
        assert "s3cr3t" not in hidden and "<redacted>" not in hidden
        assert hidden.startswith(
            "# 1 secret values are not in this document: endpoints.identity.auth.admin.password\n"
        )
        shown = formats.render(fmt, target, SECRET, PATHS, reveal=True)
        assert "s3cr3t" in shown and "<redacted>" not in shown
        assert list(yaml.safe_load_all(shown))
    # a server's redacted answer is split the same way: no placeholder printed
    redacted = {"endpoints": {"identity": {"auth": {"admin": {"password": "<redacted>"}}}}}
    assert "<redacted>" not in formats.render("fluxcd", target, redacted, PATHS)


def test_output_is_deterministic() -> None:
    for fmt in formats.FORMATS:
        target = formats.target_of(RELEASE, REFS)
        assert formats.render(fmt, target, VALUES, PATHS) == formats.render(
            fmt, target, dict(VALUES), PATHS
        )


def test_unknown_format() -> None:
    with pytest.raises(UserError, match="unknown"):
        formats.render("kustomize", formats.target_of(RELEASE), {}, PATHS)


def _armada_update(d: dict[str, Any], u: dict[str, Any]) -> dict[str, Any]:
    """armada.handlers.override.Override.update, what `armada apply --values` merges with."""
    for k, v in u.items():
        if isinstance(v, dict):
            d[k] = _armada_update(d.get(k, {}), v)
        elif isinstance(v, str) and isinstance(d.get(k), (list, tuple)):
            d[k] = [x.strip() for x in v.split(",")]
        else:
            d[k] = u[k]
    return d


def test_armada_secret_document_merges_into_the_chart_as_armada_does() -> None:
    values = merge_values(VALUES, SECRET)
    slow = formats.Target(
        "keystone", "ks", "openstack", "/c/keystone", "1", wait=False, timeout=900
    )
    rendered = formats.documents("armada", slow, values, PATHS, GIT)
    (doc,) = rendered.documents
    over = rendered.secret
    assert over is not None and over["metadata"] == doc["metadata"]
    assert doc["data"]["source"] == {
        "type": "git",
        "location": GIT.url,
        "subpath": "charts/keystone",
        "reference": "v1",
    }
    assert doc["data"]["wait"] == {"resources": [], "native": {"enabled": False}, "timeout": 900}
    assert {k: v for k, v in over["data"].items() if k != "values"} == {
        k: v for k, v in doc["data"].items() if k != "values"
    }
    merged = _armada_update(copy.deepcopy(doc["data"]), copy.deepcopy(over["data"]))
    assert merged == {**doc["data"], "values": values}
