"""The real openstack-helm charts: lint finds exactly the known issues of the reference
(osh-conventions §1.2, §1.5, §1.6, §2 and osh-keys.yaml `known_issues`) and nothing else.

Needs a local openstack-helm checkout (HELMDECK_OSH_CHECKOUT, default /work/osh); CI has
none, so this is skipped there.
"""

from __future__ import annotations

import pytest
from support import OSH_CHARTS
from support import OSH_CHECKOUT as CHECKOUT

from helmdeck.lint import lint_chart

pytestmark = pytest.mark.skipif(
    not (CHECKOUT / "helm-toolkit" / "Chart.yaml").is_file(),
    reason=f"no openstack-helm checkout at {CHECKOUT} (set HELMDECK_OSH_CHECKOUT)",
)

CHARTS = OSH_CHARTS

# helm-toolkit's job helpers read labels.job; these four charts do not declare it.
MISSING_JOB_LABEL = {
    ("OSH002", c, "labels.job") for c in ("rabbitmq", "memcached", "openvswitch", "libvirt")
}

# Resources keys read but missing (§1.6), plus placement's image-repo-sync job, whose
# helm-toolkit helper reads pod.resources.jobs.image_repo_sync (the reference's table only
# grepped chart templates, see osh-keys meta.helm_toolkit_job_resource_keys).
MISSING_RESOURCES = {
    ("OSH009", "keystone", "pod.resources.jobs.ks_user"),
    ("OSH009", "neutron", "pod.resources.rpc_server"),
    ("OSH009", "cinder", "pod.resources.backup"),
    ("OSH009", "memcached", "pod.resources.server"),
    ("OSH009", "mariadb", "pod.resources.prometheus_mysql_exporter"),
    ("OSH009", "placement", "pod.resources.jobs.image_repo_sync"),
    ("OSH010", "memcached", "pod.resources.memcached"),
}

# Floating tags: the infra images, and kubernetes-entrypoint / ceph-config-helper everywhere.
FLOATING = {("OSH005", c, "images.tags.dep_check") for c in CHARTS} | {
    ("OSH005", c, f"images.tags.{k}")
    for c, keys in {
        "glance": ["glance_storage_init"],
        "cinder": ["cinder_storage_init", "cinder_backup_storage_init"],
        "horizon": ["test"],
        "nova": ["nova_storage_init", "nova_service_cleaner", "nova_wait_for_computes_init"],
        "mariadb": [
            "mariadb",
            "mariadb_backup",
            "scripted_test",
            "mariadb_controller",
            "mariadb_db_controller",
        ],
        "openvswitch": ["openvswitch_db_server", "openvswitch_vswitchd"],
        "libvirt": ["kubectl"],
    }.items()
    for k in keys
}

# The jobs of an API chart that bootstraps, owns a database and a catalog entry, and uses rabbit.
ALL_JOBS = [
    "bootstrap",
    "db_init",
    "db_sync",
    "repo_sync",
    "ks_endpoints",
    "ks_service",
    "ks_user",
    "rabbit_init",
]
JOB_ANNOTATIONS = {
    c: [f"metadata.annotations.job.{j}" for j in jobs]
    for c, jobs in {
        "keystone": ["bootstrap", "db_init", "db_sync", "repo_sync", "rabbit_init"],
        "glance": ALL_JOBS,
        "placement": ["db_init", "db_sync", "repo_sync", "ks_endpoints", "ks_service", "ks_user"],
        "heat": ALL_JOBS,
        "cinder": ALL_JOBS,
        "horizon": ["db_init"],
        "nova": [j for j in ALL_JOBS if j != "bootstrap"],
        "neutron": ALL_JOBS,
    }.items()
}
PROBES = {
    "keystone": ["apiProbeTemplate"],
    "glance": ["probeTemplate"],
    "cinder": ["cinderApiLivenessProbeTemplate", "cinderApiReadinessProbeTemplate"],
    "nova": [
        f"nova{p}{k}ProbeTemplate"
        for p in (
            "ApiMetadata",
            "ApiOsapi",
            "Conductor",
            "Novncproxy",
            "Scheduler",
            "Serialproxy",
            "Spiceproxy",
            "Compute",
        )
        for k in ("Liveness", "Readiness")
    ]
    + ["novaComputeStartupProbeTemplate"],
    "neutron": [
        "bagpipeBgpLivenessProbeTemplate",
        "bagpipeBgpReadinessProbeTemplate",
        "bgp_dragentLivenessProbeTemplate",
        "sriovAgentReadinessProbeTemplate",
    ]
    + [
        f"{a}{k}ProbeTemplate"
        for a in (
            "dhcpAgent",
            "l2gwAgent",
            "l3Agent",
            "metadataAgent",
            "ovnVPNAgent",
            "ovnAgent",
            "ovnMetadataAgent",
            "ovsAgent",
            "server",
        )
        for k in ("Liveness", "Readiness")
    ],
    "mariadb": ["mariadbReadinessProbe", "mariadbLivenessProbe", "exporterProbeTemplate"],
    "rabbitmq": [
        "get_erlvm_scheduler_num",
        "rabbitmqReadinessProbeTemplate",
        "rabbitmqLivenessProbeTemplate",
    ],
    "memcached": ["memcachedProbeTemplate"],
    "openvswitch": [
        "ovsdblivenessProbeTemplate",
        "ovsdbreadinessProbeTemplate",
        "ovsvswitchlivenessProbeTemplate",
        "ovsvswitchreadinessProbeTemplate",
    ],
    "libvirt": ["libvirtProbeTemplate"],
}
UNPREFIXED = {
    ("OSH013", c, name)
    for table in (JOB_ANNOTATIONS, PROBES)
    for c, names in table.items()
    for name in names
}

EXPECTED = MISSING_JOB_LABEL | MISSING_RESOURCES | FLOATING | UNPREFIXED


def test_real_charts_have_exactly_the_known_issues() -> None:
    found = {(f.rule, f.chart, f.key) for chart in CHARTS for f in lint_chart(CHECKOUT / chart)}
    assert sorted(found - EXPECTED) == [], "spurious findings"
    assert sorted(EXPECTED - found) == [], "known issues not found"
