"""Node labels and taints: the patch that brings a node to what the inventory asks for.

The adapter speaks plain data (``NodeSpec``); which labels a host should carry is decided by
the site (``helmdeck.site.nodes``). Apply only adds or updates: labels and taints the
inventory does not mention are left alone, because other tools (the kubelet, cordon, the
cluster installer) own them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Node

from helmdeck.errors import UserError


@dataclass(frozen=True)
class NodeTaint:
    key: str
    value: str
    effect: str

    def text(self) -> str:
        key = f"{self.key}={self.value}" if self.value else self.key
        return f"{key}:{self.effect}"


@dataclass(frozen=True)
class NodeSpec:
    """What one node should carry: its labels and taints; ``owned`` label keys not in
    ``labels`` are removed."""

    name: str
    labels: dict[str, str]
    taints: tuple[NodeTaint, ...]
    owned: tuple[str, ...] = ()


def kubectl_commands(nodes: list[NodeSpec]) -> list[str]:
    """The kubectl equivalent of ``nodes apply``, one command per node and change kind."""
    lines = []
    for n in nodes:
        pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in n.labels.items())
        lines.append(f"kubectl label node {shlex.quote(n.name)} {pairs} --overwrite")
        if n.taints:
            taints = " ".join(shlex.quote(t.text()) for t in n.taints)
            lines.append(f"kubectl taint node {shlex.quote(n.name)} {taints} --overwrite")
    return lines


def merged_taints(current: list[dict[str, Any]], wanted: tuple[NodeTaint, ...]
                  ) -> list[dict[str, Any]]:
    """The node's taints with the inventory's set: same key and effect is replaced, rest kept."""
    ours = {(t.key, t.effect) for t in wanted}
    kept = [t for t in current if (t.get("key"), t.get("effect")) not in ours]
    return kept + [
        {"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})}
        for t in wanted
    ]


def node_patch(spec: NodeSpec, labels: dict[str, str], taints: list[dict[str, Any]]
               ) -> dict[str, Any] | None:
    """The patch that brings a node (its current labels and taints) to ``spec``, or None."""
    patch: dict[str, Any] = {}
    changed: dict[str, str | None] = {k: v for k, v in spec.labels.items() if labels.get(k) != v}
    changed.update({k: None for k in spec.owned if k in labels and k not in spec.labels})
    if changed:
        patch["metadata"] = {"labels": changed}
    new_taints = merged_taints(taints, spec.taints)
    if spec.taints and _taint_set(new_taints) != _taint_set(taints):
        patch["spec"] = {"taints": new_taints}
    return patch or None


def _taint_set(taints: list[dict[str, Any]]) -> set[tuple[Any, Any, Any]]:
    return {(t.get("key"), t.get("value") or "", t.get("effect")) for t in taints}


def apply_nodes(nodes: list[NodeSpec], client: Client) -> list[str]:
    """Patch every node through ``client``; one line per node changed.

    Taints are a plain list in the Node API (no merge key), so the full merged list is sent.
    A host missing from the cluster is an operator error, reported before anything changes.
    """
    current: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
    for n in nodes:
        try:
            node = client.get(Node, n.name)
        except ApiError as exc:
            if exc.status.code == 404:
                raise UserError(
                    f"spec.hosts: node {n.name} is not in the cluster; join it first or "
                    "remove it from site.yaml"
                ) from None
            raise
        taints = [t.to_dict() for t in (node.spec.taints or [])] if node.spec else []
        labels = dict(node.metadata.labels or {}) if node.metadata else {}
        current[n.name] = (labels, taints)
    done = []
    for n in nodes:
        patch = node_patch(n, *current[n.name])
        if patch is None:
            continue
        client.patch(Node, n.name, patch)
        parts = [f"{len(patch['metadata']['labels'])} labels" if "metadata" in patch else "",
                 "taints" if "spec" in patch else ""]
        done.append(f"{n.name}: set {' and '.join(p for p in parts if p)}")
    return done
