"""The override commands print the same through ``--url`` as on the local database.

Two databases with the same site: one the CLI opens itself, one behind a real server. The
same command sequence runs against each, so every write produces the same versions and the
outputs can be compared byte for byte (generated secrets differ, but are redacted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from api_support import NS, Deployment, Server, generated_secrets, site_doc
from click.testing import CliRunner

from helmdeck.cli.main import cli


@pytest.fixture
def local_url(tmp_path: Path, charts_dir: Path, deployment: Deployment) -> str:
    from helmdeck.site.load import load_site_file
    from helmdeck.store import open_store, sites

    url = f"sqlite:///{tmp_path / 'local.db'}"
    site_file = tmp_path / "local-site.yaml"
    site_file.write_text(yaml.safe_dump(site_doc(charts_dir)))
    with open_store(url) as store, store.transaction() as s:
        sites.save_site(s, load_site_file(site_file))
    return url


def _runner(local_url: str, server: Server, token: str) -> Callable[..., tuple[str, str]]:
    def run(*args: str, remote: bool) -> tuple[str, str]:
        env = {"HELMDECK_DATABASE_URL": local_url, "HELMDECK_URL": None, "HELMDECK_TOKEN": token}
        argv = ["--url", server.base, *args] if remote else list(args)
        result = CliRunner().invoke(cli, argv, env=env)
        error = str(result.exception) if result.exception is not None else ""
        if result.exception is not None and not error:
            raise result.exception
        return result.stdout, error

    return run

# Who made a revision is the one thing that differs: the local user, or the token's role.
ACTOR = re.compile(r"\b(cli:[\w.-]+|api:test-admin)")

COMMANDS: list[tuple[str, ...]] = [
    ("helm-override-list",),
    ("helm-override-list", "-o", "json"),
    ("helm-override-update", "keystone", NS, "--reuse-values", "--set", "a.b=1",
     "--set-string", "c=007", "--set-json", 'd={"e": [1, 2]}'),
    ("helm-override-update", "keystone", NS, "--reuse-values", "--values", "{values}"),
    ("helm-override-show", "keystone", NS),
    ("helm-override-show", "keystone", NS, "-o", "json"),
    ("helm-override-show", "keystone", NS, "-o", "yaml"),
    ("helm-override-show", "keystone", NS, "--effective"),
    *[("helm-override-show", "nova", NS, "--format", f)
      for f in ("helm", "armada", "fluxcd", "helmfile", "argocd")],
    ("helm-override-show", "nova", NS, "--format", "armada", "--effective"),
    ("explain", "keystone", NS, "a.b"),
    ("explain", "keystone", NS, "endpoints.identity.auth.test.password"),
    ("overrides", "rollback", "keystone", NS, "--to", "1"),
    ("chart", "disable", "horizon", NS),
    ("helm-override-list", "-o", "yaml"),
    ("chart", "enable", "horizon", NS),
    # StarlingX's argument order and spelling, the application first.
    ("helm-override-list", "openstack-helm"),
    ("helm-override-show", "openstack-helm", "keystone", NS),
    ("helm-override-update", "openstack-helm", "keystone", NS, "--reuse-values", "--set", "h=1",
     "--reapply"),
    ("helm-chart-attribute-modify", "openstack-helm", "horizon", NS, "--enabled", "false"),
    ("helm-chart-attribute-modify", "horizon", NS, "--enabled", "true"),
    ("helm-chart-attribute-modify", "keystone", NS, "--enabled", "false"),  # others need it
    ("chart", "disable", "keystone", NS),
    ("helm-override-list", "stx-openstack"),
    ("overrides", "export", "{export}"),
    ("overrides", "import", "{export}"),
    ("helm-override-delete", "keystone", NS),
    ("helm-override-show", "nosuch", NS),
    ("helm-override-show", "keystone", "elsewhere"),
    ("helm-override-update", "keystone", NS, "--set", "a[x]=1"),
    ("helm-override-update", "keystone", NS, "--set", "endpoints.identity.auth.admin.password=x"),
]


def test_remote_output_equals_local(
    local_url: str, deployment: Deployment, serve: Callable[[], Server], tmp_path: Path
) -> None:
    run = _runner(local_url, serve(), deployment.admin)
    values = tmp_path / "values.yaml"
    values.write_text("f:\n  g: true\n")
    for command in COMMANDS:
        outputs = []
        for remote in (False, True):
            export = tmp_path / f"export-{remote}.yaml"
            argv = [str(export) if a == "{export}" else str(values) if a == "{values}" else a
                    for a in command]
            stdout, error = run(*argv, remote=remote)
            written = export.read_text() if export.exists() else ""
            stdout = ACTOR.sub("ACTOR", stdout.replace(str(export), "EXPORT"))
            outputs.append((stdout, ACTOR.sub("ACTOR", error), written))
        assert outputs[0] == outputs[1], " ".join(command)
        assert any(outputs[0][:2]), f"{' '.join(command)}: printed nothing"


def test_remote_history_matches_but_names_the_api_actor(
    local_url: str, deployment: Deployment, serve: Callable[[], Server]
) -> None:
    run = _runner(local_url, serve(), deployment.admin)
    histories = []
    for remote in (False, True):
        for expr in ("a=1", "a=2"):
            run("helm-override-update", "keystone", NS, "--set", expr, remote=remote)
        stdout, _ = run("overrides", "history", "keystone", NS, "-o", "json", remote=remote)
        histories.append(json.loads(stdout)["revisions"])
    local, remote_ = histories
    assert [(r["revision"], r["diff"]) for r in local] == [
        (r["revision"], r["diff"]) for r in remote_
    ]
    assert {r["actor"] for r in remote_} == {"api:test-admin"}


def test_remote_reveal_shows_the_servers_secrets_and_audits(
    local_url: str, deployment: Deployment, serve: Callable[[], Server]
) -> None:
    run = _runner(local_url, serve(), deployment.admin)
    redacted, _ = run("helm-override-show", "keystone", NS, "-o", "json", remote=True)
    revealed, _ = run("helm-override-show", "keystone", NS, "-o", "json", "--reveal",
                      remote=True)
    secrets = generated_secrets(deployment).values()
    assert "<redacted>" in redacted and not any(v in redacted for v in secrets)
    assert "<redacted>" not in revealed and any(v in revealed for v in secrets)
    from helmdeck.store import audit, open_store

    with open_store(deployment.url) as store, store.transaction() as s:
        actions = [(e.actor, e.action) for e in audit.audit_log(s)]
    assert ("api:test-admin", "secret.reveal") in actions


def test_reader_token_cannot_write_remotely(
    local_url: str, deployment: Deployment, serve: Callable[[], Server]
) -> None:
    run = _runner(local_url, serve(), deployment.reader)
    stdout, _ = run("helm-override-list", "-o", "json", remote=True)
    assert json.loads(stdout)["charts"]
    _, error = run("helm-override-update", "keystone", NS, "--set", "a=1", remote=True)
    assert "needs an admin token" in error
