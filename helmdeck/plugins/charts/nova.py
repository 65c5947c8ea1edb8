"""nova: compute agents on computes, the rest on controllers; rbd ephemeral disks with ceph.

Per host (one rule per profile group, ``conf.overrides.nova_compute``): the CPU sets, reserved
memory and huge pages of the compute tuning, the SR-IOV devices instances may take
(``[pci] device_spec``) and the free-form ``conf.nova``.
"""

import json

from helmdeck import plugin as sdk

# The control-plane services that run replicated; their jobs and tests run there too.
REPLICATED = ("osapi", "api_metadata", "conductor", "scheduler", "novncproxy", "serialproxy",
              "spiceproxy")
CONTROL = (*REPLICATED, "job", "test")


# Page sizes in KiB, as nova's reserved_huge_pages takes them.
PAGE_KIB = {"2M": 2048, "1G": 1048576}
COMPUTE = (
    ("compute.cpu_dedicated_set", ("nova", "compute", "cpu_dedicated_set")),
    ("compute.cpu_shared_set", ("nova", "compute", "cpu_shared_set")),
    ("compute.reserved_host_memory_mb", ("nova", "DEFAULT", "reserved_host_memory_mb")),
)


def _multistring(values: list[str]) -> dict[str, object]:
    """helm-toolkit's to_oslo_conf spelling of an option given once per value."""
    return {"type": "multistring", "values": values}


def _compute(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    hv = sdk.HostValues()
    for key, path in COMPUTE:
        found: sdk.Sourced[object] | None = s.get(key)
        if found is not None:
            hv.set(path, found.value, f"{found.where}: {found.value}")
    pages = s.get("compute.hugepages")
    if pages is not None and any(pages.value.reserved):
        kib = PAGE_KIB[pages.value.size]
        reserved = [f"node:{node},size:{kib},count:{count}"
                    for node, count in enumerate(pages.value.reserved) if count]
        hv.set(("nova", "DEFAULT", "reserved_huge_pages"), _multistring(reserved),
               f"{pages.where}: {pages.value.size} pages, {', '.join(reserved)}")
    sriov = s.get("interfaces.sriov")
    if sriov is not None and sriov.value:
        specs = [json.dumps({"devname": d.device, "physical_network": d.physnet})
                 for d in sriov.value]
        hv.set(("nova", "pci", "device_spec"), _multistring(specs),
               f"{sriov.where}: " + ", ".join(f"{d.device} ({d.physnet})" for d in sriov.value))
    hv.merge(s.conf.get("nova"))
    return hv


def _extra(out: sdk.Out, *, snapshot: sdk.SiteSnapshot, **_: object) -> None:
    site = snapshot.site
    sdk.network_backend(out, site)
    sdk.ceph_client(out, snapshot)
    lv = ("conf", "nova", "libvirt")
    fact = sdk.storage_fact(site)
    if site.spec.storage.backend != "ceph":
        out.set((*lv, "images_type"), "qcow2", fact)
        out.set(("manifests", "job_storage_init"), False, f"{fact} (no ceph pool to create)")
        return
    user, user_fact, uuid, uuid_fact = sdk.ceph_identity(snapshot)
    pool = site.spec.storage.ceph.pools.vms
    out.set((*lv, "images_type"), "rbd", fact)
    out.set((*lv, "images_rbd_pool"), pool, f"spec.storage.ceph.pools.vms: {pool}")
    out.set((*lv, "rbd_user"), user, user_fact)
    out.set((*lv, "rbd_secret_uuid"), uuid, uuid_fact)


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="nova",
        labels={
            **sdk.control(*CONTROL),
            ("agent", "compute"): sdk.Placement.COMPUTE,
            ("agent", "compute_ironic"): sdk.Placement.COMPUTE,
        },
        api_replicas=REPLICATED,
        db_endpoints=("oslo_db", "oslo_db_cell0", "oslo_db_cell1"),
        rabbit_user=True,
        keystone_users=("nova", "neutron", "placement", "cinder", "service", "ironic", "test"),
        memcache_key=True,
        shared_secrets=sdk.OPENSTACK_SHARED,
        secrets=(
            sdk.Secret(sdk.METADATA_SECRET, ("conf.nova.neutron.metadata_proxy_shared_secret",)),
            sdk.Secret(sdk.CEPH_UUID,
                       ("conf.ceph.cinder.secret_uuid", "conf.nova.libvirt.rbd_secret_uuid"),
                       sdk.Generator.UUID, place=False),
        ),
        per_host=(sdk.PerHost("nova_compute", sdk.Form.CONF, sdk.Placement.COMPUTE, _compute,
                              "daemonset_compute", ("agent", "compute")),),
        provides=(
            sdk.Provides("compute", public="nova", registers=True),
            sdk.Provides("compute_metadata", public="metadata", port="metadata"),
            sdk.Provides("compute_novnc_proxy", public="novncproxy", port="novnc_proxy"),
            sdk.Provides("compute_serial_proxy", public="serialproxy", port="serial_proxy"),
            sdk.Provides("compute_spice_proxy", public="spiceproxy", port="spice_proxy"),
        ),
        extra=_extra,
    )
)
