"""The override service on SQLite and PostgreSQL: layers, validated writes, history, round trip."""

from __future__ import annotations

from typing import Any

import pytest
from overrides_env import APP
from support import run_concurrently, stored_secrets

from helmdeck.deploy.desired import desired_releases, values_hash
from helmdeck.errors import ConflictError, NotFoundError, UserError
from helmdeck.overrides import OverrideService, UpdateRequest
from helmdeck.store import Store, audit, chart_state, user_overrides
from helmdeck.store.secrets import SecretBox
from helmdeck.values.errors import ValuesError

KS = ("keystone", "openstack")


def user_state(store: Store, chart: str = "keystone", ns: str = "openstack") -> tuple[Any, int]:
    with store.transaction() as s:
        return user_overrides.get_user_overrides(s, chart, ns)


def test_layers_and_provenance(service: OverrideService) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["conf.keystone.DEFAULT.debug=true"]))
    ov = service.get(*KS)
    assert ov.static["conf"]["keystone"]["DEFAULT"]["max_param_size"] == 128
    assert ov.system["pod"]["replicas"]["api"] == 3
    assert ov.user == {"conf": {"keystone": {"DEFAULT": {"debug": True}}}}
    assert ov.combined["pod"]["replicas"]["api"] == 3  # system beats static
    assert ov.combined["conf"]["keystone"]["DEFAULT"] == {"debug": True, "max_param_size": 128}
    prov = ov.provenance
    static = prov["conf.keystone.DEFAULT.max_param_size"]
    assert (static.layer, static.fact) == ("static", "values_overrides/keystone/2026.1.yaml")
    assert prov["pod.replicas.api"].layer == "system"
    assert "3 controllers" in prov["pod.replicas.api"].fact
    assert prov["conf.keystone.DEFAULT.debug"].layer == "user"
    assert prov["conf.keystone.DEFAULT.debug"].fact == "user override rev 1 by tester"
    # every combined leaf has a provenance, and nothing else does
    from helmdeck.values import tree
    from helmdeck.values.paths import format_path

    assert set(prov) == {format_path(p) for p, _ in tree.leaves(ov.combined)}
    assert (ov.release, ov.version, ov.depends_on) == ("keystone", 1, ("mariadb", "memcached"))


def test_user_layer_wins_and_explain(service: OverrideService) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["pod.replicas.api=7"]))
    assert service.get(*KS).combined["pod"]["replicas"]["api"] == 7
    assert service.explain(*KS, "pod.replicas.api").layer == "user"
    img = service.explain(*KS, "images.tags.keystone_api")
    assert (img.layer, img.fact) == ("system", "spec.registry: registry.example.com:5000")
    with pytest.raises(UserError, match="is a map"):
        service.explain(*KS, "pod.replicas")
    with pytest.raises(NotFoundError, match="chart default"):
        service.explain(*KS, "no.such.key")


def test_effective_coalesces_defaults(service: OverrideService) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["break_render=null"]))
    eff = service.effective(*KS)
    assert "break_render" not in eff  # null deletes the chart default, as Helm does
    assert eff["images"]["tags"]["keystone_api"].startswith("registry.example.com:5000/")
    assert eff["conf"]["keystone"]["DEFAULT"]["debug"] is False  # chart default kept


def test_reuse_merges_and_reset_replaces(service: OverrideService, store: Store) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", files=["conf:\n  a: 1\n  b: [1, 2]\n"]))
    user, version, *_ = service.update(
        *KS, UpdateRequest.of(flag="reuse", set=["conf.c=3", "conf.b={9}"])
    )
    assert user == {"conf": {"a": 1, "b": [9], "c": 3}} and version == 2
    user, version, *_ = service.update(*KS, UpdateRequest.of(flag="reset", set=["conf.d=4"]))
    assert user == {"conf": {"d": 4}} and version == 3
    assert user_state(store) == ({"conf": {"d": 4}}, 3)


