"""The real openstack-helm charts on the live cluster: the whole application installed for a
site with 3 controllers, computes and network hosts, then an OpenStack release upgrade.

Local only: needs an openstack-helm checkout with helm-toolkit (HELMDECK_OSH_CHECKOUT, default
/work/osh). KWOK nodes never pull images, so this runs offline. The cluster has no storage
provisioner: the test provides the storage class and volumes a cluster admin would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from kube_env import EXAMPLES, Deck
from lightkube import codecs
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import Pod
from support import OSH_CHECKOUT
from support.cluster import Cluster

from helmdeck.application import load_application

pytestmark = pytest.mark.skipif(
    not (OSH_CHECKOUT / "helm-toolkit" / "Chart.yaml").is_file(),
    reason=f"no openstack-helm checkout at {OSH_CHECKOUT} (set HELMDECK_OSH_CHECKOUT)",
)
TIMEOUT = 240  # per chart, instead of the application's 600-1200 s: every wait is bounded


def osh_site(release: str) -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / "site.yaml").read_text())
    doc["spec"].update({"release": release, "charts": {"source": {"path": str(OSH_CHECKOUT)}},
                        "storage": {"backend": "pvc", "class_name": "general"},
                        "registry": None, "tls": {"enabled": False}})
    return doc


def provide_storage(cluster: Cluster, tag: str, count: int = 12) -> None:
    """A storage class and statically provisioned volumes the claims bind to."""
    client = cluster.client()
    docs: list[dict[str, Any]] = [{
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "general"}, "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "Immediate",
    }]
    docs += [{
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"{tag}-pv-{i}"},
        "spec": {"capacity": {"storage": "100Gi"}, "accessModes": ["ReadWriteOnce"],
                 "storageClassName": "general", "hostPath": {"path": f"/tmp/{tag}-{i}"},
                 "persistentVolumeReclaimPolicy": "Retain"},
    } for i in range(count)]
    for doc in docs:
        client.apply(codecs.from_dict(doc), field_manager="test-admin", force=True)


def test_openstack_helm_installs_and_upgrades_release(deck: Deck, labelled: Cluster) -> None:
    provide_storage(labelled, deck.namespace)
    app = load_application()
    charts = [{"name": c.name, "release": c.release, "depends_on": list(c.depends_on),
               "wait": c.wait, "timeout": TIMEOUT, "recreate_on_change": list(c.recreate_on_change),
               **({"when": _when(c)} if c.when.conditions else {})} for c in app.charts]
    deck.app(charts)
    deck.site(osh_site("2025.2"))
    _, out, err = deck.run("apply")
    # 12 of the application's charts: cinder's only volume backend is ceph, on pvc it is left out.
    assert "applied 12, failed 0, skipped 0" in out, err[-3000:]
    first = deck.revisions()
    assert len(first) == 12 and "cinder" not in first and set(first.values()) == {1}
    client = deck.cluster.client(deck.namespace)
    pods = list(client.list(Pod))
    assert len(pods) > 50
    for p in pods:
        assert p.spec.nodeName, f"{p.metadata.name} not scheduled"
        if p.status.phase != "Succeeded":
            ready = {c.type: c.status for c in p.status.conditions or []}.get("Ready")
            assert ready == "True", f"{p.metadata.name}: {p.status.phase}, not Ready"
    old_images = _job_images(deck)

    # The OpenStack release moves on: every chart whose images change is planned, in
    # dependency order; nothing else.
    deck.site(osh_site("2026.1"))
    _, out, _ = deck.run("plan", "-o", "json")
    plan = json.loads(out)
    changing = [r for r in plan if r["action"] != "noop"]
    assert changing and {r["action"] for r in changing} == {"upgrade"}
    assert [r["level"] for r in changing] == sorted(r["level"] for r in changing)
    for r in changing:
        assert r["reason"] == "values changed"
        assert "images" in r["diff"], r["release"]
    unchanged = {r["release"] for r in plan if r["action"] == "noop"}
    _, text, _ = deck.run("plan", "--full")
    # The Jobs that change are flagged: hooks Helm runs again, plain Jobs helmdeck re-creates.
    flagged = [ln for ln in text.splitlines()
               if "Job/" in ln and ("a Helm hook: Helm runs it again" in ln
                                    or "is deleted before the upgrade" in ln)]
    assert any("db-sync" in ln for ln in flagged), text[-3000:]
    _, out, _ = deck.run("apply")
    assert f"applied {len(changing)}, failed 0, skipped 0" in out
    after = deck.revisions()
    for name, revision in after.items():
        assert revision == (1 if name in unchanged else 2), name
    new_images = _job_images(deck)
    ran_again = [job for job in new_images if job.endswith("db-sync")
                 and new_images[job] != old_images.get(job)]
    assert ran_again, "no db-sync Job ran with new images"
    for job in ran_again:
        assert client.get(Job, job).status.succeeded == 1


def _when(chart: Any) -> dict[str, Any]:
    return {key: list(values) for key, values in chart.when.conditions}


def _job_images(deck: Deck) -> dict[str, str]:
    jobs = deck.cluster.client(deck.namespace).list(Job)
    return {j.metadata.name: j.spec.template.spec.containers[0].image for j in jobs}
