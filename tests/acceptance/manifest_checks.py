"""What DESIGN §2 promises, checked on rendered manifests rather than on our own values.

``problems(site, secrets, rendered)`` takes a site, its generated secrets and every enabled
chart's rendered templates (``{chart: {template path: text}}``, as ``helmdeck render --out``
writes them) and returns one line per broken promise, so a failing variant names every break
at once. The checks derive what to expect from the site alone, never from the overrides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from support.workloads import (
    API_WORKLOADS,
    CLUSTER_WORKLOADS,
    OPENSTACK,
    PUBLIC_PATHS,
    pod_spec,
    secret_data,
    workloads,
)

from helmdeck.site.model import Host, Role, Site

CONTROL = "openstack-control-plane"
COMPUTE = "openstack-compute-node"
OVS = "openvswitch"
NETWORK = "openstack-network-node"
L3 = "l3-agent"

PUBLIC_URLS = PUBLIC_PATHS
RABBIT_CLIENTS = ("keystone", "glance", "heat", "cinder", "nova", "neutron")


def node_labels(host: Host) -> set[str]:
    """The labels ``helmdeck nodes`` gives a host (DESIGN §2 policy)."""
    labels: set[str] = set()
    if host.has(Role.CONTROLLER):
        labels |= {CONTROL, OVS}
    if host.has(Role.COMPUTE):
        labels |= {COMPUTE, OVS}
    if host.has(Role.NETWORK):
        labels |= {NETWORK, L3, OVS}
    return labels


def expected_selector(site: Site, chart: str, kind: str, name: str) -> str:
    """The node label a workload must select, from its role alone."""
    has_network = bool(site.spec.hosts_with(Role.NETWORK))
    if name in ("nova-compute-default", "libvirt-libvirt-default") or name.startswith(
        ("nova-compute-default-", "libvirt-libvirt-default-")
    ):
        return COMPUTE
    if name in ("openvswitch", "neutron-ovs-agent-default") or name.startswith(
        "neutron-ovn-metadata-agent"
    ):
        return OVS
    if name.startswith("ovn-controller"):
        return OVS
    if name.startswith(("ovn-ovsdb-nb", "ovn-ovsdb-sb", "ovn-northd")):
        return NETWORK if has_network else CONTROL
    if name.startswith("neutron-l3-agent"):
        return L3 if has_network else CONTROL
    if name.startswith(("neutron-dhcp-agent", "neutron-metadata-agent", "neutron-netns-cleanup")):
        return NETWORK if has_network else CONTROL
    return CONTROL


def docs_of(manifests: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        d for text in manifests.values() for d in yaml.safe_load_all(text) if isinstance(d, dict)
    ]


def _taints_for(site: Site, label: str) -> set[tuple[str, str, str]]:
    return {
        (t.key, t.value, t.effect)
        for h in site.spec.hosts
        if label in node_labels(h)
        for t in h.taints
    }


def _tolerated(spec: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    out = set()
    for t in spec.get("tolerations") or []:
        out.add((t.get("key", ""), t.get("value", ""), t.get("effect", "")))
    return out


def problems(
    site: Site, secrets: Mapping[str, str], rendered: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """Every DESIGN §2 promise the manifests break, one line each (empty: all kept)."""
    spec = site.spec
    out: list[str] = []
    docs = {chart: docs_of(m) for chart, m in rendered.items()}
    controllers = spec.hosts_with(Role.CONTROLLER)
    dev = spec.mode == "development"
    api_n = 1 if dev else len(controllers)
    cluster_n = 1 if dev or len(controllers) < 3 else 3
    labelled = {lab for h in spec.hosts for lab in node_labels(h)}
    suffix = f".svc.{spec.cluster_domain}"

    for chart, chart_docs in docs.items():
        wl = workloads(chart_docs)
        for name in API_WORKLOADS.get(chart, []):
            # glance on pvc storage: one API replica, its ReadWriteOnce claims attach to one node
            want = 1 if chart == "glance" and spec.storage.backend == "pvc" else api_n
            if name in wl and wl[name]["spec"].get("replicas") != want:
                out.append(
                    f"{chart}: {name} replicas {wl[name]['spec'].get('replicas')} != {want}"
                )
        if chart in CLUSTER_WORKLOADS:
            name = CLUSTER_WORKLOADS[chart]
            got = wl[name]["spec"].get("replicas") if name in wl else None
            if got != cluster_n:
                out.append(f"{chart}: {name} replicas {got} != {cluster_n}")
        if chart == "ovn":
            out.extend(_ovn_replicas(site, wl))
        chart_taints: set[tuple[str, str, str]] = set()
        for name, doc in wl.items():
            ps = pod_spec(doc)
            assert ps is not None
            selector = ps.get("nodeSelector") or {}
            kind, short = name.split("/", 1)
            want = expected_selector(site, chart, kind, short)
            if selector != {want: "enabled"}:
                out.append(f"{chart}: {name} nodeSelector {selector} != {{{want}: enabled}}")
            for key in selector:
                if key not in labelled:
                    out.append(f"{chart}: {name} selects {key} but no host gets that label")
            chart_taints |= _taints_for(site, next(iter(selector), want))
            for c in [*ps.get("containers", []), *ps.get("initContainers", [])]:
                image = c.get("image", "")
                if spec.registry and not image.startswith(spec.registry.rstrip("/") + "/"):
                    out.append(f"{chart}: {name} image {image} not on the mirror {spec.registry}")
                if spec.registry and image.count(spec.registry) != 1:
                    out.append(f"{chart}: {name} image {image} names the mirror twice")
            if doc.get("metadata", {}).get("namespace") not in (None, spec.namespace):
                out.append(f"{chart}: {name} in namespace {doc['metadata']['namespace']}")
        for name, doc in wl.items():
            ps = pod_spec(doc)
            assert ps is not None
            tolerated = _tolerated(ps)
            missing = chart_taints - tolerated
            if missing and name != "Pod/keystone-test":
                out.append(f"{chart}: {name} does not tolerate {sorted(missing)}")
            if not chart_taints and tolerated:
                out.append(f"{chart}: {name} tolerates {sorted(tolerated)} but runs on no taint")

        text = "\n".join(rendered[chart].values())
        decoded = "\n".join(v for s in secret_data(chart_docs).values() for v in s.values())
        full = text + "\n" + decoded
        for bad in re.findall(r"[a-z0-9.-]+\.svc\.[a-z0-9.-]+", full):
            host = bad.rstrip(".")
            if not (host.endswith(suffix) or host.endswith(".svc")) and "%" not in host:
                out.append(f"{chart}: host {host} not under {suffix}")
        scheme = "https" if spec.tls.enabled else "http"
        for svc, path in PUBLIC_URLS.get(chart, []):
            url = f"{scheme}://{svc}.{spec.public_domain}{path}"
            if url not in full:
                out.append(f"{chart}: public URL {url} not rendered")
        for m in re.finditer(rf"(https?)://([a-z0-9-]+)\.{re.escape(spec.public_domain)}", full):
            if m.group(1) != scheme:
                out.append(f"{chart}: public URL {m.group(0)} is not {scheme}")

        if chart in OPENSTACK:
            sd = secret_data(chart_docs)
            ks = sd.get(f"{chart}-keystone-admin", {}).get("OS_PASSWORD")
            if ks != secrets["keystone_admin_password"]:
                out.append(f"{chart}: keystone admin password differs from the site's")
            if secrets["mariadb_admin_password"] not in sd.get(f"{chart}-db-admin", {}).get(
                "DB_CONNECTION", ""
            ):
                out.append(f"{chart}: DB admin password differs from the site's")
            if f"{chart}-rabbitmq-admin" in sd and secrets["rabbitmq_admin_password"] not in sd[
                f"{chart}-rabbitmq-admin"
            ].get("RABBITMQ_CONNECTION", ""):
                out.append(f"{chart}: RabbitMQ admin password differs from the site's")
        for line in decoded.splitlines():
            if line.startswith("transport_url") and "rabbit://" in line:
                pods = re.findall(r"@([a-z0-9-]+)-(\d+)\.rabbitmq\.", line)
                if len(pods) != cluster_n or {int(i) for _, i in pods} != set(range(cluster_n)):
                    out.append(
                        f"{chart}: transport_url lists {len(pods)} pods, rabbitmq has {cluster_n}"
                    )
        ceph = spec.storage.backend == "ceph"
        if not ceph:
            if "RBDDriver" in decoded or "images_type = rbd" in decoded:
                out.append(f"{chart}: rbd configured without ceph")
            for name, doc in wl.items():
                vols = str((pod_spec(doc) or {}).get("volumes", []))
                if "ceph-etc" in vols or "rbd-keyring" in vols or "ceph-keyring" in vols:
                    out.append(f"{chart}: {name} mounts ceph files without ceph")
        if chart in ("nova", "libvirt", "neutron"):
            backend = spec.network.backend
            names = set(wl)
            ovs_only = {f"DaemonSet/neutron-{a}-agent-default" for a in ("ovs", "dhcp", "l3")}
            if backend == "ovn" and names & ovs_only:
                out.append(f"{chart}: ovn site runs OVS agents {sorted(names & ovs_only)}")
            if (
                backend == "ovn"
                and chart == "neutron"
                and ("DaemonSet/neutron-ovn-metadata-agent-default" not in names)
            ):
                out.append("neutron: ovn site without the OVN metadata agent")
            if (
                backend == "openvswitch"
                and chart == "neutron"
                and ("DaemonSet/neutron-ovs-agent-default" not in names)
            ):
                out.append("neutron: openvswitch site without the OVS agent")
            waited = text.count("neutron-ovs-agent") if backend == "ovn" else 0
            if waited:
                out.append(f"{chart}: ovn site waits for neutron-ovs-agent pods")
    if spec.storage.backend == "ceph":
        out.extend(_ceph_problems(site, secrets, docs))
    return out


def _ovn_replicas(site: Site, wl: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """NB/SB Raft clusters and northd: 3 when 3 hosts carry them (network hosts, else
    controllers), else 1; development 1."""
    hosts = site.spec.hosts_with(Role.NETWORK) or site.spec.hosts_with(Role.CONTROLLER)
    n = 1 if site.spec.mode == "development" or len(hosts) < 3 else 3
    out = []
    for name in ("StatefulSet/ovn-ovsdb-nb", "StatefulSet/ovn-ovsdb-sb", "Deployment/ovn-northd"):
        got = wl[name]["spec"].get("replicas") if name in wl else None
        if got != n:
            out.append(f"ovn: {name} replicas {got} != {n}")
    return out


def _ceph_problems(
    site: Site, secrets: Mapping[str, str], docs: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """cinder, nova and libvirt must name the same rbd user and secret UUID."""
    ceph = site.spec.storage.ceph
    uuid = ceph.secret_uuid or secrets.get("ceph_secret_uuid", "")
    out = []
    decoded = {
        c: "\n".join(v for s in secret_data(d).values() for v in s.values())
        for c, d in docs.items()
    }
    if "cinder" in decoded:
        if f"rbd_secret_uuid = {uuid}" not in decoded["cinder"]:
            out.append("cinder: rbd_secret_uuid is not the site's ceph secret UUID")
        if f"rbd_user = {ceph.user}" not in decoded["cinder"]:
            out.append("cinder: rbd_user is not spec.storage.ceph.user")
    if "nova" in decoded:
        if f"rbd_secret_uuid = {uuid}" not in decoded["nova"]:
            out.append("nova: rbd_secret_uuid is not the site's ceph secret UUID")
        if "images_type = rbd" not in decoded["nova"]:
            out.append("nova: images_type is not rbd with ceph")
    if "libvirt" in docs:
        text = yaml.safe_dump_all(docs["libvirt"])
        if uuid not in text:
            out.append("libvirt: the ceph secret UUID is not in its manifests")
    if "glance" in decoded and "rbd" not in decoded["glance"]:
        out.append("glance: no rbd store with ceph")
    return out
