"""``helmdeck site ...`` and ``helmdeck secret ...`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

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
    assert run("site", "export", "-o", str(exported))[0] == 0
    rc, out, _ = run("site", "export")
    assert out == exported.read_text()
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
    assert ok("secret", "set", "db_admin_password", stdin="S3cretValue\n\n") == (
        "secret db_admin_password set\n"
    )
    key_file = helmdeck_home / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    box = SecretBox()
    with open_store(env) as st, st.transaction() as s:
        generated = ensure_secrets(s, box, ["keystone_admin_password", "memcache_secret_key"])
    assert generated["db_admin_password"] == "S3cretValue\n"  # one trailing newline dropped

    assert ok("secret", "list") == (
        "db_admin_password\nkeystone_admin_password\nmemcache_secret_key\n"
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
        ("secret.set", "db_admin_password"),
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
    rc, _, err = run("secret", "set", "db_admin_password", stdin="\n")
    assert rc == 2 and "empty value" in err
    rc, _, err = run("secret", "set", "Bad-Name", stdin="x")
    assert rc == 2 and "not a secret name" in err
    assert run("secret", "list")[1] == ""


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
