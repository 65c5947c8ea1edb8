"""A third-party chart plugin, installed as its own package and found through the entry point.

The plugin is what a chart author would write against ``helmdeck.plugin`` alone: barbican,
with its key-encryption key (a path no shared secret pattern knows) declared as a secret and
the key-manager service it provides to the catalog. The commands then run in fresh
processes that discover it the way they discover any installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import REFERENCE_CHARTS, REPO, site_doc

from helmdeck.store import open_store
from helmdeck.store.secrets import SecretBox, all_secrets

PLUGIN = '''\
"""barbican: its own key-encryption key, and the key-manager service in the catalog."""

from helmdeck.plugin import (
    OPENSTACK_SHARED,
    ChartPlugin,
    ChartSpec,
    Generator,
    Provides,
    Secret,
    control,
)

KEK = Secret("barbican_kek", ("conf.barbican.simple_crypto_plugin.kek",), Generator.BASE64_32)

plugin = ChartPlugin(ChartSpec(
    chart="barbican",
    labels=control("api", "job", "test"),
    api_replicas=("api",),
    db_endpoints=("oslo_db",),
    rabbit_user=True,
    keystone_users=("barbican", "test"),
    memcache_key=True,
    shared_secrets=OPENSTACK_SHARED,
    secrets=(KEK,),
    provides=(Provides("key_manager", public="barbican", registers=True),),
))
'''
KEK_PATH = "conf.barbican.simple_crypto_plugin.kek"
PACKAGED_APP = REPO / "helmdeck" / "application" / "openstack-helm.yaml"

pytestmark = pytest.mark.skipif(
    not (REFERENCE_CHARTS / "barbican" / "values.yaml").is_file(),
    reason=f"reference barbican chart absent at {REFERENCE_CHARTS}",
)


def install_package(root: Path, name: str, source: str) -> None:
    """A package with a dist-info, on the import path: what `pip install` leaves behind."""
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text(source)
    dist = root / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[helmdeck.plugins]\nbarbican = {name}:plugin\n")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A home with a site on the reference charts and an application that adds barbican."""
    install_package(tmp_path / "site-packages", "helmdeck_barbican", PLUGIN)
    app = yaml.safe_load(PACKAGED_APP.read_text())
    app["charts"].append({"name": "barbican",
                          "depends_on": ["mariadb", "rabbitmq", "memcached", "keystone"]})
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(app))
    site = site_doc([{"name": "ctl-0", "roles": ["controller"]},
                     {"name": "cmp-0", "roles": ["compute"]}],
                    charts={"source": {"path": str(REFERENCE_CHARTS)}}, tls={"enabled": True})
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
    environ = {**os.environ, "HELMDECK_HOME": str(tmp_path / "home"),
               "PYTHONPATH": str(tmp_path / "site-packages"),
               "HELMDECK_APP": str(tmp_path / "app.yaml")}
    environ.pop("HELMDECK_DATABASE_URL", None)
    environ.pop("HELMDECK_URL", None)
    rc, _, err = helmdeck(environ, "site", "import", str(tmp_path / "site.yaml"))
    assert rc == 0, err
    return environ


def helmdeck(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "helmdeck", *argv], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout, done.stderr


def the_kek(env: dict[str, str]) -> str:
    home = Path(env["HELMDECK_HOME"])
    key = (home / "secret.key").read_bytes().strip()
    with open_store(f"sqlite:///{home / 'helmdeck.db'}") as store, store.transaction() as s:
        return all_secrets(s, SecretBox(key))["barbican_kek"]


def test_the_plugin_is_small() -> None:
    assert len(PLUGIN.splitlines()) < 30


def test_declared_secret_is_redacted_everywhere_and_refused(env: dict[str, str]) -> None:
    outputs = [
        helmdeck(env, "helm-override-show", "barbican", "openstack"),
        helmdeck(env, "helm-override-show", "barbican", "openstack", "-o", "json"),
        helmdeck(env, "helm-override-show", "barbican", "openstack", "--effective"),
        helmdeck(env, "helm-override-show", "barbican", "openstack", "--format", "helm"),
        helmdeck(env, "explain", "barbican", "openstack", KEK_PATH),
        helmdeck(env, "plan", "-o", "json"),
    ]
    kek = the_kek(env)
    assert len(kek) == 44 and kek.endswith("=")  # 32 random bytes, base64, as declared
    for _, out, err in outputs:
        assert kek not in out + err
    shown = yaml.safe_load(outputs[1][1])
    assert "kek: <redacted>" in shown["combined_overrides"]
    assert "secret: barbican_kek" in outputs[4][1] and "<redacted>" in outputs[4][1]

    rc, _, err = helmdeck(env, "helm-override-update", "barbican", "openstack",
                          "--set", f"{KEK_PATH}=guessable")
    assert rc == 2 and "holds a secret" in err and "secret set barbican_kek" in err
    rc, _, err = helmdeck(env, "helm-override-update", "barbican", "openstack",
                          "--set-json", f'{KEK_PATH}={{"a": 1}}')
    assert rc == 2 and "holds a secret" in err

    assert helmdeck(env, "helm-override-update", "barbican", "openstack",
                    "--set", "conf.barbican.DEFAULT.debug=true")[0] == 0
    rc, out, _ = helmdeck(env, "overrides", "history", "barbican", "openstack", "-o", "json")
    assert rc == 0 and kek not in out

    rc, out, err = helmdeck(env, "helm-override-show", "barbican", "openstack", "--reveal")
    assert rc == 0 and kek in out  # only when asked, and audited
    rc, out, _ = helmdeck(env, "site", "show")
    assert rc == 0


def test_it_joins_the_catalog_and_check(env: dict[str, str]) -> None:
    rc, out, err = helmdeck(env, "endpoints", "--chart", "barbican", "-o", "json")
    assert rc == 0, err
    public = {e["service_type"]: e["url"] for e in json.loads(out) if e["interface"] == "public"}
    assert public == {"key-manager": "https://barbican.cloud.example.com/"} or \
        public == {"key_manager": "https://barbican.cloud.example.com/"}, public

    assert helmdeck(env, "check")[0] == 0
    assert helmdeck(env, "helm-override-update", "barbican", "openstack", "--set",
                    "endpoints.identity.auth.admin.username=intruder")[0] == 2  # the gate
    assert helmdeck(env, "helm-override-update", "barbican", "openstack", "--force", "--set",
                    "endpoints.identity.auth.admin.username=intruder")[0] == 0
    rc, out, _ = helmdeck(env, "check", "-o", "json")
    problems = json.loads(out)
    assert rc == 1 and [(p["rule"], p["a"]["chart"], p["b"]["chart"]) for p in problems] == [
        ("keystone-admin", "barbican", "keystone")
    ]


def test_an_undeclared_secret_fails_the_plugin(env: dict[str, str], tmp_path: Path) -> None:
    sneaky = PLUGIN.replace("    secrets=(KEK,),\n", "    extra=lambda out, **_: out.set("
                            "('conf', 'barbican', 'DEFAULT', 'admin_password'), 'x', 'mine'),\n")
    install_package(tmp_path / "sneaky", "helmdeck_sneaky", sneaky)
    env = {**env, "PYTHONPATH": str(tmp_path / "sneaky")}  # instead of the honest one
    rc, _, err = helmdeck(env, "helm-override-show", "barbican", "openstack")
    assert rc == 2 and err.count("\n") == 1
    assert "sets conf.barbican.DEFAULT.admin_password without declaring a secret" in err
