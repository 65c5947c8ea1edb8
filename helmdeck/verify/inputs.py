"""Turning helmdeck's own data into verify's inputs: renders, nodes, roles, site options.

Kept apart from the engine so the engine sees only plain data. Node labels come from
``helmdeck nodes`` (``desired_nodes``), handed in as values of that shape, so the role →
label policy lives in one place.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import yaml

from helmdeck.errors import UserError
from helmdeck.site.model import Site
from helmdeck.verify.model import External, Node, Options, Rendered, Taint
from helmdeck.verify.scheduling import HOSTNAME_LABEL

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# What the kubelet labels every node with (the test cluster's KWOK nodes carry the same).
OS_LABEL, ARCH_LABEL = "kubernetes.io/os", "kubernetes.io/arch"


class _TaintLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def effect(self) -> str: ...


class NodeSpecLike(Protocol):
    """The shape of ``helmdeck.deploy.nodes.NodeSpec``: what ``nodes apply`` sets."""

    @property
    def name(self) -> str: ...
    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def taints(self) -> Iterable[_TaintLike]: ...


def parse_manifests(manifests: Mapping[str, str], where: str = "") -> tuple[
    dict[str, Any], ...
]:
    """The documents of a render (template path -> YAML text), parsed with the C loader.

    NOTES.txt, empty documents and documents that are not mappings are left out; a document
    that is not YAML is a user error naming the template (a patched chart can produce one).
    """
    return tuple(doc for _, doc in _parse(manifests, where))


def _parse(manifests: Mapping[str, str], where: str) -> list[tuple[str, dict[str, Any]]]:
    """(template path, document) for every document, templates in path order."""
    docs: list[tuple[str, dict[str, Any]]] = []
    with _gc_paused():
        for path in sorted(manifests):
            if path.endswith("NOTES.txt"):
                continue
            try:
                found = list(yaml.load_all(manifests[path], Loader=_Loader))
            except yaml.YAMLError as exc:
                first = str(exc).splitlines()[0]
                raise UserError(f"{where}{path}: not YAML: {first}") from None
            docs.extend((path, d) for d in found if isinstance(d, dict) and d)
    return docs


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while parsing: the documents are trees (no cycles to
    find), and the collector rescanning every new dict as tens of thousands are built costs
    as much as the parse itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rendered_from(chart: str, release: str, namespace: str,
                  manifests: Mapping[str, str]) -> Rendered:
    """A :class:`Rendered` from one release's ``{template path: YAML text}``, each document
    with the template it came from."""
    pairs = _parse(manifests, f"{chart}: ")
    return Rendered(chart, release, namespace, tuple(d for _, d in pairs),
                    tuple(p for p, _ in pairs))


def nodes_from_specs(specs: Iterable[NodeSpecLike]) -> list[Node]:
    """Nodes as they are once ``nodes apply`` ran: the labels every node has (hostname =
    the node's name, os=linux, arch=amd64) overwritten by the inventory's labels, which is
    what ``nodes apply`` does to them, and the inventory's taints."""
    out = []
    for s in specs:
        labels = {HOSTNAME_LABEL: s.name, OS_LABEL: "linux", ARCH_LABEL: "amd64", **s.labels}
        taints = tuple(Taint(t.key, t.value, t.effect) for t in s.taints)
        out.append(Node(s.name, dict(sorted(labels.items())), taints))
    return out


def roles_from_site(site: Site) -> dict[str, frozenset[str]]:
    """Host names per role, for findings that say which role a host has."""
    return {
        str(role): frozenset(h.name for h in site.spec.hosts if role in h.roles)
        for role in sorted({r for h in site.spec.hosts for r in h.roles})
    }


# With ceph storage the cluster is a client of a Ceph cluster outside the application: in
# openstack-helm the client configuration and the admin keyring the storage-init jobs copy
# (``ceph_client.configmap`` and ``ceph_client.user_secret_name`` of every chart) come from
# the ceph-adapter-rook (or ceph-provisioners) chart that connects the namespace to Ceph,
# which helmdeck does not deploy. They are not missing; they are the site's Ceph.
CEPH_CLIENT = {"configmaps": ["ceph-etc"], "secrets": ["pvc-ceph-client-key"]}


def options_from_site(site: Site, external: Mapping[str, Any] | None = None) -> Options:
    """The site's mirror, storage class (when claims are used) and roles as verify options.

    The storage class is checked for every backend: local and ceph sites still give the
    class to the charts' own claims (OVN's databases, say). With ceph storage the Ceph
    client's ConfigMap and keyring Secret are external (``CEPH_CLIENT``), besides
    ``external``.
    """
    spec = site.spec
    declared: dict[str, list[str]] = {}
    if spec.storage.backend == "ceph":
        declared = {k: list(v) for k, v in CEPH_CLIENT.items()}
    for kind, names in (external or {}).items():
        if not isinstance(names, list):  # from_mapping says what is wrong with it
            declared[kind] = names
            continue
        declared[kind] = [*declared.get(kind, []), *names]
    return Options(
        registry=spec.registry,
        storage_class=spec.storage.class_name,
        external=External.from_mapping(declared),
        roles=roles_from_site(site),
    )
