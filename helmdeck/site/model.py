"""Pydantic models of ``site.yaml``.

The models are frozen: plugins receive one immutable snapshot of the site, so no plugin can
change what another plugin sees, and the same site always yields the same overrides.
Unknown keys are refused (``extra="forbid"``) because a misspelt key silently ignored is
the commonest way an inventory drifts from what the operator meant.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import ip_network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

DnsLabel = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
]
DnsName = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        max_length=253,
    ),
]

# Kubernetes label (and taint) syntax: the apiserver refuses anything else, so a typo here
# would only surface when `helmdeck nodes apply` runs against the cluster.
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
LABEL_KEY_PATTERN = rf"^({_DNS_SUBDOMAIN}/)?{_LABEL_NAME}$"
LABEL_VALUE_PATTERN = rf"^({_LABEL_NAME})?$"
# host[:port][/path]: every image becomes <registry>/<repository path>:<tag>, so a scheme or a
# trailing slash would make every image reference invalid.
REGISTRY_PATTERN = (
    r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# Release, distro and features pick values_overrides files by name: anything but these
# characters (a '/' above all) could make a file name reach outside values_overrides.
OVERRIDE_NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
# A Linux network device (NIC, VLAN interface, OVS bridge): at most 15 characters. ':' and ','
# are refused because the charts' scripts split "bridge:interface,..." on them.
IFNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$"
# An ML2 physical network name: it appears in "physnet:bridge" and "physnet:min:max" lists.
PHYSNET_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# nova's CPU set syntax: "4-15,^8,20" (ranges, single CPUs, ^ excludes).
CPUSET_PATTERN = r"^\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*$"
VLAN_RANGE_PATTERN = r"^[0-9]{1,4}:[0-9]{1,4}$"
PCI_PATTERN = r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$"

LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_PATTERN, max_length=317)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE_PATTERN)]
Registry = Annotated[str, StringConstraints(pattern=REGISTRY_PATTERN, max_length=255)]
Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
OverrideName = Annotated[str, StringConstraints(pattern=OVERRIDE_NAME_PATTERN, max_length=63)]
IfName = Annotated[str, StringConstraints(pattern=IFNAME_PATTERN)]
Physnet = Annotated[str, StringConstraints(pattern=PHYSNET_PATTERN)]
CpuSet = Annotated[str, StringConstraints(pattern=CPUSET_PATTERN)]
VlanRange = Annotated[str, StringConstraints(pattern=VLAN_RANGE_PATTERN)]
PciAddress = Annotated[str, StringConstraints(pattern=PCI_PATTERN)]

# What the loader says when one of the patterns above does not match.
PATTERN_MESSAGES = {
    LABEL_KEY_PATTERN: "not a Kubernetes label key: [prefix/]name, name up to 63 letters, "
    "digits, '-', '_' or '.', starting and ending with a letter or digit",
    LABEL_VALUE_PATTERN: "not a Kubernetes label value: up to 63 letters, digits, '-', '_' "
    "or '.', starting and ending with a letter or digit",
    REGISTRY_PATTERN: "not an image registry: write host[:port][/path] in lower case, "
    "without a scheme, e.g. registry.example.com:5000",
    UUID_PATTERN: "not a UUID: write it as 8-4-4-4-12 hex digits, or leave it null to have "
    "one generated",
    OVERRIDE_NAME_PATTERN: "not a values_overrides name: use letters, digits, '.', '_' and "
    "'-' only (it becomes part of a file name, e.g. 2026.1-ubuntu_noble.yaml)",
    IFNAME_PATTERN: "not a network interface or bridge name: up to 15 letters, digits, '-', "
    "'_' or '.', starting with a letter or digit",
    PHYSNET_PATTERN: "not a physical network name: up to 64 letters, digits, '-', '_' or '.'",
    CPUSET_PATTERN: "not a CPU set: write CPUs and ranges separated by commas, ^ to exclude, "
    "e.g. 4-15,^8",
    VLAN_RANGE_PATTERN: "not a VLAN range: write MIN:MAX, e.g. 100:199",
    PCI_PATTERN: "not a PCI address: write DOMAIN:BUS:SLOT.FUNCTION, e.g. 0000:05:00.0",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Role(StrEnum):
    CONTROLLER = "controller"
    COMPUTE = "compute"
    NETWORK = "network"
    STORAGE = "storage"


class Taint(_Model):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


# The charts whose DaemonSets take per-host configuration (helm-toolkit's daemonset overrides):
# what a host's or profile's free-form ``conf`` may be written for.
PerHostChart = Literal["libvirt", "neutron", "nova", "ovn"]


class SriovDevice(_Model):
    """A NIC whose virtual functions are handed to instances (neutron's SR-IOV agent)."""

    device: IfName
    vfs: int = Field(ge=1, le=4096)
    physnet: Physnet
    mtu: int | None = Field(default=None, ge=68, le=65535)


class DpdkNic(_Model):
    """A NIC driven by Open vSwitch's DPDK datapath, plugged into ``bridge`` as port ``name``.

    Give the NIC by PCI address or by its kernel name (``device``), not both.
    """

    name: IfName
    bridge: IfName
    pci_id: PciAddress | None = None
    device: IfName | None = None

    @model_validator(mode="after")
    def _one_address(self) -> DpdkNic:
        if (self.pci_id is None) == (self.device is None):
            raise ValueError("give exactly one of pci_id or device")
        return self


class Interfaces(_Model):
    """Which NIC does what on a host. A key left out (null) is inherited from the profile.

    ``bridges`` maps each provider bridge to the NIC plugged into it (null: the bridge alone).
    """

    tunnel: IfName | None = None
    bridges: dict[IfName, IfName | None] | None = None
    sriov: tuple[SriovDevice, ...] | None = None
    dpdk: tuple[DpdkNic, ...] | None = None


class Hugepages(_Model):
    """Huge pages of the host (allocated by its kernel command line, outside helmdeck).

    ``reserved``: pages kept for the host on NUMA node 0, 1, ... (nova reserved_huge_pages).
    """

    size: Literal["2M", "1G"]
    reserved: tuple[Annotated[int, Field(ge=0)], ...] = ()


class Compute(_Model):
    """nova-compute tuning of a host. A key left out (null) is inherited from the profile."""

    cpu_dedicated_set: CpuSet | None = None
    cpu_shared_set: CpuSet | None = None
    reserved_host_memory_mb: int | None = Field(default=None, ge=0)
    hugepages: Hugepages | None = None


class Profile(_Model):
    """Per-host configuration shared by the hosts that name it (``spec.hosts[].profile``).

    ``conf`` is, per chart, a tree merged into that chart's ``conf`` on the profile's hosts
    only (for what the model does not name), e.g. ``{nova: {nova: {libvirt: {cpu_mode: x}}}}``.
    """

    interfaces: Interfaces = Interfaces()
    compute: Compute = Compute()
    conf: dict[PerHostChart, dict[str, Any]] = Field(default_factory=dict)


class Host(_Model):
    """A host; its own ``interfaces``, ``compute`` and ``conf`` keys win over its profile's."""

    name: DnsName
    roles: tuple[Role, ...] = Field(min_length=1)
    zone: LabelValue | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    profile: DnsLabel | None = None
    interfaces: Interfaces = Interfaces()
    compute: Compute = Compute()
    conf: dict[PerHostChart, dict[str, Any]] = Field(default_factory=dict)

    def has(self, role: Role) -> bool:
        return role in self.roles


class Tls(_Model):
    enabled: bool = False


class ChartSource(_Model):
    """Where the charts come from: exactly one of a local path, a Helm repository, an OCI ref."""

    path: str | None = None
    repo: str | None = None
    oci: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ChartSource:
        given = [k for k in ("path", "repo", "oci") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of path, repo or oci")
        if self.oci is not None and not self.oci.startswith("oci://"):
            raise ValueError("oci must start with oci://")
        return self


class Charts(_Model):
    source: ChartSource = ChartSource(path="./openstack-helm")
    disabled: tuple[str, ...] = ()


class CephPools(_Model):
    images: str = "images"
    volumes: str = "volumes"
    vms: str = "vms"


class Ceph(_Model):
    monitors: tuple[str, ...] = ()
    pools: CephPools = CephPools()
    user: str = "cinder"
    secret_uuid: Uuid | None = None


class Storage(_Model):
    backend: Literal["local", "pvc", "ceph"] = "local"
    class_name: str = "general"
    ceph: Ceph = Ceph()


def _cidr(value: str) -> str:
    try:
        return str(ip_network(value, strict=False))
    except ValueError as exc:
        raise ValueError(f"not a network address: {exc}; write it as 172.16.0.0/24") from None


Cidr = Annotated[str, AfterValidator(_cidr)]


class ProviderNetwork(_Model):
    """A physical network instances attach to: ML2's ``physnet`` carried by an OVS ``bridge``.

    ``type`` flat: untagged; vlan: tagged, tenant networks taking VLAN IDs from
    ``vlan_ranges`` (none: provider VLANs only). ``bridge`` null: served by SR-IOV VFs only.
    """

    physnet: Physnet
    bridge: IfName | None = None
    mtu: int | None = Field(default=None, ge=68, le=65535)
    type: Literal["flat", "vlan"] = "flat"
    vlan_ranges: tuple[VlanRange, ...] = ()


class ExternalNetwork(_Model):
    """The provider network floating IPs come from: its bridge must be on the l3 hosts."""

    physnet: Physnet


class Network(_Model):
    backend: Literal["openvswitch", "ovn"] = "openvswitch"
    provider_networks: tuple[ProviderNetwork, ...] = ()
    external: ExternalNetwork | None = None
    # The overlay (VXLAN/Geneve) network: each host finds its tunnel interface by its route to
    # it when the tunnel interface is not the same on every host.
    tunnel_cidr: Cidr | None = None

    def provider(self, physnet: str) -> ProviderNetwork | None:
        return next((p for p in self.provider_networks if p.physnet == physnet), None)


class SiteSpec(_Model):
    region: str = "RegionOne"
    namespace: DnsLabel = "openstack"
    cluster_domain: DnsName = "cluster.local"
    public_domain: DnsName
    tls: Tls = Tls()
    release: OverrideName = "2026.1"
    distro: OverrideName = "ubuntu_noble"
    features: tuple[OverrideName, ...] = ()
    mode: Literal["production", "development"] = "production"
    registry: Registry | None = None
    charts: Charts = Charts()
    storage: Storage = Storage()
    network: Network = Network()
    profiles: dict[DnsLabel, Profile] = Field(default_factory=dict)
    hosts: tuple[Host, ...] = Field(min_length=1)

    def hosts_with(self, role: Role) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if role in h.roles)


class Metadata(_Model):
    name: DnsLabel


class Site(_Model):
    apiVersion: Literal["helmdeck/v1"]  # camelCase: the file's own key
    kind: Literal["Site"]
    metadata: Metadata
    spec: SiteSpec
