"""The engines' own schemas (``../shared/reference/schemas``) as JSON Schema validators.

A CRD's ``openAPIV3Schema`` is OpenAPI v3 with Kubernetes extensions, so it is translated
first: ``nullable`` adds ``null`` to the type, ``x-kubernetes-int-or-string`` accepts an
integer or a string, and an object that declares properties refuses any other field unless it
has ``x-kubernetes-preserve-unknown-fields`` (kubectl's strict field validation refuses unknown
fields; the API server would otherwise drop them silently, which is as bad for a values tree).
CEL rules (``x-kubernetes-validations``) are not evaluated here; the tests check the one that
matters to the export (chart xor chartRef) by hand.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from support import REFERENCE_CHARTS

SCHEMAS = REFERENCE_CHARTS.parent / "schemas"


def schemas_dir() -> Path:
    """The schema copies, or skip: CI has ../shared beside the clone; a bare clone does not."""
    if not (SCHEMAS / "README.md").is_file():
        pytest.skip(f"engine schemas not found at {SCHEMAS} (set HELMDECK_REFERENCE to the "
                    "reference directory holding schemas/)")
    return SCHEMAS


def openapi_to_json_schema(node: Any) -> Any:
    """A JSON Schema (draft 7) equivalent of an OpenAPI v3 structural schema."""
    if isinstance(node, list):
        return [openapi_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: openapi_to_json_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = openapi_to_json_schema(value)
        elif key in ("nullable", "x-kubernetes-int-or-string",
                     "x-kubernetes-preserve-unknown-fields") or key.startswith("x-kubernetes-"):
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@cache
def crd_validator(file: str, version: str) -> Draft7Validator:
    crd = yaml.safe_load((schemas_dir() / file).read_text())
    (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = openapi_to_json_schema(entry["schema"]["openAPIV3Schema"])
    # apiVersion/kind are checked against the CRD's group, version and kind too.
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    schema["properties"]["apiVersion"] = {"const": f"{group}/{version}"}
    schema["properties"]["kind"] = {"const": kind}
    schema.setdefault("required", [])
    schema["required"] = sorted({*schema["required"], "apiVersion", "kind", "metadata"})
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def flux_helmrelease() -> Draft7Validator:
    return crd_validator("flux-helmrelease-crd.yaml", "v2")


def argocd_application() -> Draft7Validator:
    return crd_validator("argocd-application-crd.yaml", "v1alpha1")


@cache
def armada_validator(schema: str) -> Draft7Validator:
    """The ``data`` of Armada's ``deckhand/DataSchema/v1`` document for ``schema``."""
    short = schema.split("/")[1].lower()  # armada/Chart/v1 -> chart
    doc = yaml.safe_load((schemas_dir() / f"armada-{short}-schema-v1.yaml").read_text())
    assert doc["metadata"]["name"] == schema
    data = dict(doc["data"])
    data.pop("$schema", None)
    Draft7Validator.check_schema(data)
    return Draft7Validator(data)


@cache
def helmfile_validator() -> Draft7Validator:
    """helmfile.json, with unknown fields refused where it lists the fields: helmfile itself
    decodes strictly, the community schema does not say so."""
    schema = json.loads((schemas_dir() / "helmfile.json").read_text())

    def strict(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in node.values():
                strict(v)
        elif isinstance(node, list):
            for v in node:
                strict(v)

    strict(schema["definitions"]["release"])
    schema["additionalProperties"] = False
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def errors(validator: Draft7Validator, doc: Any) -> list[str]:
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(doc)
    )
