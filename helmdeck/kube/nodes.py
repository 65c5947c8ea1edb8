"""Node labels and taints: the patch that brings a node to what the inventory asks for.

The adapter speaks plain data (``NodeSpec``); which labels a host should carry is decided by
the site (``helmdeck.site.nodes``). Other tools own labels and taints too (the kubelet,
cordon, the cluster installer), so helmdeck records on each node which labels and taints it
set itself (the ``helmdeck.io/managed-labels`` and ``helmdeck.io/managed-taints``
annotations) and only ever removes those. The record lives on the node, not in helmdeck's
database, so an operator on another machine, or with a fresh database, removes exactly the
same ones.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Node

from helmdeck.errors import ClusterError, UserError

MANAGED_LABELS = "helmdeck.io/managed-labels"
MANAGED_TAINTS = "helmdeck.io/managed-taints"
_CONFLICT_RETRIES = 5

TaintId = tuple[str, str]  # (key, effect): what identifies a taint on a node


@dataclass(frozen=True)
class NodeTaint:
    key: str
    value: str
    effect: str

    def text(self) -> str:
        key = f"{self.key}={self.value}" if self.value else self.key
        return f"{key}:{self.effect}"

    @property
    def ident(self) -> TaintId:
        return (self.key, self.effect)

    def to_api(self) -> dict[str, Any]:
        value = {"value": self.value} if self.value else {}
        return {"key": self.key, "effect": self.effect, **value}


@dataclass(frozen=True)
class NodeSpec:
    """What one node should carry: its labels and taints; ``owned`` label keys not in
    ``labels`` are removed."""

    name: str
    labels: dict[str, str]
    taints: tuple[NodeTaint, ...]
    owned: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeState:
    """A node as read from the API: labels, taints, what helmdeck set, the version read."""

    labels: dict[str, str]
    taints: list[dict[str, Any]]
    managed_labels: frozenset[str]
    managed_taints: frozenset[TaintId]
    resource_version: str | None = None


@dataclass(frozen=True)
class NodeChange:
    """The patch for one node and what it does, for the one-line report."""

    name: str
    patch: dict[str, Any]
    set_labels: tuple[str, ...]
    removed_labels: tuple[str, ...]
    set_taints: tuple[str, ...]
    removed_taints: tuple[str, ...]

    def summary(self) -> str:
        parts = []
        if self.set_labels:
            parts.append(f"set {_count(self.set_labels, 'label')}")
        if self.removed_labels:
            parts.append(f"removed {_count(self.removed_labels, 'label')} "
                         f"({', '.join(self.removed_labels)})")
        if self.set_taints:
            parts.append(f"set {_count(self.set_taints, 'taint')} ({', '.join(self.set_taints)})")
        if self.removed_taints:
            parts.append(f"removed {_count(self.removed_taints, 'taint')} "
                         f"({', '.join(self.removed_taints)})")
        return f"{self.name}: {', '.join(parts) or 'recorded what helmdeck manages'}"


def _count(items: tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def kubectl_commands(nodes: list[NodeSpec]) -> list[str]:
    """The kubectl equivalent of adding what the inventory asks for (no cluster is read, so
    removals of what helmdeck set earlier show only in ``nodes apply``)."""
    lines = []
    for n in nodes:
        pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in n.labels.items())
        lines.append(f"kubectl label node {shlex.quote(n.name)} {pairs} --overwrite")
        if n.taints:
            taints = " ".join(shlex.quote(t.text()) for t in n.taints)
            lines.append(f"kubectl taint node {shlex.quote(n.name)} {taints} --overwrite")
    return lines


def read_state(node: Node) -> NodeState:
    """Labels, taints and helmdeck's own record of a node object."""
    meta = node.metadata
    annotations = dict((meta.annotations if meta else None) or {})
    taints = [t.to_dict() for t in (node.spec.taints or [])] if node.spec else []
    return NodeState(
        labels=dict((meta.labels if meta else None) or {}),
        taints=taints,
        managed_labels=frozenset(_json_list(annotations.get(MANAGED_LABELS))),
        managed_taints=frozenset(_taint_ids(annotations.get(MANAGED_TAINTS))),
        resource_version=meta.resourceVersion if meta else None,
    )


def _json_list(text: str | None) -> list[str]:
    """A managed-* annotation's entries; a hand-edited, unreadable one counts as empty, so
    helmdeck then removes nothing rather than guessing."""
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _taint_ids(text: str | None) -> list[TaintId]:
    out = []
    for entry in _json_list(text):
        key, sep, effect = entry.rpartition(":")
        if sep:
            out.append((key, effect))
    return out


def _value_of(taint: Mapping[str, Any] | None) -> str | None:
    """A taint's value ("" when it has none), None when the node lacks the taint."""
    return None if taint is None else str(taint.get("value") or "")


