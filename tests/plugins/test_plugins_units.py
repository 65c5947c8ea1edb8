"""Secret paths, image mirroring, the overrides builder and plugin discovery (no chart data)."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plugin_sites import CHARTS, build_site, snapshot

from helmdeck.errors import UserError
from helmdeck.plugin import Out, mirror_image
from helmdeck.plugins import registry
from helmdeck.plugins.generate import system_overrides
from helmdeck.plugins.registry import load_plugins

is_secret_path = load_plugins().secret_paths.is_secret


@pytest.mark.parametrize(
    "path",
    [
        "endpoints.identity.auth.admin.password",
        "endpoints.oslo_messaging.auth.erlang_cookie",
        "endpoints.oslo_cache.auth.memcache_secret_key",
        "endpoints.oci_image_registry.auth.nova.password",
        "conf.nova.neutron.metadata_proxy_shared_secret",
        "conf.metadata_agent.DEFAULT.metadata_proxy_shared_secret",
        "conf.horizon.local_settings.config.horizon_secret_key",
        "conf.ceph.cinder.secret_uuid",
        "conf.ceph.cinder.keyring",
        "conf.ceph.admin_keyring",
        "conf.backends.rbd1.rbd_secret_uuid",
        "conf.nova.libvirt.rbd_secret_uuid",
        "conf.nova.keystone_authtoken.password",
        "conf.nova.database.connection",
        "conf.nova.DEFAULT.transport_url",
        "ceph_client.external_ceph.rbd_user_keyring",
    ],
)
def test_secret_paths(path: str) -> None:
    assert is_secret_path(tuple(path.split(".")))


@pytest.mark.parametrize(
    "path",
    [
        "endpoints.identity.auth.admin.username",
        "endpoints.identity.auth.admin.region_name",
        "endpoints.identity.host_fqdn_override.public.host",
        "pod.replicas.api",
        "secrets.identity.admin",
        "conf.ceph.cinder.user",
        "images.tags.keystone_api",
        "password",
    ],
)
def test_not_secret_paths(path: str) -> None:
    assert not is_secret_path(tuple(path.split(".")))


def test_secret_path_with_list_index() -> None:
    assert is_secret_path(("conf", "x", 0, "password"))


@pytest.mark.parametrize(
    "image, expected",
    [
        (
            "quay.io/airshipit/keystone:2026.1-ubuntu_noble",
            "m:5000/airshipit/keystone:2026.1-ubuntu_noble",
        ),
        ("docker.io/rabbitmq:4.3.5-management", "m:5000/rabbitmq:4.3.5-management"),
        ("rabbitmq:4.3.5", "m:5000/rabbitmq:4.3.5"),
        ("library/busybox:1", "m:5000/library/busybox:1"),
        ("localhost/x:1", "m:5000/x:1"),
        ("localhost:5000/a/b:1", "m:5000/a/b:1"),
        ("m:5000/a/b:1", "m:5000/a/b:1"),
        ("quay.io/a/b@sha256:abc", "m:5000/a/b@sha256:abc"),
    ],
)
def test_mirror_image(image: str, expected: str) -> None:
    assert mirror_image(image, "m:5000") == expected


segment = st.text("abcxyz0-", min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["", "quay.io/", "docker.io/", "reg.example:5000/"]),
    st.lists(segment, min_size=1, max_size=3),
    segment,
)
def test_mirror_keeps_path_and_tag_and_is_idempotent(host: str, path: list[str], tag: str) -> None:
    image = f"{host}{'/'.join(path)}:{tag}"
    got = mirror_image(image, "mirror.local:5000")
    assert got == f"mirror.local:5000/{'/'.join(path)}:{tag}"
    assert mirror_image(got, "mirror.local:5000") == got


def test_out_records_a_fact_per_leaf_and_replaces_subtrees() -> None:
    out = Out()
    out.set(("a", "b"), {"c": 1, "d": [1]}, "first")
    out.set(("a", "b", "c"), 2, "second")
    out.set(("z",), {}, "empty map is a leaf")
    out.set(("a", "b"), 5, "scalar replaces the map")
    assert out.values == {"a": {"b": 5}, "z": {}}
    assert out.facts == {("a", "b"): "scalar replaces the map", ("z",): "empty map is a leaf"}


def test_builtin_plugins_are_discovered() -> None:
    plugins = registry.load_plugins()
    assert sorted(plugins) == sorted([*CHARTS, "ovn"])
    assert all(p.chart == name for name, p in plugins.items())


class FakeDist:
    def __init__(self, name: str) -> None:
        self.name = name


class ThirdPartyNova:
    chart = "nova"

    def secrets(self) -> tuple[str, ...]:
        return ()

    def provides(self) -> tuple[str, ...]:
        return ()

    def overrides(self, snapshot: Any, ref: Any, chart_values: Any) -> Any:
        from helmdeck.plugin import SystemOverrides

        return SystemOverrides({"z": 1, "a": {"y": 2, "b": 1}}, {"z": "x", "a.y": "x", "a.b": "x"})


def _ep(name: str, value: str, dist: str) -> EntryPoint:
    ep = EntryPoint(name, value, registry.GROUP)
    return ep._for(FakeDist(dist))  # type: ignore[attr-defined,no-any-return]


def _patch(monkeypatch: pytest.MonkeyPatch, eps: list[EntryPoint]) -> None:
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [e for e in eps if e.group == group]
    )


def test_third_party_plugin_replaces_the_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _ep("nova", f"{__name__}:ThirdPartyNova", "acme-nova")
    builtin = _ep("nova", "helmdeck.plugins.charts.nova:plugin", "helmdeck")
    other = _ep("glance", "helmdeck.plugins.charts.glance:plugin", "helmdeck")
    for order in ([fake, builtin, other], [builtin, other, fake]):
        _patch(monkeypatch, order)
        plugins = registry.load_plugins()
        assert isinstance(plugins["nova"], ThirdPartyNova)
        assert plugins["glance"].chart == "glance"


def test_third_party_output_is_sorted_deterministically(monkeypatch: pytest.MonkeyPatch) -> None:
    site = build_site()
    snap = snapshot(site)
    result = system_overrides(ThirdPartyNova(), snap, snap.releases["nova"], {})
    assert list(result.values) == ["a", "z"] and list(result.values["a"]) == ["b", "y"]
    assert list(result.provenance) == ["a.b", "a.y", "z"]


def test_plugin_for_the_wrong_chart_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch(monkeypatch, [_ep("glance", f"{__name__}:ThirdPartyNova", "acme")])
    message = r"entry point glance .* plugin says it is for chart 'nova'"
    with pytest.raises(UserError, match=message):
        registry.load_plugins()
