"""Node labels and taints from the inventory (DESIGN.md §2), as kubectl commands or API patches.

The labels are what the charts' node selectors expect (osh-conventions §6). Apply only adds
or updates: labels and taints the inventory does not mention are left alone, because other
tools (the kubelet, cordon, the cluster installer) own them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from helmdeck.site.model import Role, Site, Taint

ENABLED = "enabled"
ZONE_LABEL = "topology.kubernetes.io/zone"
ROLE_LABELS: dict[Role, tuple[str, ...]] = {
    Role.CONTROLLER: ("openstack-control-plane", "openvswitch"),
    Role.COMPUTE: ("openstack-compute-node", "openvswitch"),
    Role.NETWORK: ("openstack-network-node", "l3-agent", "openvswitch"),
    Role.STORAGE: (),
}


@dataclass(frozen=True)
class NodeSpec:
    name: str
    labels: dict[str, str]
    taints: tuple[Taint, ...]


def desired_nodes(site: Site) -> list[NodeSpec]:
    """Each host's labels (roles, zone, then its own extra labels, which win) and taints."""
    nodes = []
    for host in site.spec.hosts:
        labels = {key: ENABLED for role in host.roles for key in ROLE_LABELS[role]}
        if host.zone:
            labels[ZONE_LABEL] = host.zone
        labels.update(host.labels)
        nodes.append(NodeSpec(host.name, dict(sorted(labels.items())), host.taints))
    return nodes


def _taint_text(t: Taint) -> str:
    return f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}"


def kubectl_commands(nodes: list[NodeSpec]) -> list[str]:
    """The kubectl equivalent of ``nodes apply``, one command per node and change kind."""
    lines = []
    for n in nodes:
        pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in n.labels.items())
        lines.append(f"kubectl label node {shlex.quote(n.name)} {pairs} --overwrite")
        if n.taints:
            taints = " ".join(shlex.quote(_taint_text(t)) for t in n.taints)
            lines.append(f"kubectl taint node {shlex.quote(n.name)} {taints} --overwrite")
    return lines


def merged_taints(current: list[dict[str, Any]], wanted: tuple[Taint, ...]) -> list[dict[str, Any]]:
    """The node's taints with the inventory's set: same key and effect is replaced, rest kept."""
    ours = {(t.key, t.effect) for t in wanted}
    kept = [t for t in current if (t.get("key"), t.get("effect")) not in ours]
    return kept + [
        {"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})}
        for t in wanted
    ]


def node_patch(spec: NodeSpec, labels: dict[str, str], taints: list[dict[str, Any]]) -> dict[
    str, Any
] | None:
    """The patch that brings a node (its current labels and taints) to ``spec``, or None."""
    patch: dict[str, Any] = {}
    changed = {k: v for k, v in spec.labels.items() if labels.get(k) != v}
    if changed:
        patch["metadata"] = {"labels": changed}
    new_taints = merged_taints(taints, spec.taints)
    if spec.taints and _taint_set(new_taints) != _taint_set(taints):
        patch["spec"] = {"taints": new_taints}
    return patch or None


def _taint_set(taints: list[dict[str, Any]]) -> set[tuple[Any, Any, Any]]:
    return {(t.get("key"), t.get("value") or "", t.get("effect")) for t in taints}


def apply_nodes(nodes: list[NodeSpec], client: Any) -> list[str]:
    """Patch every node through ``client`` (a lightkube Client); one line per node changed.

    Taints are a plain list in the Node API (no merge key), so the full merged list is sent.
    A host missing from the cluster is an operator error, reported before anything changes.
    """
    from lightkube.core.exceptions import ApiError
    from lightkube.resources.core_v1 import Node

    from helmdeck.errors import UserError

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
        taints = [t.to_dict() if hasattr(t, "to_dict") else dict(t)
                  for t in (node.spec.taints or [])] if node.spec else []
        current[n.name] = (dict(node.metadata.labels or {}), taints)
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
