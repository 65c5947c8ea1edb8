"""libvirt: compute hosts; its ceph client user/UUID must match nova's and cinder's.

Per host (one rule per profile group, ``overrides.libvirt_libvirt``, helm-toolkit's root
form): the free-form ``conf.libvirt`` of a profile or host, merged into the chart's ``conf``.
"""

from helmdeck.plugin import (
    CEPH_UUID,
    ChartPlugin,
    ChartSpec,
    Form,
    Generator,
    HostValues,
    Out,
    PerHost,
    Placement,
    Secret,
    Settings,
    Site,
    SiteSnapshot,
    ceph_client,
    network_backend,
)


def _libvirt(s: Settings, site: Site) -> HostValues:
    hv = HostValues()
    hv.merge(s.conf.get("libvirt"), ("conf",))
    return hv


def _extra(out: Out, *, snapshot: SiteSnapshot, **_: object) -> None:
    network_backend(out, snapshot.site)
    ceph_client(out, snapshot)


plugin = ChartPlugin(
    ChartSpec(
        chart="libvirt",
        labels={("agent", "libvirt"): Placement.COMPUTE},
        per_host=(PerHost("libvirt_libvirt", Form.ROOT, Placement.COMPUTE, _libvirt,
                          "daemonset_libvirt", ("agent", "libvirt")),),
        secrets=(Secret(CEPH_UUID, ("conf.ceph.cinder.secret_uuid",), Generator.UUID,
                        place=False),),
        extra=_extra,
    )
)