def test_inputs_apply_in_helm_order(service: OverrideService) -> None:
    user, _, *_ = service.update(
        *KS,
        UpdateRequest.of(
            flag="reset",
            files=["x: {l: [a, b, c], m: 1}\n", "x: {m: 2}\n"],
            set_json=['{"x": {"j": true}}', "x.k=[1]"],
            set=["x.l[1]=B", "x.m=3"],
            set_string=["x.m=4"],
        ),
    )
    assert user == {"x": {"l": ["a", "B", "c"], "m": "4", "j": True, "k": [1]}}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"files": ["a: [1\n"]}, ValuesError, r"values\[0\]:"),
        ({"set": ["a=b,c"]}, ValuesError, "--set 'a=b,c'"),
        ({"set_json": ["a={bad"]}, ValuesError, "--set-json"),
        (
            {"set": ["endpoints.identity.auth.admin.password=x"]},
            UserError,
            "helmdeck secret set keystone_admin_password",
        ),
        ({"set": ["endpoints.oslo_db.auth=null"]}, UserError, "holds a secret"),
        (
            {"files": ["conf:\n  keystone:\n    database:\n      connection: x\n"]},
            UserError,
            "holds a secret",
        ),
        ({"set": ["pod.replicas.api=0"]}, UserError, "values.schema.json"),
        ({"set": ["pod.replicas.api=many"]}, UserError, "values.schema.json"),
        ({"set": ["break_render=true"], "render_check": True}, UserError, "break_render is set"),
        ({"files": ["a: " + "[" * 450 + "]" * 450]}, ValuesError, r"values\[0\]:1:.*nested"),
        ({"set_json": ["a=" + '{"b":' * 450 + "1" + "}" * 450]}, ValuesError, "nested deeper"),
        ({"files": ["a: " + "x" * (4 * 1024 * 1024)]}, ValuesError, "larger than"),
        ({"set": ["a=1"] * 1001}, ValuesError, "at most 1000"),
    ],
)
def test_refused_updates_store_nothing(
    service: OverrideService, store: Store, kwargs: dict[str, Any], error: type, match: str
) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["keep=1"]))
    before = user_state(store)
    for flag in ("reuse", "reset"):
        with pytest.raises(error, match=match):
            service.update(*KS, UpdateRequest.of(flag=flag, **kwargs))  # type: ignore[arg-type]
    assert user_state(store) == before
    assert len(service.history(*KS)) == 1


def test_render_check_passes_when_chart_renders(service: OverrideService) -> None:
    _, version, *_ = service.update(
        *KS, UpdateRequest.of(flag="reset", set=["pod.replicas.api=4"], render_check=True)
    )
    assert version == 1


