"""nova: compute agents on computes, the rest on controllers; rbd ephemeral disks with ceph."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import OPENSTACK_SHARED, ChartPlugin, ChartSpec, control
from helmdeck.plugins.charts.libvirt import ceph_client

CONTROL = (
    "osapi",
    "api_metadata",
    "conductor",
    "scheduler",
    "novncproxy",
    "serialproxy",
    "spiceproxy",
    "job",
    "test",
)


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    b.secret(
        out, snap, ("conf", "nova", "neutron", "metadata_proxy_shared_secret"), b.METADATA_SECRET
    )
    b.network_backend(out, snap.site)
    ceph_client(out, snap)
    lv = ("conf", "nova", "libvirt")
    fact = b.storage_fact(snap.site)
    if snap.site.spec.storage.backend != "ceph":
        out.set((*lv, "images_type"), "qcow2", fact)
        out.set(("manifests", "job_storage_init"), False, f"{fact} (no ceph pool to create)")
        return
    user, user_fact, uuid, uuid_fact = b.ceph_identity(snap)
    pool = snap.site.spec.storage.ceph.pools.vms
    out.set((*lv, "images_type"), "rbd", fact)
    out.set((*lv, "images_rbd_pool"), pool, f"spec.storage.ceph.pools.vms: {pool}")
    out.set((*lv, "rbd_user"), user, user_fact)
    out.set((*lv, "rbd_secret_uuid"), uuid, uuid_fact)


plugin = ChartPlugin(
    ChartSpec(
        chart="nova",
        labels={
            **control(*CONTROL),
            ("agent", "compute"): b.Placement.COMPUTE,
            ("agent", "compute_ironic"): b.Placement.COMPUTE,
        },
        api_replicas=(
            "osapi",
            "api_metadata",
            "conductor",
            "scheduler",
            "novncproxy",
            "serialproxy",
            "spiceproxy",
        ),
        db_endpoints=("oslo_db", "oslo_db_cell0", "oslo_db_cell1"),
        rabbit_user=True,
        keystone_users=("nova", "neutron", "placement", "cinder", "service", "ironic", "test"),
        memcache_key=True,
        shared_secrets=OPENSTACK_SHARED,
        extra_secrets=(b.METADATA_SECRET, b.CEPH_UUID),
        extra=_extra,
    )
)
