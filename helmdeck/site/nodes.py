"""The labels and taints each host's Kubernetes node carries for this site.

The labels are what the charts' node selectors expect: one per role, the zone, the profile
group its per-host DaemonSets select on (``helmdeck-profile``), ``sriov`` where neutron's
SR-IOV agent runs, then the host's own extra labels (which win). Like every label
helmdeck sets, ``nodes apply`` removes the profile and SR-IOV labels from a node the inventory
no longer gives them to, so a host taken out of a profile stops running that profile's
DaemonSets.
"""

from __future__ import annotations

from helmdeck.kube.nodes import NodeSpec, NodeTaint
from helmdeck.site.model import Role, Site
from helmdeck.site.profiles import PROFILE_LABEL, host_groups

ENABLED = "enabled"
ZONE_LABEL = "topology.kubernetes.io/zone"
SRIOV_LABEL = "sriov"  # neutron's labels.sriov default: where its SR-IOV agent runs
ROLE_LABELS: dict[Role, tuple[str, ...]] = {
    Role.CONTROLLER: ("openstack-control-plane", "openvswitch"),
    Role.COMPUTE: ("openstack-compute-node", "openvswitch"),
    Role.NETWORK: ("openstack-network-node", "l3-agent", "openvswitch"),
    Role.STORAGE: (),
}


def desired_nodes(site: Site) -> list[NodeSpec]:
    """Each host's labels (roles, zone, profile group, SR-IOV, then its own extra labels,
    which win) and taints."""
    groups = {h.name: g for g in host_groups(site) for h in g.hosts}
    nodes = []
    for host in site.spec.hosts:
        labels = {key: ENABLED for role in host.roles for key in ROLE_LABELS[role]}
        if host.zone:
            labels[ZONE_LABEL] = host.zone
        group = groups.get(host.name)
        if group is not None:
            labels[PROFILE_LABEL] = group.label
            if group.settings.value("interfaces.sriov"):
                labels[SRIOV_LABEL] = ENABLED
        labels.update(host.labels)
        taints = tuple(NodeTaint(t.key, t.value, t.effect) for t in host.taints)
        nodes.append(NodeSpec(host.name, dict(sorted(labels.items())), taints))
    return nodes
