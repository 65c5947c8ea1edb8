"""Pydantic models of ``site.yaml``.

The models are frozen: plugins receive one immutable snapshot of the site, so no plugin can
change what another plugin sees, and the same site always yields the same overrides.
Unknown keys are refused (``extra="forbid"``) because a misspelt key silently ignored is
the commonest way an inventory drifts from what the operator meant.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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

LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY_PATTERN, max_length=317)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE_PATTERN)]
Registry = Annotated[str, StringConstraints(pattern=REGISTRY_PATTERN, max_length=255)]
Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
OverrideName = Annotated[str, StringConstraints(pattern=OVERRIDE_NAME_PATTERN, max_length=63)]

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


class Host(_Model):
    name: DnsName
    roles: tuple[Role, ...] = Field(min_length=1)
    zone: LabelValue | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

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


class Network(_Model):
    backend: Literal["openvswitch", "ovn"] = "openvswitch"


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
