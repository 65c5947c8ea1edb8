"""libvirt: compute hosts; its ceph client user/UUID must match nova's and cinder's.

Per host (one rule per profile group, ``overrides.libvirt_libvirt``, helm-toolkit's root
form): the free-form ``conf.libvirt`` of a profile or host, merged into the chart's ``conf``.
"""

from helmdeck import plugin as sdk


def _libvirt(s: sdk.Settings, site: sdk.Site) -> sdk.HostValues:
    hv = sdk.HostValues()
    hv.merge(s.conf.get("libvirt"), ("conf",))
    return hv


def _extra(out: sdk.Out, *, snapshot: sdk.SiteSnapshot, **_: object) -> None:
    sdk.network_backend(out, snapshot.site)
    sdk.ceph_client(out, snapshot)


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="libvirt",
        labels={("agent", "libvirt"): sdk.Placement.COMPUTE},
        per_host=(sdk.PerHost("libvirt_libvirt", sdk.Form.ROOT, sdk.Placement.COMPUTE, _libvirt,
                              "daemonset_libvirt", ("agent", "libvirt")),),
        secrets=(sdk.Secret(sdk.CEPH_UUID, ("conf.ceph.cinder.secret_uuid",), sdk.Generator.UUID,
                            place=False),),
        extra=_extra,
    )
)
