"""libvirt: compute hosts; its ceph client user/UUID must match nova's and cinder's."""

from helmdeck.plugin import (
    CEPH_UUID,
    ChartPlugin,
    ChartSpec,
    Generator,
    Out,
    Placement,
    Secret,
    SiteSnapshot,
    ceph_client,
    network_backend,
)


def _extra(out: Out, *, snapshot: SiteSnapshot, **_: object) -> None:
    network_backend(out, snapshot.site)
    ceph_client(out, snapshot)


plugin = ChartPlugin(
    ChartSpec(
        chart="libvirt",
        labels={("agent", "libvirt"): Placement.COMPUTE},
        secrets=(Secret(CEPH_UUID, ("conf.ceph.cinder.secret_uuid",), Generator.UUID,
                        place=False),),
        extra=_extra,
    )
)