def test_unknown_chart_or_namespace(service: OverrideService) -> None:
    for call in (
        lambda: service.get("nope", "openstack"),
        lambda: service.get("keystone", "tools"),
        lambda: service.update("nope", "openstack", UpdateRequest.of(flag="reset", set=["a=1"])),
        lambda: service.delete("keystone", "elsewhere"),
        lambda: service.history("demo", "openstack"),
        lambda: service.set_enabled("nope", "openstack", False),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_if_match_conflict(service: OverrideService, store: Store) -> None:
    _, v1, *_ = service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    _, v2, *_ = service.update(*KS, UpdateRequest.of(flag="reuse", set=["b=2"]), if_match=v1)
    with pytest.raises(ConflictError, match=f"version {v2}, not {v1}"):
        service.update(*KS, UpdateRequest.of(flag="reuse", set=["c=3"]), if_match=v1)
    with pytest.raises(ConflictError):
        service.delete(*KS, if_match=v1)
    assert user_state(store) == ({"a": 1, "b": 2}, v2)
    service.delete(*KS, if_match=v2)
    assert user_state(store) == ({}, v2 + 1)


def test_concurrent_reuse_updates_lose_nothing(service: OverrideService, store: Store) -> None:
    # no read first: the writers also race to generate the site's secrets
    def writer(i: int) -> None:
        service.update(*KS, UpdateRequest.of(flag="reuse", set=[f"keys.k{i}={i}"]))

    errors = run_concurrently(writer, 12)
    assert not errors
    values, version = user_state(store)
    assert values["keys"] == {f"k{i}": i for i in range(12)} and version == 12


def test_history_diff_redacted_and_rollback(
    service: OverrideService, store: Store, box: SecretBox
) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    service.update(*KS, UpdateRequest.of(flag="reuse", set=["b=2"]))
    service.delete(*KS)
    revs = service.history(*KS)
    assert [r.revision for r in revs] == [1, 2, 3]
    assert [r.actor for r in revs] == ["tester"] * 3
    assert "+b: 2" in revs[1].diff and "-a: 1" in revs[2].diff
    user, version, *_ = service.rollback(*KS, to=2)
    assert user == {"a": 1, "b": 2} and version == 4
    assert user_state(store) == ({"a": 1, "b": 2}, 4)
    with pytest.raises(NotFoundError):
        service.rollback(*KS, to=99)
    secrets = stored_secrets(store, box)
    assert secrets
    for r in service.history(*KS):
        assert not any(v in r.diff for v in secrets.values())


def test_delete_keeps_generated_secrets(
    service: OverrideService, store: Store, box: SecretBox
) -> None:
    service.get(*KS)
    before = stored_secrets(store, box)
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    service.delete(*KS)
    assert stored_secrets(store, box) == before
    assert service.get(*KS).user == {}


def test_export_import_round_trip_is_noop(service: OverrideService, store: Store) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1", "on=yes"]))
    service.update("demo", "tools", UpdateRequest.of(flag="reset", set_string=["greeting=007"]))
    doc = service.export_user_overrides()
    assert doc == {"keystone": {"a": 1, "on": "yes"}, "demo": {"greeting": "007"}}
    from helmdeck.values.yamlio import dump_yaml, load_values

    again = load_values(dump_yaml(doc))
    assert service.import_user_overrides(again) == 0
    assert len(service.history(*KS)) == 1
    changed = service.import_user_overrides(
        {"keystone": {"a": 2}, "mariadb": {"x": 1}, "demo@tools": {"greeting": "007"}}
    )
    assert changed == 2
    assert user_state(store)[0] == {"a": 2}
    assert service.export_user_overrides()["mariadb"] == {"x": 1}


def test_import_is_one_transaction(service: OverrideService, store: Store) -> None:
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    bad = {"keystone": {"a": 2}, "mariadb": {"endpoints": {"oslo_db": {"auth": None}}}}
    with pytest.raises(UserError, match="holds a secret"):
        service.import_user_overrides(bad)
    with pytest.raises(NotFoundError):
        service.import_user_overrides({"keystone": {"a": 3}, "nope": {}})
    with pytest.raises(NotFoundError):
        service.import_user_overrides({"keystone@tools": {"a": 3}})
    assert user_state(store) == ({"a": 1}, 1)


def test_list_and_enable(service: OverrideService, store: Store) -> None:
    charts = {c.name: c for c in service.list_charts()}
    assert charts["demo"].namespaces == ["tools"] and charts["keystone"].enabled
    with pytest.raises(UserError, match=r"enabled charts depend on it: demo; .*--cascade"):
        service.set_enabled(*KS, False)
    with store.transaction() as s:  # as a site.yaml `disabled: [keystone]` would leave it
        chart_state.set_chart_enabled(s, *KS, False)
    assert not {c.name: c for c in service.list_charts()}["keystone"].enabled
    releases = {d.chart: d for d in desired_releases(service)}
    assert "keystone" not in releases
    assert releases["demo"].depends_on == ()  # a disabled dependency is not waited for
    service.set_enabled(*KS, True)
    assert desired_releases(service)[2].chart == "keystone"


def test_desired_releases(service: OverrideService) -> None:
    first = desired_releases(service)
    assert [d.chart for d in first] == ["mariadb", "memcached", "keystone", "demo"]
    demo = first[-1]
    assert (demo.release, demo.namespace, demo.depends_on) == ("demo-rel", "tools", ("keystone",))
    assert demo.values_hash == values_hash(demo.values, demo.chart_version)
    assert [d.values_hash for d in desired_releases(service)] == [d.values_hash for d in first]
    service.update(*KS, UpdateRequest.of(flag="reset", set=["a=1"]))
    after = {d.chart: d.values_hash for d in desired_releases(service)}
    assert [after[d.chart] != d.values_hash for d in first] == [False, False, True, False]
    assert desired_releases(service)[2].values["a"] == 1


def test_reveal_is_audited(service: OverrideService, store: Store) -> None:
    service.get(*KS, reveal=True)
    with store.transaction() as s:
        entry = audit.audit_log(s, limit=1)[0]
    assert (entry.actor, entry.action, entry.target) == (
        "tester", "secret.reveal", "keystone@openstack"
    )


def test_no_site_is_not_found(db_url: str, box: SecretBox) -> None:
    from helmdeck.store import open_store

    with open_store(db_url) as empty, pytest.raises(NotFoundError, match="site import"):
        OverrideService(empty, app=APP, box=box).list_charts()


def test_render_error_never_quotes_a_secret(
    service: OverrideService, store: Store, box: SecretBox
) -> None:
    with pytest.raises(UserError) as info:
        service.update(
            *KS, UpdateRequest.of(flag="reset", set=["break_render=true"], render_check=True)
        )
    message = str(info.value)
    assert "break_render is set (admin password <redacted>)" in message
    assert "\n" not in message
    assert not [v for v in stored_secrets(store, box).values() if v in message]