def _taint_text(t: Mapping[str, Any]) -> str:
    key = f"{t.get('key')}={t['value']}" if t.get("value") else str(t.get("key"))
    return f"{key}:{t.get('effect')}"


def node_change(spec: NodeSpec, state: NodeState) -> NodeChange | None:
    """The patch bringing a node to ``spec``, or None when it already is.

    A label or taint counts as helmdeck's once helmdeck has written it (it was missing or had
    another value) or was already recorded as helmdeck's; one that already had the wanted
    value is left unrecorded, so helmdeck never removes what another tool put there.
    Taints are a plain list in the Node API (no merge key), so the whole new list is sent,
    guarded by the resourceVersion it was computed from.
    """
    set_labels = tuple(k for k, v in spec.labels.items() if state.labels.get(k) != v)
    drop_labels = tuple(sorted(k for k in state.managed_labels
                               if k not in spec.labels and k in state.labels))
    managed_labels = sorted((state.managed_labels & spec.labels.keys()) | set(set_labels))

    wanted = {t.ident: t for t in spec.taints}
    current = {(str(t.get("key")), str(t.get("effect"))): t for t in state.taints}
    set_taints = tuple(t for t in spec.taints if _value_of(current.get(t.ident)) != t.value)
    drop_taints = sorted(i for i in state.managed_taints if i not in wanted and i in current)
    managed_taints = sorted((state.managed_taints & wanted.keys())
                            | {t.ident for t in set_taints})

    labels_patch: dict[str, str | None] = {k: spec.labels[k] for k in set_labels}
    labels_patch.update({k: None for k in drop_labels})
    annotations: dict[str, str | None] = {}
    if set(managed_labels) != state.managed_labels:
        annotations[MANAGED_LABELS] = json.dumps(managed_labels) if managed_labels else None
    if set(managed_taints) != state.managed_taints:
        annotations[MANAGED_TAINTS] = (
            json.dumps([f"{k}:{e}" for k, e in managed_taints]) if managed_taints else None
        )
    metadata: dict[str, Any] = {}
    if labels_patch:
        metadata["labels"] = labels_patch
    if annotations:
        metadata["annotations"] = annotations
    patch: dict[str, Any] = {}
    if set_taints or drop_taints:
        gone = set(drop_taints) | {t.ident for t in set_taints}
        kept = [t for t in state.taints if (t.get("key"), t.get("effect")) not in gone]
        patch["spec"] = {"taints": kept + [t.to_api() for t in set_taints]}
    if not metadata and not patch:
        return None
    if state.resource_version:
        metadata["resourceVersion"] = state.resource_version
    patch["metadata"] = metadata
    return NodeChange(
        name=spec.name,
        patch=patch,
        set_labels=set_labels,
        removed_labels=drop_labels,
        set_taints=tuple(t.text() for t in set_taints),
        removed_taints=tuple(_taint_text(current[i]) for i in drop_taints),
    )


def apply_nodes(nodes: list[NodeSpec], client: Client) -> list[str]:
    """Bring every node to its spec through ``client``; one line per node changed.

    Every node is read before any is patched, so a host missing from the cluster is refused
    with nothing changed. A node changed by someone else between the read and the patch
    (409: the resourceVersion no longer matches) is read again and its patch recomputed.
    """
    states = _read_all(nodes, client)
    done = []
    for n in nodes:
        change = node_change(n, states[n.name])
        for _ in range(_CONFLICT_RETRIES):
            if change is None:
                break
            try:
                client.patch(Node, n.name, change.patch)
                break
            except ApiError as exc:
                if exc.status.code != 409:
                    raise ClusterError(f"node {n.name}: patch refused: {exc.status.message}"
                                       ) from None
                change = node_change(n, read_state(client.get(Node, n.name)))
        else:
            raise ClusterError(f"node {n.name}: changed by others {_CONFLICT_RETRIES} times "
                               "while helmdeck patched it; run nodes apply again")
        if change is not None:
            done.append(change.summary())
    return done


def _read_all(nodes: list[NodeSpec], client: Client) -> dict[str, NodeState]:
    states: dict[str, NodeState] = {}
    missing = []
    for n in nodes:
        try:
            states[n.name] = read_state(client.get(Node, n.name))
        except ApiError as exc:
            if exc.status.code != 404:
                raise ClusterError(f"node {n.name}: cannot read it: {exc.status.message}"
                                   ) from None
            missing.append(n.name)
    if missing:
        noun = "node" if len(missing) == 1 else "nodes"
        verb = "is" if len(missing) == 1 else "are"
        raise UserError(
            f"spec.hosts: {noun} {', '.join(missing)} {verb} not in the cluster; join "
            f"{'it' if len(missing) == 1 else 'them'} first or remove "
            f"{'it' if len(missing) == 1 else 'them'} from site.yaml (nothing was changed)"
        )
    return states
