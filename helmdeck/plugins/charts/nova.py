"""nova: compute agents on computes, the rest on controllers; rbd ephemeral disks with ceph."""

from helmdeck.plugin import (
    CEPH_UUID,
    METADATA_SECRET,
    OPENSTACK_SHARED,
    ChartPlugin,
    ChartSpec,
    Generator,
    Out,
    Placement,
    Provides,
    Secret,
    SiteSnapshot,
    ceph_client,
    ceph_identity,
    control,
    network_backend,
    storage_fact,
)

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


def _extra(out: Out, *, snapshot: SiteSnapshot, **_: object) -> None:
    site = snapshot.site
    network_backend(out, site)
    ceph_client(out, snapshot)
    lv = ("conf", "nova", "libvirt")
    fact = storage_fact(site)
    if site.spec.storage.backend != "ceph":
        out.set((*lv, "images_type"), "qcow2", fact)
        out.set(("manifests", "job_storage_init"), False, f"{fact} (no ceph pool to create)")
        return
    user, user_fact, uuid, uuid_fact = ceph_identity(snapshot)
    pool = site.spec.storage.ceph.pools.vms
    out.set((*lv, "images_type"), "rbd", fact)
    out.set((*lv, "images_rbd_pool"), pool, f"spec.storage.ceph.pools.vms: {pool}")
    out.set((*lv, "rbd_user"), user, user_fact)
    out.set((*lv, "rbd_secret_uuid"), uuid, uuid_fact)


plugin = ChartPlugin(
    ChartSpec(
        chart="nova",
        labels={
            **control(*CONTROL),
            ("agent", "compute"): Placement.COMPUTE,
            ("agent", "compute_ironic"): Placement.COMPUTE,
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
        secrets=(
            Secret(METADATA_SECRET, ("conf.nova.neutron.metadata_proxy_shared_secret",)),
            Secret(CEPH_UUID, ("conf.ceph.cinder.secret_uuid", "conf.nova.libvirt.rbd_secret_uuid"),
                   Generator.UUID, place=False),
        ),
        provides=(
            Provides("compute", public="nova", registers=True),
            Provides("compute_metadata", public="metadata", port="metadata"),
            Provides("compute_novnc_proxy", public="novncproxy", port="novnc_proxy"),
            Provides("compute_serial_proxy", public="serialproxy", port="serial_proxy"),
            Provides("compute_spice_proxy", public="spiceproxy", port="spice_proxy"),
        ),
        extra=_extra,
    )
)
