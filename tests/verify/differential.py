"""The differential test's harness: generated sites on a real kube-scheduler, against verify.

A *case* is plain data (so a mismatch can be kept as a regression case in
``differential_regressions.json``): a site spec whose hosts are named ``h0``, ``h1``, ...,
*mutations* of its render (what charts get wrong: tolerations dropped, node selectors and
affinities, anti-affinity with more replicas, host ports, a missing ServiceAccount), and the
storage classes the cluster provisions (the others' claims never bind).

For each case the harness renders the site through helmdeck's own code (``real_render``),
applies the mutations to the documents, gives the same documents to verify and to the
cluster, and compares what the cluster shows once it has settled with verify's predictions:

- per workload, the pods created and the pods kube-scheduler leaves Pending
  (``unschedulable``, ``Prediction.not_created``);
- per DaemonSet, exactly the hosts its pods run on (``placements``);
- every other scheduled pod, on a host verify says it can run on.

Several cases run at once on one cluster, each on its own slice of the KWOK nodes (named
``vn-NNN``): a case's hosts are renamed to its slice, its nodes are reset and then labelled
and tainted by ``helmdeck.kube.nodes.apply_nodes(desired_nodes(site))`` as ``helmdeck nodes
apply`` does, plus one isolation label (``verify.helmdeck.test/slot``) that every pod template
of the case selects, so no pod of one case lands on another's nodes. verify is given exactly
those nodes and documents. Workloads are created directly from the renders (no Helm: hooks
are plain objects here, test hooks and CronJobs left out, cluster-scoped objects too), each
case in its own namespace, after its ServiceAccounts and claims: claims of a provisioned
class get a pre-bound PersistentVolume and are Bound before any pod exists, so no pod is
Pending for a moment only.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lightkube import ApiError, Client, codecs
from lightkube.resources.apps_v1 import DaemonSet, Deployment, ReplicaSet, StatefulSet
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import (
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    ServiceAccount,
)
from lightkube.types import PatchType
from real_render import render

from helmdeck.kube.nodes import NodeSpec, apply_nodes
from helmdeck.site.load import parse_site_yaml
from helmdeck.site.nodes import desired_nodes
from helmdeck.verify import (
    Options,
    Rendered,
    nodes_from_specs,
    options_from_site,
    predict_all,
    rendered_from,
)
from helmdeck.verify.workloads import CLUSTER_SCOPED, INSTALL_HOOKS, POD_KINDS, claim_class

SLOT_LABEL = "verify.helmdeck.test/slot"
CASE_LABEL = "verify.helmdeck.test/case"
# What the kubelet (and the node lifecycle controller) put on a node: never reset.
KUBELET_LABELS = frozenset({
    "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
    "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
})
MAX_HOSTS = 7
MISSING_ACCOUNT = "not-made-by-any-chart"
SETTLE_TIMEOUT = float(os.environ.get("HELMDECK_DIFFERENTIAL_SETTLE") or 240)
POLL = 1.0
STABLE_POLLS = 3
HOOK = "helm.sh/hook"


@dataclass
class Case:
    """One generated site and what is done to its render (see the module doc)."""

    spec: dict[str, Any]
    mutations: list[dict[str, Any]] = field(default_factory=list)
    provisioned: list[str] = field(default_factory=list)  # "site" (its class) and/or "general"

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "mutations": self.mutations, "provisioned": self.provisioned}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Case:
        return cls(copy.deepcopy(dict(doc["spec"])), list(doc.get("mutations") or []),
                   list(doc.get("provisioned") or []))


@dataclass
class Prepared:
    """A case made concrete on its slot: the site, the mutated renders, the nodes."""

    index: int
    case: Case
    namespace: str
    slot: str
    hosts: dict[str, str]  # case host name -> node name
    rendered: list[Rendered]
    specs: list[NodeSpec]
    options: Options
    idle: list[str]  # the slot's nodes this case does not use: reset, unlabelled


@dataclass
class Outcome:
    """What verify predicted and what the cluster showed, per workload key."""

    predicted: dict[str, tuple[int, int]]  # key -> (pods created, pods Pending)
    observed: dict[str, tuple[int, int]]
    predicted_hosts: dict[str, frozenset[str]]  # DaemonSet -> hosts
    observed_hosts: dict[str, frozenset[str]]
    misplaced: list[str]

    def mismatches(self) -> list[str]:
        out = []
        for key in sorted(set(self.predicted) | set(self.observed)):
            want, got = self.predicted.get(key, (0, 0)), self.observed.get(key, (0, 0))
            if want != got:
                out.append(f"{key}: verify predicted {want[0]} pod(s) created, {want[1]} "
                           f"Pending; the cluster has {got[0]} created, {got[1]} Pending")
        for key in sorted(self.predicted_hosts):
            want_h = self.predicted_hosts[key]
            got_h = self.observed_hosts.get(key, frozenset())
            if want_h != got_h:
                out.append(f"{key}: verify predicted pods on {sorted(want_h)}; the cluster "
                           f"put them on {sorted(got_h)}")
        return out + self.misplaced


# --- preparing a case ---------------------------------------------------------------------


def site_document(case: Case, namespace: str, hosts: Mapping[str, str],
                  charts: Path) -> dict[str, Any]:
    spec = copy.deepcopy(case.spec)
    for h in spec["hosts"]:
        h["name"] = hosts[h["name"]]
    disabled = spec.pop("disabled", [])
    spec.update(namespace=namespace, public_domain="cloud.example.com",
                charts={"source": {"path": str(charts)}, "disabled": disabled})
    return {"apiVersion": "helmdeck/v1", "kind": "Site", "metadata": {"name": namespace},
            "spec": spec}


def _templates(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template spec of a pod-producing document (its ``spec`` for a Pod)."""
    kind = doc.get("kind")
    spec = doc.get("spec")
    if kind not in POD_KINDS or not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


