"""``helmdeck site ...`` and ``helmdeck secret ...`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from helmdeck import config
from helmdeck.cli.main import main
from helmdeck.store import audit, open_store, sites
from helmdeck.store.secrets import SecretBox, ensure_secrets

Run = Callable[..., tuple[int, str, str]]

SITE = """\
apiVersion: helmdeck/v1
kind: Site
metadata: {name: lab1}
spec:
  public_domain: cloud.example.com
  registry: mirror.example.com:5000
  charts: {source: {path: ./charts}}
  storage: {backend: ceph, ceph: {monitors: [10.0.0.1, 10.0.0.2]}}
  hosts:
    - {name: ctl-0, roles: [controller, network], zone: az1, labels: {a.b/c: x}}
    - {name: cmp-0, roles: [compute], taints: [{key: k, value: v, effect: NoSchedule}]}
    - {name: cmp-1, roles: [compute]}
"""


@pytest.fixture
def env(helmdeck_home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("HELMDECK_DATABASE_URL", db_url)
    yield db_url


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def invoke(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as exc:
            main(list(argv))
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    return invoke


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / "site.yaml"
    (path.parent / "charts").mkdir(parents=True)  # the chart source must exist
    path.write_text(SITE)
    return path


def stored(db_url: str) -> object:
    with open_store(db_url) as st, st.transaction() as s:
        return sites.load_site(s)


def test_import_export_show(env: str, run: Run, site_file: Path, tmp_path: Path) -> None:
    rc, out, _ = run("site", "import", str(site_file))
    assert (rc, out) == (0, "site lab1 imported (3 hosts)\n")
    site = stored(env)
    assert site.spec.charts.source.path == str(site_file.parent / "charts")  # type: ignore[attr-defined]

    exported = tmp_path / "out" / "exported.yaml"
    exported.parent.mkdir()
    assert run("site", "export", "--out", str(exported))[0] == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    rc, out, _ = run("site", "export")
    assert out == exported.read_text()
    assert json.loads(run("site", "export", "-o", "json")[1]) == yaml.safe_load(out)
    assert run("site", "import", str(exported))[0] == 0
    assert stored(env) == site

    rc, out, _ = run("site", "show", "-o", "json")
    assert json.loads(out)["spec"]["hosts"][1]["taints"][0]["key"] == "k"
    rc, out, _ = run("site", "show")
    assert yaml.safe_load(out) == json.loads(run("site", "show", "-o", "json")[1])

    with open_store(env) as st, st.transaction() as s:
        entries = [e for e in audit.audit_log(s) if e.action == "site.import"]
    assert len(entries) == 2 and entries[0].target == "lab1"


def test_reimport_replaces_and_bad_file_changes_nothing(
    env: str, run: Run, site_file: Path
) -> None:
    run("site", "import", str(site_file))
    site_file.write_text(SITE.replace("    - {name: cmp-1, roles: [compute]}\n", ""))
    assert run("site", "import", str(site_file))[0] == 0
    before = stored(env)
    assert [h.name for h in before.spec.hosts] == ["ctl-0", "cmp-0"]  # type: ignore[attr-defined]
    site_file.write_text(SITE.replace("[compute]}", "[compute, wizard]}"))
    rc, out, err = run("site", "import", str(site_file))
    assert rc == 2 and out == ""
    assert f"{site_file}:12: spec.hosts[2].roles[1]:" in err
    assert "Traceback" not in err
    assert stored(env) == before


def test_export_o_is_the_format_and_a_path_there_says_so(
    env: str, run: Run, site_file: Path, tmp_path: Path
) -> None:
    run("site", "import", str(site_file))
    target = tmp_path / "site-copy.yaml"
    rc, out, err = run("site", "export", "-o", str(target))
    assert (rc, out) == (2, "") and not target.exists()
    assert err == (f"helmdeck: error: -o {target}: -o is the output format, yaml or json; "
                   f"to write a file, use --out {target}\n")


def test_export_replaces_a_planted_symlink_not_its_target(
    env: str, run: Run, site_file: Path, tmp_path: Path
) -> None:
    """A link where the export goes must not redirect the write to the file it points at."""
    run("site", "import", str(site_file))
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.chmod(victim, 0o600)
    link = tmp_path / "drop" / "site.yaml"
    link.parent.mkdir()
    link.symlink_to(victim)
    assert run("site", "export", "--out", str(link))[0] == 0
    assert victim.read_text() == "precious\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert not link.is_symlink() and yaml.safe_load(link.read_text())["metadata"]["name"] == "lab1"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    assert [p.name for p in link.parent.iterdir()] == ["site.yaml"]  # no temp file left


def test_export_to_a_directory_is_one_line(env: str, run: Run, site_file: Path,
                                           tmp_path: Path) -> None:
    run("site", "import", str(site_file))
    rc, _, err = run("site", "export", "--out", str(tmp_path))
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    rc, _, err = run("site", "export", "--out", str(tmp_path / "no" / "such.yaml"))
    assert rc == 2 and "does not exist; create it first" in err


CEPH_UUID = "8a4ad3b6-1c1e-4d3e-9a0b-6f1f5b3f4c2d"


def test_ceph_secret_uuid_is_redacted_unless_revealed_and_reveal_is_audited(
    env: str, run: Run, site_file: Path, tmp_path: Path
) -> None:
    site_file.write_text(SITE.replace("monitors: [10.0.0.1, 10.0.0.2]}",
                                      f"monitors: [10.0.0.1], secret_uuid: {CEPH_UUID}}}"))
    assert run("site", "import", str(site_file))[0] == 0
    for argv in (("site", "show"), ("site", "show", "-o", "json"), ("site", "export")):
        rc, out, _ = run(*argv)
        assert rc == 0 and CEPH_UUID not in out and "<redacted>" in out
    rc, _, err = run("site", "export", "--out", str(tmp_path / "x.yaml"))
    assert CEPH_UUID not in (tmp_path / "x.yaml").read_text()
    assert "spec.storage.ceph.secret_uuid redacted; export with --reveal" in err
    with open_store(env) as st, st.transaction() as s:
        assert not [e for e in audit.audit_log(s) if e.action == "site.reveal"]
    rc, out, _ = run("site", "show", "--reveal")
    assert yaml.safe_load(out)["spec"]["storage"]["ceph"]["secret_uuid"] == CEPH_UUID
    revealed = tmp_path / "revealed.yaml"
    assert run("site", "export", "--reveal", "--out", str(revealed))[0] == 0
    assert run("site", "import", str(revealed))[0] == 0
    assert str(stored(env).spec.storage.ceph.secret_uuid) == CEPH_UUID  # type: ignore[attr-defined]
    with open_store(env) as st, st.transaction() as s:
        reveals = [e for e in audit.audit_log(s) if e.action == "site.reveal"]
    assert len(reveals) == 2 and reveals[0].target == "lab1"
    assert reveals[0].actor.startswith("cli:") and CEPH_UUID not in reveals[0].detail


def test_import_and_validate_check_the_application_in_use(
    env: str, run: Run, site_file: Path, tmp_path: Path
) -> None:
    site_file.write_text(SITE.replace("charts: {source: {path: ./charts}}",
                                      "charts: {source: {path: ./charts}, disabled: [glance]}"))
    app = tmp_path / "small.yaml"
    app.write_text("name: small\ncharts:\n  - name: mariadb\n  - name: keystone\n"
                   "    depends_on: [mariadb]\n")
    for command in ("validate", "import"):
        rc, _, err = run("site", command, str(site_file), "--app", str(app))
        assert rc == 2 and "unknown chart glance; known charts: mariadb, keystone" in err
    assert stored(env) is None
    assert run("site", "import", str(site_file))[0] == 0
    site_file.write_text(SITE.replace("charts: {source: {path: ./charts}}",
                                      "charts: {source: {path: ./charts}, disabled: [wizard]}"))
    rc, _, err = run("site", "import", str(site_file))
    assert rc == 2 and "spec.charts.disabled[0]: unknown chart wizard" in err


def test_show_and_export_without_site(env: str, run: Run) -> None:
    for argv in (("site", "show"), ("site", "export")):
        rc, _, err = run(*argv)
        assert rc == 2 and "site import" in err and len(err.splitlines()) == 1


def test_validate(helmdeck_home: Path, run: Run, site_file: Path) -> None:
    assert run("site", "validate", str(site_file)) == (
        0,
        f"{site_file}: valid site lab1 (3 hosts)\n",
        "",
    )
    site_file.write_text(SITE.replace("public_domain: cloud.example.com", "public_domain: 7"))
    rc, _, err = run("site", "validate", str(site_file))
    assert rc == 2 and f"{site_file}:5: spec.public_domain: Input should be a valid string" in err
    assert not (helmdeck_home / "helmdeck.db").exists()


def test_secret_commands_never_print_values(
    env: str, helmdeck_home: Path, run: Run, site_file: Path
) -> None:
    outputs: list[str] = []

    def ok(*argv: str, stdin: str = "") -> str:
        rc, out, err = run(*argv, stdin=stdin)
        assert rc == 0, err
        outputs.extend((out, err))
        return out

    ok("site", "import", str(site_file))
    assert ok("secret", "set", "mariadb_admin_password", stdin="S3cretValue\n\n") == (
        "secret mariadb_admin_password set\n"
    )
    key_file = helmdeck_home / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    box = SecretBox()
    with open_store(env) as st, st.transaction() as s:
        generated = ensure_secrets(s, box, ["keystone_admin_password", "memcache_secret_key"])
    assert generated["mariadb_admin_password"] == "S3cretValue\n"  # one newline dropped

    assert ok("secret", "list") == (
        "keystone_admin_password\nmariadb_admin_password\nmemcache_secret_key\n"
    )
    ok("secret", "rotate", "keystone_admin_password")
    ok("site", "show")
    ok("site", "export")
    with open_store(env) as st, st.transaction() as s:
        rotated = ensure_secrets(s, box, [])
        log = audit.audit_log(s)
    assert rotated["keystone_admin_password"] != generated["keystone_admin_password"]
    assert [(e.action, e.target) for e in log[:2]] == [
        ("secret.rotate", "keystone_admin_password"),
        ("secret.set", "mariadb_admin_password"),
    ]
    values = {*generated.values(), *rotated.values(), "S3cretValue"}
    audit_text = " ".join(f"{e.target} {e.detail}" for e in log)
    for value in values:
        assert all(value.strip() not in text for text in [*outputs, audit_text])


def test_secret_errors(env: str, run: Run) -> None:
    rc, out, err = run("secret", "rotate", "nope")
    assert (rc, out) == (
        2,
        "",
    ) and err == "helmdeck: error: nope: no such secret; see helmdeck secret list\n"
    rc, _, err = run("secret", "set", "mariadb_admin_password", stdin="\n")
    assert rc == 2 and "empty value" in err
    rc, _, err = run("secret", "set", "Bad-Name", stdin="x")
    assert rc == 2 and "not a secret name" in err
    assert run("secret", "list")[1] == ""


def test_secret_set_refuses_names_no_enabled_chart_uses(
    env: str, run: Run, site_file: Path
) -> None:
    rc, out, err = run("secret", "set", "keystone_admin_pasword", stdin="x")
    assert (rc, out) == (2, "")
    assert err == ("helmdeck: error: secret keystone_admin_pasword: no enabled chart uses it "
                   "(did you mean keystone_admin_password, keystone_db_password or "
                   "keystone_rabbitmq_password?); pass --new to store a custom secret under "
                   "this name\n")
    rc, _, err = run("secret", "set", "zzzz", stdin="x")
    assert rc == 2 and "no enabled chart uses it; pass --new" in err
    assert run("secret", "list")[1] == ""
    # A chart the site disables does not make its secrets known.
    site_file.write_text(SITE.replace("charts: {source: {path: ./charts}}",
                                      "charts: {source: {path: ./charts}, disabled: [horizon]}"))
    run("site", "import", str(site_file))
    rc, _, err = run("secret", "set", "horizon_secret_key", stdin="x")
    assert rc == 2 and "no enabled chart uses it" in err
    assert run("secret", "set", "horizon_secret_key", "--new", stdin="x")[0] == 0
    assert run("secret", "set", "glance_db_password", stdin="x")[0] == 0
    assert run("secret", "list")[1] == "glance_db_password\nhorizon_secret_key\n"
    with open_store(env) as st, st.transaction() as s:
        actors = {e.actor for e in audit.audit_log(s) if e.action == "secret.set"}
    assert actors == {config.actor()}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  registry:", "  distro: ubuntu_nobel\n  registry:",
         ":6: spec.distro: distro ubuntu_nobel: no values_overrides file under"),
        ("  registry:", "  features: [tsl]\n  registry:",
         ":6: spec.features[0]: feature tsl: no values_overrides file under"),
        ("  registry:", '  release: "2026.2"\n  registry:', ":6: spec.release: release 2026.2"),
        ("  registry:", '  release: "../../../srv/evil"\n  registry:',
         ":6: spec.release: not a values_overrides name"),
        ("path: ./charts", "path: ./nowhere",
         ":7: spec.charts.source.path: directory"),
    ],
)
def test_names_and_source_are_checked_against_the_charts(
    env: str, helmdeck_home: Path, run: Run, site_file: Path, old: str, new: str, message: str
) -> None:
    overrides = site_file.parent / "charts" / "values_overrides" / "keystone"
    overrides.mkdir(parents=True)
    for name in ("2026.1-ubuntu_noble.yaml", "tls.yaml"):
        (overrides / name).write_text("a: 1\n")
    assert run("site", "validate", str(site_file))[0] == 0
    site_file.write_text(SITE.replace(old, new, 1))
    for command in ("validate", "import"):
        rc, out, err = run("site", command, str(site_file))
        assert rc == 2 and out == "" and f"{site_file}{message}" in err, err
        assert len(err.splitlines()) == 1
    with open_store() as store, store.transaction() as s:
        assert sites.load_site(s) is None
