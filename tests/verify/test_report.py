"""Output formats and the inputs built from helmdeck's own data."""

from __future__ import annotations

import json

import jsonschema
import pytest
from support import as_site, site_doc
from verify_support import pod, release, service

from helmdeck.errors import UserError
from helmdeck.site.nodes import desired_nodes
from helmdeck.verify import (
    RULES,
    Node,
    Taint,
    nodes_from_specs,
    options_from_site,
    parse_manifests,
    rendered_from,
    roles_from_site,
    to_json,
    to_sarif,
    to_table,
    verify,
)
from helmdeck.verify.rules import MODULES

# The parts of SARIF 2.1.0 code-scanning services read, logical locations included.
SARIF = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name", "rules"], "properties": {
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id", "shortDescription"],
                            "properties": {"shortDescription": {
                                "type": "object", "required": ["text"]}}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"type": "object", "required": ["text"]},
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["logicalLocations"],
                            "properties": {"logicalLocations": {"type": "array", "items": {
                                "type": "object", "required": ["name",
                                                               "fullyQualifiedName"]}}}}},
                    }}},
            }}},
    },
}

NODES = [Node("n", {"kubernetes.io/hostname": "n"}, (Taint("m", "", "PreferNoSchedule"),))]


def sample() -> list:  # type: ignore[type-arg]
    rels = [release("nova", service("nova_api", {"app": "nova"}),
                    pod("p", {"app": "nova"}, nodeSelector={"x": "y"}))]
    return verify(rels, NODES)


def test_json() -> None:
    rows = to_json(sample())
    assert [r["rule"] for r in rows] == ["VFY001", "VFY306"]
    assert rows[0] == {
        "rule": "VFY001", "name": "placement-no-host", "severity": "error", "release": "nova",
        "chart": "nova", "object": "Pod/openstack/p", "reason": rows[0]["reason"],
        "fix": rows[0]["fix"]}
    json.dumps(rows)


def test_table() -> None:
    text = to_table(sample())
    lines = text.splitlines()
    assert lines[0].startswith("error  VFY001 placement-no-host  nova")
    assert lines[1].strip().startswith("fix: ")
    assert lines[-1] == "verify: 2 error(s), 0 warning(s)"
    assert to_table([]) == "verify: no findings\n"


def test_sarif() -> None:
    found = sample()
    doc = to_sarif(found)
    jsonschema.validate(doc, SARIF)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(RULES)
    result = run["results"][0]
    assert result["ruleId"] == "VFY001" and result["level"] == "error"
    assert rule_ids[result["ruleIndex"]] == "VFY001"
    loc = result["locations"][0]["logicalLocations"][0]
    assert loc == {"name": "Pod/openstack/p", "fullyQualifiedName": "nova/Pod/openstack/p",
                   "kind": "object"}


def test_sources_become_physical_locations() -> None:
    r = rendered_from("nova", "nova", "openstack", {
        "nova/templates/service.yaml": "kind: Service\nmetadata: {name: a_b}\n"
                                       "spec: {ports: [{name: http, port: 80}]}\n"})
    [f] = verify([r], NODES)
    assert f.source == "nova/templates/service.yaml"
    assert to_json([f])[0]["source"] == f.source
    loc = to_sarif([f])["runs"][0]["results"][0]["locations"][0]
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": f.source}}


def test_every_rule_is_documented_in_its_module() -> None:
    for module in MODULES:
        for rule in module.RULES:
            assert f"{rule.id} {rule.name} ({rule.severity})" in (module.__doc__ or ""), rule


def test_nodes_from_desired_nodes() -> None:
    site = as_site(site_doc([
        {"name": "ctl-0", "roles": ["controller"], "zone": "az1"},
        {"name": "cmp-0", "roles": ["compute"], "labels": {"kubernetes.io/arch": "arm64"},
         "taints": [{"key": "species", "value": "hypervisor", "effect": "NoSchedule"}]},
    ]))
    ctl, cmp = nodes_from_specs(desired_nodes(site))
    assert ctl.labels == {
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "ctl-0",
        "kubernetes.io/os": "linux", "openstack-control-plane": "enabled",
        "openvswitch": "enabled", "topology.kubernetes.io/zone": "az1"}
    assert cmp.labels["kubernetes.io/arch"] == "arm64"
    assert cmp.taints == (Taint("species", "hypervisor", "NoSchedule"),)
    assert roles_from_site(site) == {"compute": frozenset({"cmp-0"}),
                                     "controller": frozenset({"ctl-0"})}
    opts = options_from_site(site, {"secrets": ["ceph-keyring"]})
    assert opts.storage_class == "general" and opts.registry is None
    assert opts.external.has("secrets", "openstack", "ceph-keyring")


def test_parse_manifests() -> None:
    docs = parse_manifests({
        "c/templates/a.yaml": "---\nkind: ConfigMap\nmetadata: {name: a}\n---\n\n---\n# x\n",
        "c/templates/NOTES.txt": "not: [yaml",
        "c/templates/b.yaml": "kind: Secret\nmetadata: {name: b}\n---\n- a list\n",
    })
    assert [d["metadata"]["name"] for d in docs] == ["a", "b"]
    r = rendered_from("c", "rel", "ns", {"t.yaml": "kind: Pod\nmetadata: {name: p}\n"})
    assert (r.chart, r.release, r.namespace, len(r.documents)) == ("c", "rel", "ns", 1)
    with pytest.raises(UserError, match=r"c: t\.yaml: not YAML"):
        rendered_from("c", "rel", "ns", {"t.yaml": "a: [b"})
