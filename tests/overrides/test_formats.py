"""The deployer formats: each parses as YAML and carries the values, release facts and order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from helmdeck.errors import UserError
from helmdeck.overrides import formats
from helmdeck.values.yamlio import load_values

VALUES = {"pod": {"replicas": {"api": 3}}, "on": "yes", "version": "007"}
RELEASE = SimpleNamespace(
    chart="keystone", release="ks", namespace="openstack", chart_dir=Path("/charts/keystone"),
    chart_version="0.3.1", depends_on=("mariadb", "memcached"),
)
REFS = {"mariadb": ("infra", "db")}


def _docs(fmt: str) -> list[Any]:
    text = formats.render(fmt, formats.target_of(RELEASE, REFS), VALUES)
    return list(yaml.safe_load_all(text))


def test_target_of_resolves_dependencies() -> None:
    target = formats.target_of(RELEASE, REFS)
    assert target.needs == (("infra", "db"), ("openstack", "memcached"))
    overrides = SimpleNamespace(name="keystone", release="ks", namespace="openstack",
                                chart_dir=Path("/c/keystone"), chart_version="1", depends_on=())
    assert formats.target_of(overrides).chart == "keystone"


def test_helm_is_plain_values_read_back_as_helm_would() -> None:
    text = formats.render("helm", formats.target_of(RELEASE), VALUES)
    assert load_values(text) == VALUES


def test_armada() -> None:
    (doc,) = _docs("armada")
    assert doc["schema"] == "armada/Chart/v1"
    data = doc["data"]
    assert (data["chart_name"], data["release"], data["namespace"]) == ("keystone", "ks",
                                                                        "openstack")
    assert data["values"] == VALUES
    assert data["source"] == {"type": "local", "location": "/charts/keystone", "subpath": "."}


def test_fluxcd_secret_and_helmrelease() -> None:
    secret, release = _docs("fluxcd")
    assert (secret["apiVersion"], secret["kind"]) == ("v1", "Secret")
    assert load_values(secret["stringData"]["values.yaml"]) == VALUES
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert release["kind"] == "HelmRelease"
    spec = release["spec"]
    assert spec["valuesFrom"] == [{"kind": "Secret", "name": secret["metadata"]["name"],
                                   "valuesKey": "values.yaml"}]
    assert spec["dependsOn"] == [{"name": "db", "namespace": "infra"},
                                 {"name": "memcached", "namespace": "openstack"}]
    assert spec["chart"]["spec"]["version"] == "0.3.1"
    assert secret["metadata"]["namespace"] == release["metadata"]["namespace"] == "openstack"


def test_fluxcd_without_dependencies_has_no_depends_on() -> None:
    lone = SimpleNamespace(**{**vars(RELEASE), "depends_on": ()})
    _, release = yaml.safe_load_all(formats.render("fluxcd", formats.target_of(lone), {}))
    assert "dependsOn" not in release["spec"]


def test_helmfile() -> None:
    (doc,) = _docs("helmfile")
    (entry,) = doc["releases"]
    assert entry["name"] == "ks" and entry["namespace"] == "openstack"
    assert entry["chart"] == "/charts/keystone" and entry["version"] == "0.3.1"
    assert entry["values"] == [VALUES]
    assert entry["needs"] == ["infra/db", "openstack/memcached"]


def test_argocd() -> None:
    (doc,) = _docs("argocd")
    assert doc["apiVersion"] == "argoproj.io/v1alpha1" and doc["kind"] == "Application"
    assert doc["spec"]["source"]["helm"]["valuesObject"] == VALUES
    assert doc["spec"]["source"]["helm"]["releaseName"] == "ks"
    assert doc["spec"]["destination"]["namespace"] == "openstack"


def test_output_is_deterministic() -> None:
    for fmt in formats.FORMATS:
        target = formats.target_of(RELEASE, REFS)
        assert formats.render(fmt, target, VALUES) == formats.render(fmt, target, dict(VALUES))


def test_unknown_format() -> None:
    with pytest.raises(UserError, match="unknown"):
        formats.render("kustomize", formats.target_of(RELEASE), {})
