"""The labels and taints each host's Kubernetes node carries for this site.

The labels are what the charts' node selectors expect: one per role, the zone, then the
host's own extra labels (which win).
"""

from __future__ import annotations

from helmdeck.kube.nodes import NodeSpec, NodeTaint
from helmdeck.site.model import Role, Site

ENABLED = "enabled"
ZONE_LABEL = "topology.kubernetes.io/zone"
ROLE_LABELS: dict[Role, tuple[str, ...]] = {
    Role.CONTROLLER: ("openstack-control-plane", "openvswitch"),
    Role.COMPUTE: ("openstack-compute-node", "openvswitch"),
    Role.NETWORK: ("openstack-network-node", "l3-agent", "openvswitch"),
    Role.STORAGE: (),
}


def desired_nodes(site: Site) -> list[NodeSpec]:
    """Each host's labels (roles, zone, then its own extra labels, which win) and taints."""
    nodes = []
    for host in site.spec.hosts:
        labels = {key: ENABLED for role in host.roles for key in ROLE_LABELS[role]}
        if host.zone:
            labels[ZONE_LABEL] = host.zone
        labels.update(host.labels)
        taints = tuple(NodeTaint(t.key, t.value, t.effect) for t in host.taints)
        nodes.append(NodeSpec(host.name, dict(sorted(labels.items())), taints))
    return nodes
