"""The differential test: verify's placement predictions against the real kube-scheduler.

Hypothesis generates sites (roles, zones, labels, taints of every effect, network and
storage backends, modes, disabled charts) and mutations of their renders (what a chart can
get wrong: tolerations dropped, node selectors and required node affinity, required
anti-affinity with more replicas than domains, host ports, a missing ServiceAccount,
OrderedReady StatefulSets, claims of a class the cluster does not provision). Each case is
rendered by helmdeck (the example charts, as in CI), created directly on one shared test
cluster (``differential``: a slice of KWOK nodes per case, labelled and tainted by
``apply_nodes(desired_nodes(site))``), and the pods kube-scheduler leaves Pending, the pods
created and every DaemonSet's hosts must be exactly what verify predicted.

``HELMDECK_DIFFERENTIAL_SITES`` (default 50) sets how many sites are generated per run;
every case of ``differential_regressions.json`` (each mismatch ever found, fixed) runs first.
A mismatch fails the test with the case as JSON, ready to be added to that file.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import yaml
from differential import (
    MAX_HOSTS,
    SETTLE_TIMEOUT,
    Case,
    Prepared,
    cleanup,
    create,
    describe,
    prepare,
    reset_and_label,
    settle,
    wait_gone,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support import REPO
from support.cluster import Cluster, dedicated_cluster

SITES = int(os.environ.get("HELMDECK_DIFFERENTIAL_SITES") or 50)
BATCH = 6  # cases at once; the pool has two batches' worth of slots
POOL = [f"vn-{i:03d}" for i in range(2 * BATCH * MAX_HOSTS)]
EXAMPLES = REPO / "examples" / "charts"
REGRESSIONS = Path(__file__).with_name("differential_regressions.json")
CHARTS = ("glance", "heat", "cinder", "placement", "horizon", "neutron", "nova", "libvirt")

# --- generated sites ----------------------------------------------------------------------

TAINT_KEYS = ("species", "dedicated", "gpu")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
LABELS = {"rack": ("r0", "r1", "r2"), "disk": ("ssd", "hdd"), "rank": ("1", "3", "5", "9")}

taints = st.lists(st.fixed_dictionaries(
    {"key": st.sampled_from(TAINT_KEYS), "effect": st.sampled_from(EFFECTS)},
    optional={"value": st.sampled_from(("a", "b"))},
), max_size=2, unique_by=lambda t: (t["key"], t["effect"]))


@st.composite
def hosts(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, MAX_HOSTS))
    out = []
    for i in range(n):
        roles = draw(st.lists(st.sampled_from(("controller", "compute", "network", "storage")),
                              min_size=1, max_size=2, unique=True))
        host: dict[str, Any] = {"name": f"h{i}", "roles": roles}
        zone = draw(st.sampled_from((None, "az1", "az2", "az3")))
        if zone:
            host["zone"] = zone
        labels = draw(st.dictionaries(st.sampled_from(sorted(LABELS)), st.just(""), max_size=2))
        if labels:
            host["labels"] = {k: draw(st.sampled_from(LABELS[k])) for k in labels}
        host_taints = draw(taints)
        if host_taints:
            host["taints"] = host_taints
        out.append(host)
    if not any("controller" in h["roles"] for h in out):
        out[0]["roles"] = ["controller", *out[0]["roles"]][:2]
    return out


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    host_list = draw(hosts())
    disabled = draw(st.lists(st.sampled_from(CHARTS), unique=True, max_size=4))
    if not any("compute" in h["roles"] for h in host_list) and "nova" not in disabled:
        disabled.append("nova")
    spec: dict[str, Any] = {"hosts": host_list, "disabled": sorted(disabled)}
    spec["network"] = {"backend": draw(st.sampled_from(("openvswitch", "ovn")))}
    backend = draw(st.sampled_from(("local", "pvc", "ceph")))
    spec["storage"] = {"backend": backend, "class_name": draw(st.sampled_from(("general",
                                                                              "fast")))}
    if backend == "ceph":
        spec["storage"]["ceph"] = {"monitors": ["10.0.0.1:6789"]}
    if draw(st.booleans()):
        spec["mode"] = "development"
    return spec


@st.composite
def expressions(draw: st.DrawFn, n_hosts: int) -> dict[str, Any]:
    """One matchExpressions entry over the labels the generated hosts may carry."""
    key = draw(st.sampled_from(("rack", "disk", "rank", "topology.kubernetes.io/zone",
                                "kubernetes.io/hostname", "openstack-compute-node")))
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
                              if key == "rank" else ("In", "NotIn", "Exists", "DoesNotExist")))
    if op in ("Exists", "DoesNotExist"):
        return {"key": key, "operator": op}
    if op in ("Gt", "Lt"):
        return {"key": key, "operator": op, "values": [draw(st.sampled_from(("2", "4")))]}
    pool = {"rack": LABELS["rack"], "disk": LABELS["disk"], "rank": LABELS["rank"],
            "topology.kubernetes.io/zone": ("az1", "az2", "az3"),
            "kubernetes.io/hostname": tuple(f"h{i}" for i in range(n_hosts)),
            "openstack-compute-node": ("enabled",)}[key]
    values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    return {"key": key, "operator": op, "values": values}


@st.composite
def mutation(draw: st.DrawFn, n_hosts: int, index: int) -> dict[str, Any]:
    target = draw(st.integers(0, 200))
    op = draw(st.sampled_from(("replicas", "drop_tolerations", "tolerate", "select", "affinity",
                               "anti", "prefer_anti", "host_port", "ordered", "account")))
    m: dict[str, Any] = {"op": op, "target": target}
    if op == "replicas":
        m["n"] = draw(st.integers(0, 5))
    elif op == "tolerate":
        tol: dict[str, Any] = {"operator": draw(st.sampled_from(("Exists", "Equal")))}
        key = draw(st.sampled_from(("", *TAINT_KEYS)))
        if key or tol["operator"] == "Exists":
            if key:
                tol["key"] = key
        else:
            tol["key"] = TAINT_KEYS[0]
        if tol["operator"] == "Equal":
            tol["value"] = draw(st.sampled_from(("", "a", "b")))
        effect = draw(st.sampled_from(("", *EFFECTS)))
        if effect:
            tol["effect"] = effect
        m["toleration"] = tol
    elif op == "select":
        key = draw(st.sampled_from(("rack", "disk", "topology.kubernetes.io/zone",
                                    "kubernetes.io/hostname", "openstack-network-node")))
        values = {"rack": LABELS["rack"], "disk": LABELS["disk"],
                  "topology.kubernetes.io/zone": ("az1", "az2"),
                  "kubernetes.io/hostname": tuple(f"h{i}" for i in range(n_hosts)),
                  "openstack-network-node": ("enabled",)}[key]
        m.update(key=key, value=draw(st.sampled_from(values)))
    elif op == "affinity":
        m["terms"] = draw(st.lists(st.lists(expressions(n_hosts), min_size=1, max_size=2),
                                   min_size=1, max_size=2))
    elif op in ("anti", "prefer_anti"):
        m["key"] = draw(st.sampled_from(("kubernetes.io/hostname",
                                         "topology.kubernetes.io/zone")))
    elif op == "host_port":
        m["port"] = 20000 + index
    elif op == "ordered":
        m["ordered"] = draw(st.booleans())
    return m


@st.composite
def cases(draw: st.DrawFn) -> Case:
    spec = draw(specs())
    n = len(spec["hosts"])
    count = draw(st.integers(0, 5))
    mutations = [draw(mutation(n, i)) for i in range(count)]
    # an anti-affinity is interesting with more replicas than domains
    for m in list(mutations):
        if m["op"] in ("anti", "host_port"):
            mutations.append({"op": "replicas", "target": m["target"],
                              "n": draw(st.integers(1, 5))})
    provisioned = draw(st.lists(st.sampled_from(("site", "general")), unique=True))
    return Case(spec, mutations, sorted(provisioned))


# --- running them -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("differential")
    pool_site = directory / "pool.yaml"
    pool_site.write_text(yaml.safe_dump({
        "apiVersion": "helmdeck/v1", "kind": "Site", "metadata": {"name": "pool"},
        "spec": {"public_domain": "pool.example.com",
                 "hosts": [{"name": n, "roles": ["controller"]} for n in POOL]}}))
    with dedicated_cluster(directory / "cluster", pool_site) as c:
        yield c


def run_cases(cluster: Cluster, all_cases: list[Case]) -> tuple[list[str], dict[str, float]]:
    """Every case, BATCH at a time on alternating halves of the pool (the next batch is
    rendered while one runs); the mismatches, and the time spent rendering and on the
    cluster."""
    client = cluster.client()
    run = uuid.uuid4().hex[:6]
    problems: list[str] = []
    timing = {"render": 0.0, "cluster": 0.0}
    previous: dict[int, list[str]] = {0: [], 1: []}
    starts = list(range(0, len(all_cases), BATCH))

    def prepare_batch(start: int) -> tuple[list[Prepared], float]:
        t0 = time.monotonic()
        half = (start // BATCH) % 2
        batch = [prepare(start + i, c, half * BATCH + i, POOL, run, EXAMPLES)
                 for i, c in enumerate(all_cases[start:start + BATCH])]
        return batch, time.monotonic() - t0

    def bring_up(p: Prepared) -> None:
        reset_and_label(client, p.specs, p.idle)
        create(client, p, io)

    with ThreadPoolExecutor(max_workers=8) as io, ThreadPoolExecutor(BATCH) as cases_pool, \
            ThreadPoolExecutor(1) as renderer:
        upcoming = renderer.submit(prepare_batch, starts[0]) if starts else None
        for n, start in enumerate(starts):
            assert upcoming is not None
            batch, took = upcoming.result()
            timing["render"] += took
            upcoming = renderer.submit(prepare_batch, starts[n + 1]) \
                if n + 1 < len(starts) else None
            t1 = time.monotonic()
            half = (start // BATCH) % 2
            wait_gone(client, previous[half])
            t2 = time.monotonic()
            list(cases_pool.map(bring_up, batch))
            t3 = time.monotonic()
            outcomes = settle(client, batch, io)
            t4 = time.monotonic()
            for key, took in (("wait", t2 - t1), ("create", t3 - t2), ("settle", t4 - t3)):
                timing[key] = timing.get(key, 0.0) + took
            for p in batch:
                outcome = outcomes[p.index]
                if isinstance(outcome, list):
                    problems.append(describe(p, ["the cluster did not settle in "
                                                 f"{SETTLE_TIMEOUT:.0f}s:", *outcome[:8]]))
                elif found := outcome.mismatches():
                    problems.append(describe(p, found))
            cleanup(client, batch)
            previous[half] = [p.namespace for p in batch]
            timing["cluster"] += time.monotonic() - t1
    return problems, timing


def _regressions() -> list[Case]:
    if not REGRESSIONS.is_file():
        return []
    return [Case.of(doc) for doc in json.loads(REGRESSIONS.read_text())]


def generate(n: int, seed: int) -> list[Case]:
    """``n`` cases drawn by hypothesis from ``cases()`` (hypothesis as the generator: the
    cases then run in batches on the cluster, which one example at a time could not)."""
    out: list[Case] = []

    @hypothesis.seed(seed)
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases())
    def collect(case: Case) -> None:
        out.append(case)

    collect()
    return out


def test_verify_predicts_what_kube_scheduler_does(cluster: Cluster) -> None:
    seed = int(os.environ.get("HELMDECK_DIFFERENTIAL_SEED") or random.randrange(2**32))
    regressions = _regressions()
    generated = generate(SITES, seed)
    assert len(generated) >= SITES
    started = time.monotonic()
    problems, timing = run_cases(cluster, regressions + generated)
    print(f"differential: {len(regressions) + len(generated)} sites ({len(regressions)} "
          f"regression cases, seed {seed}) in {time.monotonic() - started:.0f}s (render "
          f"{timing['render']:.0f}s, cluster {timing['cluster']:.0f}s)")
    assert not problems, (f"verify and kube-scheduler disagree (HELMDECK_DIFFERENTIAL_SEED="
                          f"{seed}):\n" + "\n".join(problems))