def installed(doc: Mapping[str, Any]) -> bool:
    hooks = {h.strip() for h in str(((doc.get("metadata") or {}).get("annotations") or {})
                                    .get(HOOK, "")).split(",") if h.strip()}
    return not hooks or bool(hooks & INSTALL_HOOKS)


def workload_docs(rendered: Sequence[Rendered]) -> list[dict[str, Any]]:
    """The installed pod-producing documents, in a stable order (mutation targets)."""
    docs = [d for r in rendered for d in r.documents
            if d.get("kind") in POD_KINDS and installed(d) and _templates(dict(d)) is not None]
    return sorted(docs, key=lambda d: (str(d["kind"]), str(d["metadata"]["name"])))  # type: ignore[arg-type]


def mutate(docs: list[dict[str, Any]], mutations: Iterable[Mapping[str, Any]],
           hosts: Mapping[str, str]) -> None:
    """Apply the case's mutations to the workload documents, in place."""
    if not docs:
        return
    for m in mutations:
        doc = docs[int(m["target"]) % len(docs)]
        spec = _templates(doc)
        assert spec is not None
        op = m["op"]
        if op == "replicas":
            if doc["kind"] in ("Deployment", "StatefulSet", "ReplicaSet"):
                doc["spec"]["replicas"] = int(m["n"])
            elif doc["kind"] == "Job":
                doc["spec"]["parallelism"] = int(m["n"])
        elif op == "drop_tolerations":
            spec.pop("tolerations", None)
        elif op == "tolerate":
            spec.setdefault("tolerations", []).append(dict(m["toleration"]))
        elif op == "select":
            value = hosts.get(m["value"], m["value"])
            spec.setdefault("nodeSelector", {})[m["key"]] = value
        elif op == "affinity":
            terms = [{"matchExpressions": [
                {**e, **({"values": [hosts.get(v, v) for v in e["values"]]}
                         if "values" in e else {})} for e in term]} for term in m["terms"]]
            spec.setdefault("affinity", {})["nodeAffinity"] = {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
        elif op in ("anti", "prefer_anti"):
            labels = _pod_labels(doc)
            term = {"labelSelector": {"matchLabels": labels}, "topologyKey": m["key"]}
            anti = spec.setdefault("affinity", {}).setdefault("podAntiAffinity", {})
            if op == "anti":
                anti["requiredDuringSchedulingIgnoredDuringExecution"] = [term]
            else:
                anti["preferredDuringSchedulingIgnoredDuringExecution"] = [
                    {"weight": 50, "podAffinityTerm": term}]
        elif op == "host_port":
            container = spec["containers"][0]
            container.setdefault("ports", []).append(
                {"name": f"probe-{int(m['port'])}", "containerPort": int(m["port"]),
                 "hostPort": int(m["port"]), "protocol": "TCP"})
        elif op == "ordered":
            if doc["kind"] == "StatefulSet":
                if m["ordered"]:
                    doc["spec"].pop("podManagementPolicy", None)
                else:
                    doc["spec"]["podManagementPolicy"] = "Parallel"
        elif op == "account":
            spec["serviceAccountName"] = MISSING_ACCOUNT
        else:
            raise AssertionError(f"unknown mutation {op}")


def _pod_labels(doc: Mapping[str, Any]) -> dict[str, str]:
    if doc["kind"] == "Pod":
        return dict(doc["metadata"].get("labels") or {})
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict((spec["template"].get("metadata") or {}).get("labels") or {})


def isolate(docs: Iterable[dict[str, Any]], slot: str) -> None:
    """Every pod template selects its case's nodes (the slot label) besides its own rules."""
    for doc in docs:
        spec = _templates(doc)
        if spec is not None:
            spec.setdefault("nodeSelector", {})[SLOT_LABEL] = slot


def prepare(index: int, case: Case, slot: int, pool: Sequence[str], run: str,
            charts: Path) -> Prepared:
    names = [h["name"] for h in case.spec["hosts"]]
    assert len(names) <= MAX_HOSTS
    nodes = pool[slot * MAX_HOSTS:slot * MAX_HOSTS + len(names)]
    hosts = dict(zip(names, nodes, strict=True))
    namespace = f"dv-{run}-{index}"
    doc = site_document(case, namespace, hosts, charts)
    site = parse_site_yaml(yaml.safe_dump(doc), f"case {index}")
    rendered = [rendered_from(r.chart, r.release, r.namespace, r.manifests)
                for r in render(site)]
    rendered = [Rendered(r.chart, r.release, r.namespace,
                         tuple(copy.deepcopy(dict(d)) for d in r.documents), r.sources)
                for r in rendered]
    docs = [d for r in rendered for d in r.documents]
    mutate(workload_docs(rendered), case.mutations, hosts)
    slot_value = namespace  # unique: a label an earlier case left cannot match
    isolate(docs, slot_value)  # type: ignore[arg-type]
    specs = [NodeSpec(s.name, {**s.labels, SLOT_LABEL: slot_value}, s.taints)
             for s in desired_nodes(site)]
    idle = list(pool[slot * MAX_HOSTS + len(names):(slot + 1) * MAX_HOSTS])
    classes = {"site": site.spec.storage.class_name, "general": "general"}
    provisioned = frozenset(classes[c] for c in case.provisioned)
    base = options_from_site(site)
    options = Options(base.registry, base.storage_class, base.external, base.roles,
                      storage_classes=provisioned, default_storage_class=None)
    return Prepared(index, case, namespace, slot_value, hosts, rendered, specs, options, idle)


# --- the cluster side ---------------------------------------------------------------------


def reset_and_label(client: Client, specs: Sequence[NodeSpec], idle: Sequence[str] = ()
                    ) -> None:
    """Take every label and taint of an earlier case off the nodes (and the ``idle`` ones),
    then label and taint them as ``helmdeck nodes apply`` does."""
    wanted = {s.name: s for s in specs}
    for name in [*wanted, *idle]:
        node = client.get(Node, name)
        labels = dict((node.metadata.labels if node.metadata else None) or {})
        keep = KUBELET_LABELS | set(wanted[name].labels if name in wanted else ())
        stale = {k: None for k in labels if k not in keep}
        taints = node.spec.taints if node.spec else None
        if stale or taints:
            client.patch(Node, name, {"metadata": {"labels": stale}, "spec": {"taints": None}},
                         patch_type=PatchType.MERGE)
    apply_nodes(list(specs), client)


def _claims(p: Prepared) -> list[tuple[dict[str, Any], str]]:
    """(claim document as created, name) for the case's claims: rendered PVCs and one per
    StatefulSet replica of each claim template."""
    out = []
    for r in p.rendered:
        for d in r.documents:
            if not installed(d):
                continue
            if d.get("kind") == "PersistentVolumeClaim":
                out.append((dict(d), str(d["metadata"]["name"])))
            elif d.get("kind") == "StatefulSet":
                replicas = int(d["spec"].get("replicas", 1))
                for t in d["spec"].get("volumeClaimTemplates") or ():
                    for i in range(replicas):
                        name = f"{t['metadata']['name']}-{d['metadata']['name']}-{i}"
                        out.append((dict(t), name))
    return out


def _pv(p: Prepared, claim: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    cls = claim_class(claim)
    if cls is None or cls not in (p.options.storage_classes or ()):
        return None
    spec = claim.get("spec") or {}
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"{p.namespace}-{name}"[:253],
                         "labels": {CASE_LABEL: p.namespace}},
            "spec": {"capacity": {"storage": str(size)},
                     "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                     "storageClassName": cls, "persistentVolumeReclaimPolicy": "Retain",
                     "hostPath": {"path": f"/tmp/{p.namespace}/{name}"},
                     "claimRef": {"namespace": p.namespace, "name": name}}}


