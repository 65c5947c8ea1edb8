"""Profiles on the real openstack-helm charts: nova and neutron rendered by helmdeck (store,
plugins, overrides, Helm's engine, as ``plan`` renders them), judged on the manifests.

Each host's per-host DaemonSet is found by where its pods run (verify's placement, checked
against kube-scheduler by the differential test) and its configuration read from the Secret the
DaemonSet mounts; what is expected is written from the site document. Then 2,000 hosts in 20
profiles give 21 DaemonSets per per-host chart. Needs an openstack-helm checkout with
helm-toolkit (HELMDECK_OSH_CHECKOUT, default /work/osh); skipped without one.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import yaml
from real_render import desired, nodes, site_of
from support import OSH_CHECKOUT, REPO
from support.profile_sites import PROFILES, SCALE_NETWORK, scale_hosts, scale_profiles

from helmdeck.deploy.deployer import release_renderer
from helmdeck.plugins.registry import load_plugins
from helmdeck.site.model import Site
from helmdeck.site.validate import site_problems
from helmdeck.verify import placements, rendered_from

pytestmark = pytest.mark.skipif(
    not (OSH_CHECKOUT / "helm-toolkit" / "Chart.yaml").is_file(),
    reason=f"no openstack-helm checkout at {OSH_CHECKOUT} (set HELMDECK_OSH_CHECKOUT)",
)

EXAMPLE = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())["spec"]
HOSTS: list[dict[str, Any]] = [
    *({"name": f"ctl-{i}", "roles": ["controller"], "zone": "az1"} for i in range(3)),
    {"name": "net-0", "roles": ["network"], "profile": "network"},
    {"name": "cmp-0", "roles": ["compute"], "profile": "compute-a"},
    {"name": "cmp-1", "roles": ["compute"], "profile": "compute-a",
     "compute": {"reserved_host_memory_mb": 8192}},
    {"name": "cmp-2", "roles": ["compute"], "profile": "compute-b"},
    {"name": "cmp-3", "roles": ["compute"]},
]
COMPUTES = ("cmp-0", "cmp-1", "cmp-2", "cmp-3")
OVS_HOSTS = ("ctl-0", "ctl-1", "ctl-2", "net-0", *COMPUTES)


def _site(host_list: list[dict[str, Any]], network: dict[str, Any],
          profiles: dict[str, Any]) -> Site:
    site = site_of(OSH_CHECKOUT, host_list, network=network, profiles=profiles)
    assert site_problems(site) == []
    return site


def _render(site: Site, charts: tuple[str, ...] = ("nova", "neutron")) -> dict[str, Any]:
    """chart -> its manifests by name, for ``charts`` only; ``placed``: workload -> hosts."""
    plugins = load_plugins()
    render = release_renderer(plugins.secret_paths)
    out: dict[str, Any] = {}
    rendered = []
    for d in desired(site):
        if d.chart in charts:
            manifests = render(d)
            rendered.append(rendered_from(d.chart, d.release, d.namespace, manifests))
            out[d.chart] = {f"{doc['kind']}/{doc['metadata']['name']}": doc
                            for text in manifests.values()
                            for doc in yaml.safe_load_all(text) if doc}
    out["placed"] = placements(rendered, nodes(site))
    return out


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return _render(_site(copy.deepcopy(HOSTS), EXAMPLE["network"], EXAMPLE["profiles"]))


def _effective(host: str) -> dict[str, Any]:
    """The host's interfaces and compute keys: its own over its profile's."""
    entry = next(h for h in HOSTS if h["name"] == host)
    profile = EXAMPLE["profiles"].get(entry.get("profile"), {})
    return {section: {**profile.get(section, {}), **entry.get(section, {})}
            for section in ("interfaces", "compute")}


def _on(run: dict[str, Any], prefix: str, host: str) -> str:
    """The one DaemonSet named ``prefix...`` whose pods run on ``host``."""
    found = [k.split("/")[-1] for k, hosts in run["placed"].items()
             if k.startswith(f"DaemonSet/openstack/{prefix}") and host in hosts]
    assert len(found) == 1, (prefix, host, found)
    return found[0]


def _conf(run: dict[str, Any], chart: str, daemonset: str, key: str) -> str:
    """File ``key`` of the ``<chart>-etc`` Secret the DaemonSet mounts."""
    pod = run[chart][f"DaemonSet/{daemonset}"]["spec"]["template"]["spec"]
    (name,) = {v["secret"]["secretName"] for v in pod["volumes"]
               if v["name"] == f"{chart}-etc" and "secret" in v}
    data = run[chart][f"Secret/{name}"]["data"][key]
    return base64.b64decode(data).decode()


def _lines(text: str) -> set[str]:
    return {ln.strip() for ln in text.splitlines()}


@pytest.mark.parametrize("host", COMPUTES)
def test_nova_compute_carries_the_hosts_cpu_memory_and_pci(example: dict[str, Any],
                                                           host: str) -> None:
    keys = _effective(host)
    conf = _lines(_conf(example, "nova", _on(example, "nova-compute-", host), "nova.conf"))
    compute = keys["compute"]
    for key in ("cpu_dedicated_set", "cpu_shared_set", "reserved_host_memory_mb"):
        if key in compute:
            assert f"{key} = {compute[key]}" in conf, (host, key)
        else:
            assert not any(ln.startswith(f"{key} =") for ln in conf), (host, key)
    specs = {"device_spec = " + json.dumps({"devname": d["device"],
                                            "physical_network": d["physnet"]})
             for d in keys["interfaces"].get("sriov", [])}
    assert {ln for ln in conf if ln.startswith("device_spec =")} == specs, host
    pages = compute.get("hugepages")
    reserved = {ln for ln in conf if ln.startswith("reserved_huge_pages =")}
    assert reserved == ({f"reserved_huge_pages = node:{n},size:1048576,count:{c}"
                         for n, c in enumerate(pages["reserved"])} if pages else set()), host


@pytest.mark.parametrize("host", OVS_HOSTS)
def test_ovs_agent_carries_the_hosts_bridges(example: dict[str, Any], host: str) -> None:
    bridges = _effective(host)["interfaces"].get("bridges", {})
    physnet = {n["bridge"]: n["physnet"] for n in EXAMPLE["network"]["provider_networks"]
               if n.get("bridge")}
    ds = _on(example, "neutron-ovs-agent-", host)
    agent = _lines(_conf(example, "neutron", ds, "openvswitch_agent.ini"))
    mappings = ",".join(f"{physnet[b]}:{b}" for b in sorted(bridges, key=lambda b: physnet[b]))
    assert f"bridge_mappings = {mappings}".strip() in agent, (host, ds)
    plugged = json.loads(_conf(example, "neutron", ds, "auto_bridge_add") or "null") or {}
    assert plugged == bridges, (host, ds)


@pytest.mark.parametrize("host", OVS_HOSTS)
def test_sriov_agent_only_on_sriov_hosts_with_their_devices(example: dict[str, Any],
                                                            host: str) -> None:
    devices = _effective(host)["interfaces"].get("sriov", [])
    running = [k for k, hosts in example["placed"].items()
               if k.startswith("DaemonSet/openstack/neutron-sriov-agent-") and host in hosts]
    assert len(running) == (1 if devices else 0), (host, running)
    if devices:
        ini = _lines(_conf(example, "neutron", running[0].split("/")[-1], "sriov_agent.ini"))
        text = ",".join(f"{d['physnet']}:{d['device']}" for d in devices)
        assert f"physical_device_mappings = {text}" in ini, host


def test_ml2_ranges_and_the_tunnel_network(example: dict[str, Any]) -> None:
    ml2 = _lines(_conf(example, "neutron", _on(example, "neutron-ovs-agent-", "ctl-0"),
                       "ml2_conf.ini"))
    assert "flat_networks = external" in ml2
    assert "network_vlan_ranges = physnet1:100:199,sriovnet:200:299" in ml2
    # The two compute generations name their tunnel NIC differently: found by route instead.
    script = example["neutron"]["ConfigMap/neutron-bin"]["data"][
        "neutron-openvswitch-agent-init.sh"]
    assert 'tunnel_interface=""' in script
    assert 'tunnel_network_cidr="172.16.0.0/24"' in script


def test_one_tunnel_name_everywhere_is_the_tunnel_interface() -> None:
    profiles = copy.deepcopy(EXAMPLE["profiles"])
    for p in profiles.values():
        p["interfaces"]["tunnel"] = "bond0"
    network = {k: v for k, v in EXAMPLE["network"].items() if k != "tunnel_cidr"}
    ovs = [{**h, "profile": h.get("profile") or "compute-a"} for h in HOSTS]
    run = _render(_site(ovs, network, profiles), charts=("neutron",))
    script = run["neutron"]["ConfigMap/neutron-bin"]["data"]["neutron-openvswitch-agent-init.sh"]
    assert 'tunnel_interface="bond0"' in script


def test_2000_hosts_in_20_profiles_give_21_daemonsets_per_chart() -> None:
    run = _render(_site(scale_hosts(2000), SCALE_NETWORK, scale_profiles()))
    made: dict[str, list[str]] = {}
    for chart in ("nova", "neutron"):
        for key in run[chart]:
            kind, name = key.split("/")
            for family in ("nova-compute-", "neutron-ovs-agent-", "neutron-sriov-agent-"):
                if kind == "DaemonSet" and name.startswith(family):
                    made.setdefault(family, []).append(name)
    assert len(made["nova-compute-"]) == PROFILES + 1
    assert len(made["neutron-ovs-agent-"]) == PROFILES + 1
    # Every SR-IOV profile has the same device mapping: one rule for them all.
    assert len(made["neutron-sriov-agent-"]) == 2
    # The 2,000 hosts are spread over the 20 profile DaemonSets, each on its 100 hosts.
    on = [len(hosts) for key, hosts in run["placed"].items()
          if key.startswith("DaemonSet/openstack/nova-compute-")]
    assert sorted(on) == [0] + [100] * PROFILES
