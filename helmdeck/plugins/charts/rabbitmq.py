"""rabbitmq: its admin is `auth.user` (clients call it `auth.admin`); label key `jobs`."""

from collections.abc import Mapping
from typing import Any

from helmdeck.plugins import builders as b
from helmdeck.plugins.base import ChartRef, SiteSnapshot
from helmdeck.plugins.chartplugin import ChartPlugin, ChartSpec, control

COOKIE = "rabbitmq_erlang_cookie"
GUEST = "rabbitmq_guest_password"


def _extra(
    out: b.Out, facts: b.SiteFacts, snap: SiteSnapshot, ref: ChartRef, values: Mapping[str, Any]
) -> None:
    auth = ("endpoints", "oslo_messaging", "auth")
    out.set((*auth, "user", "username"), "rabbitmq", "rabbitmq admin user")
    b.secret(out, snap, (*auth, "user", "password"), b.RABBIT_ADMIN)
    b.secret(out, snap, (*auth, "guest", "password"), GUEST)
    b.secret(out, snap, (*auth, "erlang_cookie"), COOKIE)
    cls = snap.site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = ChartPlugin(
    ChartSpec(
        chart="rabbitmq",
        labels=control("server", "jobs", "test"),
        cluster_replicas=("server",),
        shared_secrets=(b.RABBIT_ADMIN,),
        extra_secrets=(COOKIE, GUEST),
        extra=_extra,
    )
)
