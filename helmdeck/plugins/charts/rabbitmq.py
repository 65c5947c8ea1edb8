"""rabbitmq: its admin is `auth.user` (clients call it `auth.admin`); label key `jobs`."""

from helmdeck import plugin as sdk

AUTH = "endpoints.oslo_messaging.auth"


def _extra(out: sdk.Out, *, site: sdk.Site, **_: object) -> None:
    out.set(("endpoints", "oslo_messaging", "auth", "user", "username"), "rabbitmq",
            "rabbitmq admin user")
    cls = site.spec.storage.class_name
    out.set(("volume", "class_name"), cls, f"spec.storage.class_name: {cls}")


plugin = sdk.ChartPlugin(
    sdk.ChartSpec(
        chart="rabbitmq",
        labels=sdk.control("server", "jobs", "test"),
        cluster_replicas=("server",),
        shared_secrets=(sdk.RABBIT_ADMIN,),
        secrets=(
            sdk.Secret(sdk.RABBIT_ADMIN, (f"{AUTH}.user.password",)),
            sdk.Secret("rabbitmq_guest_password", (f"{AUTH}.guest.password",)),
            sdk.Secret("rabbitmq_erlang_cookie", (f"{AUTH}.erlang_cookie",)),
        ),
        provides=(sdk.Provides("oslo_messaging", public="rabbitmq", public_here_only=True),),
        extra=_extra,
    )
)
