"""Checks that span fields of a site, beyond what the pydantic model's types express.

Each check returns ``(location, message)`` pairs, the location in pydantic's tuple form, so
the loader can point every problem at its line in ``site.yaml``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from helmdeck.site.model import Role, Site
from helmdeck.values.located import Problem


def raw_problems(data: Any) -> list[Problem]:
    """Mistakes best explained before type validation, whose generic message would mislead."""
    spec = data.get("spec") if isinstance(data, Mapping) else None
    if not isinstance(spec, Mapping):
        return []
    problems: list[Problem] = []
    if "secrets" in spec:
        problems.append(
            (
                ("spec", "secrets"),
                "secrets do not belong in site.yaml: they live in the encrypted secret store; "
                "remove spec.secrets and use: helmdeck secret set NAME",
            )
        )
    release = spec.get("release")
    if isinstance(release, int | float) and not isinstance(release, bool):
        problems.append(
            (
                ("spec", "release"),
                f'written as a number ({release!r}); quote it, e.g. release: "2025.1" '
                '(unquoted, YAML reads 2024.10 as the number 2024.1)',
            )
        )
    return problems


# Node labels helmdeck derives from roles and zones; a host's extra labels must not
# set them, or a compute host could attract the control plane.
ROLE_LABELS = (
    "openstack-control-plane",
    "openstack-compute-node",
    "openstack-network-node",
    "l3-agent",
    "openvswitch",
    "topology.kubernetes.io/zone",
)


def site_problems(site: Site, charts: Collection[str] | None = None) -> list[Problem]:
    """Every cross-field problem of a well-typed site, in document order.

    ``charts`` are the names of the application in use; without them, disabled chart names
    are not checked (the site alone cannot know which application it is deployed with).
    """
    spec = site.spec
    problems: list[Problem] = []
    for i, host in enumerate(spec.hosts):
        seen_roles: set[str] = set()
        for role in host.roles:
            if role in seen_roles:
                problems.append(
                    (("spec", "hosts", i, "roles"), f"role {role.value} listed twice; list it once")
                )
            seen_roles.add(role)
        for key in host.labels:
            if key in ROLE_LABELS:
                problems.append(
                    (
                        ("spec", "hosts", i, "labels", key),
                        "helmdeck sets this label from the host's roles (and zone); remove it "
                        "from labels and give the host the role (or zone) instead",
                    )
                )
    seen_features: set[str] = set()
    for j, feature in enumerate(spec.features):
        if feature in seen_features:
            problems.append(
                (("spec", "features", j), f"feature {feature} listed twice; list it once")
            )
        seen_features.add(feature)
    first_at: dict[str, int] = {}
    for i, host in enumerate(spec.hosts):
        if host.name in first_at:
            problems.append(
                (
                    ("spec", "hosts", i, "name"),
                    f"duplicate host name {host.name} (first at spec.hosts[{first_at[host.name]}]);"
                    " host names must be unique",
                )
            )
        else:
            first_at[host.name] = i
    if not spec.hosts_with(Role.CONTROLLER):
        problems.append(
            (("spec", "hosts"), "no host has role controller; give at least one host that role")
        )
    if "nova" not in spec.charts.disabled and not spec.hosts_with(Role.COMPUTE):
        problems.append(
            (
                ("spec", "hosts"),
                "no host has role compute while nova is enabled; give a host the compute role "
                "or add nova to spec.charts.disabled",
            )
        )
    known = list(charts) if charts is not None else []
    for i, chart in enumerate(spec.charts.disabled):
        if charts is not None and chart not in known:
            problems.append(
                (
                    ("spec", "charts", "disabled", i),
                    f"unknown chart {chart}; known charts: {', '.join(known)}",
                )
            )
    if spec.storage.backend == "ceph" and not spec.storage.ceph.monitors:
        problems.append(
            (
                ("spec", "storage", "ceph", "monitors"),
                "storage backend ceph needs at least one monitor address here",
            )
        )
    return problems
