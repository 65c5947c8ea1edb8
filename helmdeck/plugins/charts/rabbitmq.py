"""rabbitmq: its admin is `auth.user` (clients call it `auth.admin`); label key `jobs`."""

from helmdeck.plugin import (
    RABBIT_ADMIN,
    ChartPlugin,
    ChartSpec,
    Out,
    Provides,
    Secret,
    Site,
    control,
)

AUTH = "endpoints.oslo_messaging.auth"


def _extra(out: Out, *, site: Site, **_: object) -> None:
    out.set(("endpoints", "oslo_messaging", "auth", "user", "username"), "rabbitmq",
            "rabbitmq admin user")
    cls = site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = ChartPlugin(
    ChartSpec(
        chart="rabbitmq",
        labels=control("server", "jobs", "test"),
        cluster_replicas=("server",),
        shared_secrets=(RABBIT_ADMIN,),
        secrets=(
            Secret(RABBIT_ADMIN, (f"{AUTH}.user.password",)),
            Secret("rabbitmq_guest_password", (f"{AUTH}.guest.password",)),
            Secret("rabbitmq_erlang_cookie", (f"{AUTH}.erlang_cookie",)),
        ),
        provides=(Provides("oslo_messaging", public="rabbitmq", public_here_only=True),),
        extra=_extra,
    )
)
