"""The local override CLI end to end: output shapes, exit codes, files, and no leaked secret."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support import stored_secrets

from helmdeck.cli.main import main

CHARTS = Path(__file__).resolve().parents[1] / "overrides" / "charts"
KS = ["keystone", "openstack"]

SITE = f"""\
apiVersion: helmdeck/v1
kind: Site
metadata: {{name: lab1}}
spec:
  public_domain: cloud.example.com
  tls: {{enabled: true}}
  registry: registry.example.com:5000
  charts:
    source: {{path: {CHARTS}}}
    # only keystone, mariadb and memcached exist among the test charts
    disabled: [rabbitmq, openvswitch, glance, heat, cinder, placement, horizon, libvirt, nova,
               neutron]
  hosts:
    - {{name: ctl-0, roles: [controller], zone: az1}}
    - {{name: ctl-1, roles: [controller], zone: az1}}
    - {{name: ctl-2, roles: [controller], zone: az2}}
    - {{name: cmp-0, roles: [compute]}}
"""


class Cli:
    """Runs ``helmdeck`` in process and keeps everything it printed, to grep for secrets."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.seen: list[str] = []

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = self.capsys.readouterr()
        self.seen += [out, err]
        assert exit_info.value.code == code, (args, out, err)
        return out, err


@pytest.fixture
def cli(
    helmdeck_home: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    monkeypatch.setenv("HELMDECK_DATABASE_URL", db_url)
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    run = Cli(capsys)
    run("site", "import", str(site))
    yield run


def secret_values() -> list[str]:
    from helmdeck.store import open_store

    with open_store() as store:
        return list(stored_secrets(store).values())


def test_list(cli: Cli) -> None:
    out, _ = cli("helm-override-list")
    assert "chart name" in out and "overrides namespaces" in out and "chart enabled" in out
    assert any("keystone" in line and "openstack" in line and "True" in line
               for line in out.splitlines())
    cli("chart", "disable", *KS)
    doc = json.loads(cli("helm-override-list", "-o", "json")[0])
    charts = {c["name"]: c for c in doc["charts"]}
    assert charts["keystone"] == {"name": "keystone", "namespaces": ["openstack"],
                                  "enabled": False}
    cli("chart", "enable", *KS)
    assert yaml.safe_load(cli("helm-override-list", "-o", "yaml")[0])["charts"][4]["enabled"]


def test_show_update_and_no_secret_anywhere(cli: Cli, tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text("keystone:\n  conf:\n    keystone:\n      DEFAULT:\n        debug: true\n")
    out, _ = cli("helm-override-update", *KS, "--values", f"{env}:keystone", "--set",
                 "pod.replicas.api=4")
    assert "user_overrides" in out and "debug: true" in out
    cli("helm-override-update", *KS, "--reuse-values", "--set-string", "tag=[x]")
    out, _ = cli("helm-override-show", *KS)
    for row in ("name", "namespace", "system_overrides", "user_overrides", "combined_overrides"):
        assert f"| {row} " in out
    assert "tag: '[x]'" in out  # not eaten as Rich markup
    assert "<redacted>" in out
    shown = json.loads(cli("helm-override-show", *KS, "-o", "json")[0])
    assert set(shown) == {"name", "namespace", "system_overrides", "user_overrides",
                          "combined_overrides"}
    combined = yaml.safe_load(shown["combined_overrides"])
    assert combined["pod"]["replicas"]["api"] == 4
    assert combined["endpoints"]["identity"]["auth"]["admin"]["password"] == "<redacted>"
    assert yaml.safe_load(cli("helm-override-show", *KS, "-o", "yaml")[0])["name"] == "keystone"
    for fmt in ("helm", "armada", "fluxcd", "helmfile", "argocd"):
        # A deployer's document: the secrets are left out and named, never a placeholder.
        out, err = cli("helm-override-show", *KS, "--format", fmt)
        assert list(yaml.safe_load_all(out)) and "<redacted>" not in out
        assert out.startswith("# 6 secret values are not in this document: ")
        assert "endpoints.identity.auth.admin.password" in out.splitlines()[0]
        assert "6 secret values left out" in err and "--reveal" in err
    effective = yaml.safe_load(cli("helm-override-show", *KS, "--effective")[0])
    assert effective["break_render"] is False  # a chart default
    cli("explain", *KS, "pod.replicas.api")
    cli("overrides", "history", *KS)
    cli("overrides", "history", *KS, "-o", "json")
    export = tmp_path / "export.yaml"
    cli("overrides", "export", str(export))
    cli("helm-override-update", *KS, "--set", "endpoints.identity.auth.admin.password=x", code=2)
    cli("helm-override-delete", *KS)
    secrets = secret_values()
    assert len(secrets) >= 5
    everything = "".join(cli.seen) + export.read_text()
    leaked = [s for s in secrets if s in everything]
    assert not leaked


def test_reveal_prints_secrets_and_is_audited(cli: Cli) -> None:
    out, _ = cli("helm-override-show", *KS, "--reveal", "--format", "helm")
    admin = yaml.safe_load(out)["endpoints"]["identity"]["auth"]["admin"]["password"]
    assert admin in secret_values() and "<redacted>" not in out
    from helmdeck.store import audit, open_store

    with open_store() as store, store.transaction() as s:
        actions = [(e.action, e.target) for e in audit.audit_log(s)]
    assert ("secret.reveal", "keystone@openstack") in actions


def test_file_is_private_and_atomic(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "keystone.yaml"
    out, err = cli("helm-override-show", *KS, "--format", "fluxcd", "--reveal",
                   "--file", str(target))
    assert out == "" and str(target) in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert len(list(yaml.safe_load_all(target.read_text()))) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    _, err = cli("helm-override-show", *KS, "--file", str(tmp_path / "no" / "x"), code=2)
    assert "does not exist" in err


def test_errors_are_one_line_exit_2(cli: Cli) -> None:
    for args in (
        ["helm-override-show", "nope", "openstack"],
        ["helm-override-show", "keystone", "elsewhere"],
        ["helm-override-update", *KS, "--set", "a=b,c"],
        ["helm-override-update", *KS, "--values", "/no/such/file.yaml"],
        ["helm-override-update", *KS, "--set", "pod.replicas.api=0"],
        ["explain", *KS, "no.such.key"],
        ["overrides", "rollback", *KS, "--to", "5"],
        ["overrides", "rollback", *KS, "--to", str(2**31)],
        ["overrides", "rollback", *KS, "--to", "99999999999999999999"],
        ["helm-override-show", *KS, "--file", "/proc/self/x"],
        ["helm-override-update", *KS, "--set-json", "x=" + '{"k":' * 450 + "1" + "}" * 450],
    ):
        _, err = cli(*args, code=2)
        assert err.startswith("helmdeck: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err


def test_an_update_helm_parses_to_nothing_says_no_change(cli: Cli) -> None:
    for expr in ("=1", "conf.a[1=1"):
        out, _ = cli("helm-override-update", *KS, "--reuse-values", "--set", expr)
        assert "keystone openstack: no change (user overrides stay at version 0)" in out
    assert json.loads(cli("overrides", "history", *KS, "-o", "json")[0])["revisions"] == []


def test_export_import_history_rollback(cli: Cli, tmp_path: Path) -> None:
    cli("helm-override-update", *KS, "--set", "a=1")
    cli("helm-override-update", *KS, "--reuse-values", "--set", "b=2")
    export = tmp_path / "overrides.yaml"
    out, _ = cli("overrides", "export", str(export))
    assert "exported 1 charts" in out
    assert yaml.safe_load(export.read_text()) == {"keystone": {"a": 1, "b": 2}}
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    out, _ = cli("overrides", "import", str(export))
    assert "0 charts changed" in out
    history = json.loads(cli("overrides", "history", *KS, "-o", "json")[0])
    assert [r["revision"] for r in history["revisions"]] == [1, 2]
    assert "+b: 2" in history["revisions"][1]["diff"]
    out, _ = cli("overrides", "rollback", *KS, "--to", "1")
    assert "now revision 3" in out
    out, _ = cli("explain", *KS, "a")
    source, value = out.splitlines()  # the value explained, not only where it comes from
    assert source.startswith("a: user: user override rev 3 by cli:") and value == "  value: 1"
    export.write_text("keystone: {a: 5}\n")
    assert "1 charts changed" in cli("overrides", "import", str(export))[0]
    out, _ = cli("helm-override-delete", *KS)
    assert "Deleted chart overrides keystone:openstack" in out
    from helmdeck import config
    from helmdeck.store import audit, open_store

    with open_store() as store, store.transaction() as s:
        log = list(reversed(audit.audit_log(s)))
    assert {e.actor for e in log} == {config.actor()} and config.actor().startswith("cli:")
    assert [e.action for e in log] == [
        "site.import", "overrides.update", "overrides.update", "overrides.rollback",
        "overrides.import", "overrides.delete",
    ]
    assert log[3].detail == "version 3 (to revision 1)"


def test_every_override_command_takes_app(cli: Cli, tmp_path: Path) -> None:
    """``--app FILE`` (DESIGN §5) works on the override commands as on the deploy ones."""
    app = tmp_path / "app.yaml"
    app.write_text("name: small\ncharts:\n  - name: mariadb\n  - name: keystone\n"
                   "    depends_on: [mariadb]\n")
    doc = json.loads(cli("helm-override-list", "--app", str(app), "-o", "json")[0])
    assert [c["name"] for c in doc["charts"]] == ["keystone", "mariadb"]
    _, err = cli("helm-override-show", "memcached", "openstack", "--app", str(app), code=2)
    assert "not part of application small" in err
    cli("helm-override-update", *KS, "--app", str(app), "--set", "a=1")
    assert yaml.safe_load(cli("overrides", "history", *KS, "--app", str(app), "-o", "yaml")[0])
    for command in (["helm-override-show", *KS], ["explain", *KS, "a"],
                    ["helm-override-delete", *KS], ["chart", "disable", *KS],
                    ["chart", "enable", *KS], ["overrides", "export", str(tmp_path / "x.yaml")],
                    ["overrides", "import", str(tmp_path / "x.yaml")],
                    ["overrides", "rollback", *KS, "--to", "1"]):
        cli(*command, "--app", str(app))
    _, err = cli("--url", "http://127.0.0.1:9", "helm-override-list", "--app", str(app), code=2)
    assert "--app" in err and "server" in err


def test_starlingx_argument_order_ports_a_system_script(cli: Cli, tmp_path: Path) -> None:
    """``system helm-override-* APP CHART NS`` works as ``helmdeck helm-override-*``."""
    app = ["openstack-helm"]
    assert cli("helm-override-list", *app)[0] == cli("helm-override-list")[0]
    assert cli("helm-override-show", *app, *KS)[0] == cli("helm-override-show", *KS)[0]
    out, _ = cli("helm-override-update", *app, *KS, "--reuse-values", "--set", "a=1")
    assert "a: 1" in out
    out, _ = cli("helm-override-update", *app, *KS, "--reuse-values", "--set", "b=2",
                 "--reapply")
    assert "a: 1" in out and "b: 2" in out
    assert out.rstrip().endswith(
        "keystone openstack: the next `helmdeck apply` applies it, changed or not")
    out, _ = cli("helm-override-update", *app, *KS, "--reuse-values", "--reapply-all")
    assert "no change" in out and "application openstack-helm: the next" in out
    assert cli("helm-override-delete", *app, *KS)[0].startswith("Deleted chart overrides")
    out, _ = cli("helm-chart-attribute-modify", *app, *KS, "--enabled", "false")
    assert "enabled: false" in out
    listed = json.loads(cli("helm-override-list", "-o", "json")[0])["charts"]
    assert next(c for c in listed if c["name"] == "keystone")["enabled"] is False
    cli("helm-chart-attribute-modify", *KS, "--enabled", "true")
    small = tmp_path / "app.yaml"
    small.write_text("name: small\ncharts:\n  - name: mariadb\n  - name: keystone\n")
    cli("helm-override-show", "small", *KS, "--app", str(small))


def test_reapply_marks_are_audited(cli: Cli) -> None:
    from helmdeck.store import audit, open_store

    cli("helm-override-update", *KS, "--reuse-values", "--reapply")
    with open_store() as store, store.transaction() as s:
        entries = [e for e in audit.audit_log(s) if e.action == "release.reapply"]
    assert [e.target for e in entries] == ["keystone@openstack"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["helm-override-list", "stx-openstack"], "APP 'stx-openstack'"),
        (["helm-override-show", "stx-openstack", *KS], "openstack-helm"),
        (["helm-override-delete", "other", *KS], "leave APP out"),
        (["helm-chart-attribute-modify", "x", *KS, "--enabled", "false"], "APP 'x'"),
    ],
)
def test_a_wrong_application_name_is_one_line(cli: Cli, args: list[str], needle: str) -> None:
    _, err = cli(*args, code=2)
    assert err.startswith("helmdeck: error: ") and err.count("\n") == 1 and needle in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["helm-override-show"], "expected [APP] CHART NAMESPACE, got 0 arguments"),
        (["helm-override-show", "a", "b", "c", "d"], "got 4 arguments"),
        (["helm-override-show", "--bogus", *KS], "--bogus"),
        (["helm-override-show", "--format", "xx", *KS], "'xx' is not one of"),
        (["helm-override-update", *KS, "--reapply", "--reapply-all"], "give one"),
        (["helm-override-lst"], "did you mean 'helm-override-list'"),
        (["chart", "enable"], "Missing argument"),
    ],
)
def test_usage_errors_are_one_line_exit_2(cli: Cli, args: list[str], needle: str) -> None:
    """Click's usage, hint and error (three lines) as one line naming the input and the fix."""
    _, err = cli(*args, code=2)
    assert err.count("\n") == 1 and needle in err, err
    assert "--help'" in err and "Usage:" not in err


def test_attribute_modify_refusal_names_commands_it_has(cli: Cli) -> None:
    """helm-chart-attribute-modify has no --cascade: its refusal names what does work."""
    _, err = cli("helm-chart-attribute-modify", "mariadb", "openstack", "--enabled", "false",
                 code=2)
    assert err.count("\n") == 1 and "enabled charts depend on it: keystone" in err
    assert "helm-chart-attribute-modify openstack-helm CHART openstack --enabled false" in err
    assert "helmdeck chart disable mariadb openstack --cascade" in err