def _clean(doc: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(doc))
    meta = out.setdefault("metadata", {})
    meta["namespace"] = namespace
    meta.pop("resourceVersion", None)
    return out


def _wait(what: str, check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def create(client: Client, p: Prepared, pool: ThreadPoolExecutor) -> None:
    """Namespace, ServiceAccounts, volumes and claims (bound), then the workloads."""
    ns = p.namespace
    client.create(Namespace(metadata={"name": ns, "labels": {CASE_LABEL: ns}}))

    def sa_ready() -> bool:
        try:
            client.get(ServiceAccount, "default", namespace=ns)
        except ApiError:
            return False
        return True

    docs = [d for r in p.rendered for d in r.documents if installed(d)]
    accounts = [d for d in docs if d.get("kind") == "ServiceAccount"]
    list(pool.map(lambda d: client.create(codecs.from_dict(_clean(d, ns))), accounts))
    claims = _claims(p)
    pvs = [pv for claim, name in claims if (pv := _pv(p, claim, name)) is not None]
    list(pool.map(lambda d: client.create(codecs.from_dict(d)), pvs))
    rendered_pvcs = [d for d in docs if d.get("kind") == "PersistentVolumeClaim"]
    list(pool.map(lambda d: client.create(codecs.from_dict(_clean(d, ns))), rendered_pvcs))
    bound = {pv["spec"]["claimRef"]["name"] for pv in pvs}

    def claims_bound() -> bool:
        have = {c.metadata.name for c in client.list(PersistentVolumeClaim, namespace=ns)
                if c.status and c.status.phase == "Bound" and c.metadata}
        return {n for n in bound if n in {str(d["metadata"]["name"]) for d in rendered_pvcs}} \
            <= have

    _wait(f"{ns}: default ServiceAccount", sa_ready)
    _wait(f"{ns}: claims bound", claims_bound)
    workloads = [d for d in docs if d.get("kind") in POD_KINDS and d.get("kind") != "CronJob"
                 and d.get("kind") not in CLUSTER_SCOPED]
    list(pool.map(lambda d: client.create(codecs.from_dict(_clean(d, ns))), workloads))


def predicted(p: Prepared) -> tuple[dict[str, tuple[int, int]], dict[str, frozenset[str]]]:
    nodes = nodes_from_specs(p.specs)
    preds = predict_all(p.rendered, nodes, p.options)
    counts = {k: (pr.pods - pr.not_created, pr.pending) for k, pr in preds.items()
              if pr.kind != "CronJob" and (pr.pods - pr.not_created or pr.pending)}
    hosts = {k: pr.runs_on for k, pr in preds.items() if pr.kind == "DaemonSet"}
    return counts, hosts


def _condition(obj: Any, kind: str) -> bool:
    return any(c.type == kind and c.status == "True"
               for c in ((obj.status.conditions if obj.status else None) or []))


def observe(client: Client, p: Prepared, allowed: Mapping[str, frozenset[str]]) -> tuple[
    dict[str, tuple[int, int]], dict[str, frozenset[str]], list[str], list[str]
]:
    """The cluster's counts (pods created, Pending) per workload and DaemonSet hosts for the
    case, pods on hosts verify rules out, and what is not settled yet (empty: settled).

    Settled means every controller has acted on its object and every pod has been through
    the scheduler: a Deployment has all its pods or a ReplicaFailure, a StatefulSet all its
    pods or one Pending (OrderedReady waits behind it), a Job completed or only Pending
    pods, a DaemonSet one pod per node it wants, each pod bound or found unschedulable. A
    refused pod (no such ServiceAccount) leaves its controller with nothing to wait for."""
    ns = p.namespace
    sets = {rs.metadata.name: rs.metadata.ownerReferences[0].name
            for rs in client.list(ReplicaSet, namespace=ns)
            if rs.metadata and rs.metadata.ownerReferences}
    created: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    ds_hosts: dict[str, set[str]] = defaultdict(set)
    misplaced, why = [], []
    for pod in client.list(Pod, namespace=ns):
        key = _owner_key(pod, sets, ns)
        created[key] += 1
        node = pod.spec.nodeName if pod.spec else None
        if node:
            if key.startswith("DaemonSet/"):
                ds_hosts[key].add(node)
            elif key in allowed and node not in allowed[key]:
                misplaced.append(f"{key}: pod {pod.metadata.name if pod.metadata else ''} runs "
                                 f"on {node}, where verify says it cannot")
            continue
        conditions = {c.type: c for c in (pod.status.conditions or [])} if pod.status else {}
        sched = conditions.get("PodScheduled")
        if sched is None or sched.status != "False" or sched.reason != "Unschedulable":
            why.append(f"pod {pod.metadata.name if pod.metadata else ''}: not through the "
                       f"scheduler yet")
        pending[key] += 1
    refused = {f"{d['kind']}/{ns}/{d['metadata']['name']}" for d in workload_docs(p.rendered)
               if (_templates(d) or {}).get("serviceAccountName") == MISSING_ACCOUNT}
    for kind in (Deployment, StatefulSet, DaemonSet, Job):
        for obj in client.list(kind, namespace=ns):
            key = f"{kind.__name__}/{ns}/{obj.metadata.name if obj.metadata else ''}"
            if key not in refused:
                problem = _unsettled(obj, key, created[key], pending[key])
                if problem:
                    why.append(problem)
    counts = {k: (created[k], pending[k]) for k in created}
    return counts, {k: frozenset(v) for k, v in ds_hosts.items()}, misplaced, why


def _unsettled(obj: Any, key: str, created: int, pending: int) -> str:
    meta, status, spec = obj.metadata, obj.status, obj.spec
    if status is None or meta is None or (
            not isinstance(obj, Job) and status.observedGeneration != meta.generation):
        return f"{key}: not seen by its controller yet"
    if isinstance(obj, DaemonSet):
        if status.desiredNumberScheduled != created:
            return f"{key}: {created} pods of {status.desiredNumberScheduled}"
    elif isinstance(obj, Deployment):
        want = 1 if spec.replicas is None else spec.replicas
        if (status.replicas or 0) != want and not _condition(obj, "ReplicaFailure"):
            return f"{key}: {status.replicas or 0} pods of {want}"
    elif isinstance(obj, StatefulSet):
        want = 1 if spec.replicas is None else spec.replicas
        if created < want and not pending:
            return f"{key}: {created} pods of {want}"
    elif isinstance(obj, Job):
        done = _condition(obj, "Complete") or _condition(obj, "Failed")
        if not done and not (spec.parallelism == 0 or (pending and pending == status.active)):
            return f"{key}: not complete ({status.active or 0} active, {pending} Pending)"
    return ""


def _owner_key(pod: Pod, sets: Mapping[str, str], ns: str) -> str:
    refs = (pod.metadata.ownerReferences if pod.metadata else None) or []
    if not refs:
        return f"Pod/{ns}/{pod.metadata.name if pod.metadata else ''}"
    ref = refs[0]
    if ref.kind == "ReplicaSet" and ref.name in sets:
        return f"Deployment/{ns}/{sets[ref.name]}"
    return f"{ref.kind}/{ns}/{ref.name}"


def settle(client: Client, batch: Sequence[Prepared],
           pool: ThreadPoolExecutor) -> dict[int, Outcome | list[str]]:
    """Wait until each case's cluster has settled (``observe``) for a few polls in a row; its
    outcome then, or what was still unsettled at the timeout."""
    wanted = {p.index: predicted(p) for p in batch}
    allowed: dict[int, dict[str, frozenset[str]]] = {}
    for p in batch:
        preds = predict_all(p.rendered, nodes_from_specs(p.specs), p.options)
        allowed[p.index] = {k: pr.runs_on for k, pr in preds.items()}
    streak: dict[int, int] = dict.fromkeys(wanted, 0)
    last: dict[int, Outcome | list[str]] = {}
    deadline = time.monotonic() + SETTLE_TIMEOUT

    def look(p: Prepared) -> tuple[Prepared, Outcome, list[str]]:
        counts, hosts, misplaced, why = observe(client, p, allowed[p.index])
        want_counts, want_hosts = wanted[p.index]
        return p, Outcome(want_counts, counts, want_hosts, hosts, misplaced), why

    while True:
        todo = [p for p in batch if streak[p.index] < STABLE_POLLS]
        for p, outcome, why in pool.map(look, todo):
            last[p.index] = why if why else outcome
            streak[p.index] = 0 if why else streak[p.index] + 1
        if all(n >= STABLE_POLLS for n in streak.values()) or time.monotonic() > deadline:
            return last
        time.sleep(POLL)


def cleanup(client: Client, batch: Sequence[Prepared]) -> None:
    for p in batch:
        client.delete(Namespace, p.namespace)
        for pv in client.list(PersistentVolume, labels={CASE_LABEL: p.namespace}):
            if pv.metadata and pv.metadata.name:
                client.delete(PersistentVolume, pv.metadata.name)


def wait_gone(client: Client, namespaces: Iterable[str], timeout: float = 180.0) -> None:
    """Until those namespaces are gone, pods and all (their nodes may then be re-labelled)."""
    left = set(namespaces)

    def gone() -> bool:
        for name in sorted(left):
            try:
                client.get(Namespace, name)
            except ApiError as exc:
                if exc.status.code != 404:
                    raise
                left.discard(name)
            else:
                return False
        return True

    _wait(f"namespaces {sorted(left)} to go", gone, timeout)


def describe(p: Prepared, problems: Sequence[str]) -> str:
    case = json.dumps(p.case.to_json(), sort_keys=True)
    return (f"case {p.index} ({p.namespace}, hosts {p.hosts}):\n  " + "\n  ".join(problems)
            + f"\n  regression case: {case}")
