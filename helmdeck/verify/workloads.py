"""The objects of an application's renders, and the pod templates among them.

Every rule looks objects up by kind, namespace and name, and most of them walk the pod
templates; building both indexes once per verify keeps each rule a handful of lookups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from helmdeck.verify.model import Rendered

# Kinds without a namespace (the ones a chart may render); every other kind is namespaced.
CLUSTER_SCOPED = frozenset({
    "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterIssuer",
    "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
    "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
    "VolumeSnapshotClass",
})
POD_KINDS = frozenset({
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
    "CronJob", "Pod",
})
# The hook events of `helm install` / `helm upgrade`: other hooks (test, delete, rollback)
# create nothing when the application is rolled out.
INSTALL_HOOKS = frozenset({"pre-install", "post-install", "pre-upgrade", "post-upgrade"})
HOOK_ANNOTATION = "helm.sh/hook"
CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"  # wins over the field


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _labels(value: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in _mapping(value).items()}


@dataclass(frozen=True)
class Obj:
    """One rendered object; ``namespace`` is "" for cluster-scoped kinds."""

    kind: str
    name: str
    namespace: str
    release: str
    chart: str
    doc: Mapping[str, Any] = field(hash=False, compare=False, repr=False)
    hooks: frozenset[str] = frozenset()
    source: str = ""

    @property
    def key(self) -> str:
        """``Kind/namespace/name``, or ``Kind/name`` when cluster-scoped."""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @property
    def installed(self) -> bool:
        """Whether rolling the release out creates it (a test or delete hook is not)."""
        return not self.hooks or bool(self.hooks & INSTALL_HOOKS)


@dataclass(frozen=True)
class Workload:
    """A pod template and how many pods its controller runs at once.

    ``pods`` is replicas (Deployment, StatefulSet), concurrent pods (Job, a CronJob's run)
    or 1 (Pod); for a DaemonSet it is decided by the nodes, so 0 here. ``ordered`` is a
    StatefulSet with OrderedReady pod management: a Pending pod stops the ones after it.
    """

    obj: Obj
    labels: Mapping[str, str] = field(hash=False, compare=False)
    spec: Mapping[str, Any] = field(hash=False, compare=False, repr=False)
    pods: int
    ordered: bool = False

    @property
    def key(self) -> str:
        return self.obj.key

    @property
    def kind(self) -> str:
        return self.obj.kind

    @property
    def namespace(self) -> str:
        return self.obj.namespace

    def claims(self) -> list[str]:
        """The PersistentVolumeClaims its volumes mount, by name, in volume order."""
        out = []
        for v in self.spec.get("volumes") or ():
            pvc = _mapping(v).get("persistentVolumeClaim")
            if isinstance(pvc, Mapping) and pvc.get("claimName"):
                out.append(str(pvc["claimName"]))
        return list(dict.fromkeys(out))

    def claim_templates(self) -> list[Mapping[str, Any]]:
        """A StatefulSet's volumeClaimTemplates (one claim per pod each)."""
        spec = _mapping(self.obj.doc.get("spec")) if self.kind == "StatefulSet" else {}
        return [t for t in spec.get("volumeClaimTemplates") or () if isinstance(t, Mapping)]

    def containers(self) -> Iterator[Mapping[str, Any]]:
        """Init, regular and ephemeral containers, in that order."""
        for group in ("initContainers", "containers", "ephemeralContainers"):
            for c in self.spec.get(group) or ():
                if isinstance(c, Mapping):
                    yield c


def claim_class(claim: Mapping[str, Any]) -> str | None:
    """The storage class a claim (or claim template) asks for: the beta annotation if set,
    else ``storageClassName``; None when it names none (the cluster's default applies)."""
    annotations = _mapping(_mapping(claim.get("metadata")).get("annotations"))
    if CLASS_ANNOTATION in annotations:
        return str(annotations[CLASS_ANNOTATION])
    value = _mapping(claim.get("spec")).get("storageClassName")
    return None if value is None else str(value)


def _count(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return max(value, 0)
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return default


def _job_pods(spec: Mapping[str, Any]) -> int:
    """Pods a Job runs at once: parallelism (1), at most its completions; none if suspended."""
    if spec.get("suspend") is True:
        return 0
    parallel = _count(spec.get("parallelism"), 1)
    completions = spec.get("completions")
    return min(parallel, _count(completions, parallel)) if completions is not None else parallel


def workload_of(obj: Obj) -> Workload | None:
    """The pod template of a pod-producing object, or None."""
    if obj.kind not in POD_KINDS:
        return None
    doc, spec = obj.doc, _mapping(obj.doc.get("spec"))
    if obj.kind == "Pod":
        return Workload(obj, _labels(_mapping(doc.get("metadata")).get("labels")), spec, 1)
    if obj.kind == "CronJob":
        if spec.get("suspend") is True:
            pods, spec = 0, _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
        else:
            spec = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
            pods = _job_pods(spec)
    elif obj.kind == "Job":
        pods = _job_pods(spec)
    elif obj.kind == "DaemonSet":
        pods = 0
    else:
        pods = _count(spec.get("replicas"), 1)
    template = _mapping(spec.get("template"))
    ordered = obj.kind == "StatefulSet" and spec.get("podManagementPolicy") != "Parallel"
    return Workload(obj, _labels(_mapping(template.get("metadata")).get("labels")),
                    _mapping(template.get("spec")), pods, ordered)


def _hooks(meta: Mapping[str, Any]) -> frozenset[str]:
    value = _mapping(meta.get("annotations")).get(HOOK_ANNOTATION)
    if not value:
        return frozenset()
    return frozenset(h.strip() for h in str(value).split(",") if h.strip())


def objects_of(rendered: Sequence[Rendered]) -> list[Obj]:
    """Every object with a kind, each with its namespace resolved, in render order."""
    out = []
    for r in rendered:
        sources = r.sources if len(r.sources) == len(r.documents) else ("",) * len(r.documents)
        for doc, source in zip(r.documents, sources, strict=True):
            kind = doc.get("kind")
            if not isinstance(kind, str) or not kind:
                continue
            meta = _mapping(doc.get("metadata"))
            ns = "" if kind in CLUSTER_SCOPED else str(meta.get("namespace") or r.namespace)
            out.append(Obj(kind, str(meta.get("name") or ""), ns, r.release, r.chart, doc,
                           _hooks(meta), source))
    return out


class Catalog:
    """The objects of every release, indexed by (kind, namespace, name), and the workloads."""

    def __init__(self, rendered: Sequence[Rendered]) -> None:
        self.objects = objects_of(rendered)
        self._by_id: dict[tuple[str, str, str], list[Obj]] = defaultdict(list)
        for o in self.objects:
            self._by_id[(o.kind, o.namespace, o.name)].append(o)

    def find(self, kind: str, namespace: str, name: str) -> list[Obj]:
        """The objects of that kind and name in that namespace ("" for cluster-scoped)."""
        return self._by_id.get((kind, namespace, name), [])

    def duplicates(self) -> list[list[Obj]]:
        """Objects rendered more than once (by two releases, or twice by one)."""
        return [objs for _, objs in sorted(self._by_id.items()) if len(objs) > 1]

    @cached_property
    def workloads(self) -> list[Workload]:
        """The pod templates of everything rolling out creates (not test or delete hooks)."""
        found = (workload_of(o) for o in self.objects if o.installed)
        return [w for w in found if w is not None]

    @cached_property
    def workloads_by_namespace(self) -> dict[str, list[Workload]]:
        out: dict[str, list[Workload]] = defaultdict(list)
        for w in self.workloads:
            out[w.namespace].append(w)
        return dict(out)
