"""The Kubernetes objects inside rendered manifests, and a digest per object.

``plan`` compares these digests with the ones recorded at the last apply to name the objects
whose manifests change, without a cluster and without keeping the old manifests (which may
hold secrets): only a hash of each object is stored.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)
# The comment Helm puts before each document of a release manifest (not in a render).
_SOURCE = re.compile(r"\A(?:[ \t]*# Source: [^\n]*\n)+")


@dataclass(frozen=True)
class RenderedObject:
    """One object of a release; ``key`` is ``Kind/name`` (``Kind/namespace/name`` elsewhere)."""

    kind: str
    name: str
    key: str
    hook: bool
    digest: str
    namespace: str = ""


def parse_objects(manifests: Mapping[str, str], namespace: str) -> list[RenderedObject]:
    """Every object of a render, sorted by key; NOTES.txt and empty documents are skipped.

    Only each document's ``kind`` and ``metadata`` are parsed as YAML; the digest is taken
    over the document's text, which Helm renders identically for identical inputs. Parsing
    whole manifests costs as much as rendering them. The ``# Source:`` comment Helm puts
    before each document of a stored release manifest is left out of the digest, so a render
    and a release's manifest digest alike. Helm hooks are marked because Helm
    deletes and re-creates them on each upgrade itself, so they never need helmdeck's
    delete-before-upgrade for immutable fields.
    """
    found: dict[str, RenderedObject] = {}
    for path in sorted(manifests):
        if path.endswith("NOTES.txt"):
            continue
        for doc in _SEPARATOR.split(manifests[path]):
            head = yaml.load(_header(doc), Loader=_Loader)
            if not isinstance(head, dict) or "kind" not in head:
                continue
            meta = head.get("metadata") or {}
            kind, name = str(head["kind"]), str(meta.get("name", ""))
            ns = meta.get("namespace")
            key = f"{kind}/{name}" if ns in (None, namespace) else f"{kind}/{ns}/{name}"
            hook = "helm.sh/hook" in (meta.get("annotations") or {})
            body = _SOURCE.sub("", doc.strip() + "\n").strip()
            digest = hashlib.sha256(body.encode()).hexdigest()
            found[key] = RenderedObject(kind, name, key, hook, digest, str(ns or namespace))
    return [found[k] for k in sorted(found)]


def _header(doc: str) -> str:
    """The document's top-level ``kind`` and ``metadata`` entries, with their indented lines."""
    out: list[str] = []
    keep = False
    for line in doc.splitlines():
        if not line or line[0] in " \t#-":
            if keep:
                out.append(line)
            continue
        keep = line.startswith(("kind:", "metadata:"))
        if keep:
            out.append(line)
    return "\n".join(out)


def digests(objects: list[RenderedObject]) -> dict[str, str]:
    return {o.key: o.digest for o in objects}


def kind_counts(objects: list[RenderedObject]) -> dict[str, int]:
    """Objects per kind, in kind order, for the one-line summary of a render."""
    return dict(sorted(Counter(o.kind for o in objects).items()))
