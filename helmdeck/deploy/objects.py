"""The Kubernetes objects inside rendered manifests, and a digest per object.

``plan`` compares these digests with the ones recorded at the last apply to name the objects
whose manifests change, without a cluster and without keeping the old manifests (which may
hold secrets): only a hash of each object is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RenderedObject:
    """One object of a release; ``key`` is ``Kind/name`` (``Kind/namespace/name`` elsewhere)."""

    kind: str
    name: str
    key: str
    hook: bool
    digest: str


def parse_objects(manifests: Mapping[str, str], namespace: str) -> list[RenderedObject]:
    """Every object of a render, sorted by key; NOTES.txt and empty documents are skipped.

    Helm hooks are marked because Helm itself deletes and re-creates them on each upgrade, so
    they never need helmdeck's delete-before-upgrade for immutable fields.
    """
    found: dict[str, RenderedObject] = {}
    for path in sorted(manifests):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.load_all(manifests[path], Loader=_Loader):
            if not isinstance(doc, dict) or "kind" not in doc:
                continue
            meta = doc.get("metadata") or {}
            kind, name = str(doc["kind"]), str(meta.get("name", ""))
            ns = meta.get("namespace")
            key = f"{kind}/{name}" if ns in (None, namespace) else f"{kind}/{ns}/{name}"
            hook = "helm.sh/hook" in (meta.get("annotations") or {})
            found[key] = RenderedObject(kind, name, key, hook, _digest(doc))
    return [found[k] for k in sorted(found)]


def digests(objects: list[RenderedObject]) -> dict[str, str]:
    return {o.key: o.digest for o in objects}


def kind_counts(objects: list[RenderedObject]) -> dict[str, int]:
    """Objects per kind, in kind order, for the one-line summary of a render."""
    return dict(sorted(Counter(o.kind for o in objects).items()))


def _digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
