"""libvirt: compute hosts; its ceph client user/UUID must match nova's and cinder's."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec


def ceph_client(out: b.Out, snap: SiteSnapshot) -> None:
    """`conf.ceph` as nova and libvirt both spell it."""
    fact = b.storage_fact(snap.site)
    if snap.site.spec.storage.backend != "ceph":
        out.set(("conf", "ceph", "enabled"), False, fact)
        return
    user, user_fact, uuid, uuid_fact = b.ceph_identity(snap)
    out.set(("conf", "ceph", "enabled"), True, fact)
    out.set(("conf", "ceph", "cinder", "user"), user, user_fact)
    out.set(("conf", "ceph", "cinder", "secret_uuid"), uuid, uuid_fact)


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    b.network_backend(out, snap.site)
    ceph_client(out, snap)


plugin = ChartPlugin(
    ChartSpec(
        chart="libvirt",
        labels={("agent", "libvirt"): b.Placement.COMPUTE},
        extra_secrets=(b.CEPH_UUID,),
        extra=_extra,
    )
)
