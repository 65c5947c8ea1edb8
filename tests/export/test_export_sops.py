"""Secrets that deploy from Git: every export's secret documents are SOPS-encrypted for age,
decrypt with the real ``sops`` to exactly the stored secrets, and nothing else holds a secret
or a placeholder."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import pytest
import yaml
from export_env import (
    EXPORT_PATH,
    FORMATS,
    Site,
    files_of,
    load_docs,
    run,
    sops_decrypt,
)

from helmdeck.overrides.formats import with_argocd_hooks
from helmdeck.store import audit, open_store
from helmdeck.values.merge import merge_values
from helmdeck.values.yamlio import load_values


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def split_trees(fmt: str, out: Path, site: Site) -> dict[str, tuple[dict[str, Any], Any]]:
    """chart -> (non-secret values as the engine reads them, decrypted secret values or None),
    following the references of the exported documents to the secret files."""
    def secret_file(name: str) -> Any:
        path = out / name
        assert path.is_file(), f"{name} is referenced but not in the export"
        return yaml.safe_load(sops_decrypt(path, site.key))

    trees: dict[str, tuple[dict[str, Any], Any]] = {}
    if fmt == "fluxcd":
        secrets = {}
        for path in out.glob("*.secrets.yaml"):
            doc = secret_file(path.name)
            secrets[(doc["metadata"]["namespace"], doc["metadata"]["name"])] = doc
        for path in out.glob("*.yaml"):
            for doc in load_docs(path):
                if doc.get("kind") != "HelmRelease":
                    continue
                spec, ns = doc["spec"], doc["metadata"]["namespace"]
                secret = None
                for ref in spec.get("valuesFrom", []):
                    s = secrets.pop((ns, ref["name"]))
                    secret = load_values(s["stringData"][ref["valuesKey"]])
                trees[spec["chart"]["spec"]["chart"].rsplit("/", 1)[-1]] = (
                    spec.get("values", {}), secret)
        assert not secrets, f"Secrets no HelmRelease reads: {sorted(secrets)}"
    elif fmt == "argocd":
        for path in out.glob("*.yaml"):
            for doc in load_docs(path):
                if doc.get("kind") != "Application":
                    continue
                source = doc["spec"]["source"]
                secret = None
                for ref in source["helm"].get("valueFiles", []):
                    assert ref.startswith("secrets://")
                    in_repo = posixpath.normpath(posixpath.join(source["path"],
                                                                ref.removeprefix("secrets://")))
                    assert posixpath.dirname(in_repo) == EXPORT_PATH
                    secret = secret_file(posixpath.basename(in_repo))
                trees[source["path"].rsplit("/", 1)[-1]] = (source["helm"]["valuesObject"],
                                                            secret)
    elif fmt == "helmfile":
        (doc,) = load_docs(out / "helmfile.yaml")
        for rel in doc["releases"]:
            (plain,) = rel.get("values", [{}])
            secret = None
            for name in rel.get("secrets", []):
                secret = secret_file(name)
            trees[rel["chart"].rsplit("/", 1)[-1]] = (plain, secret)
    else:
        for doc in load_docs(out / "armada.yaml"):
            if doc["schema"] != "armada/Chart/v1":
                continue
            data = doc["data"]
            name = f"{doc['metadata']['name']}.secrets.yaml"
            secret = None
            if (out / name).exists():
                over = secret_file(name)
                assert (over["schema"], over["metadata"]) == (doc["schema"], doc["metadata"])
                secret = over["data"]["values"]
            trees[data["chart_name"]] = (data["values"], secret)
    return trees


@pytest.mark.parametrize("fmt", FORMATS)
def test_without_recipient_or_reveal_nothing_is_written(site: Site, fmt: str) -> None:
    code, out, err = site.export(fmt)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "--sops-age RECIPIENT" in err and "--reveal" in err


def test_reveal_and_a_recipient_contradict(site: Site, tmp_path: Path) -> None:
    code, out, err = site.export("helmfile", "--reveal", "--sops-age", site.key.recipient)
    assert code == 2 and not out.exists() and "--reveal" in err
    (tmp_path / ".sops.yaml").write_text("creation_rules: []\n")
    code, _, err = site.export("helmfile", "--reveal", out=tmp_path)
    assert code == 2 and ".sops.yaml" in err and sorted(tmp_path.iterdir()) == [
        tmp_path / ".sops.yaml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_encrypted_export_decrypts_to_the_stored_secrets(site: Site, fmt: str) -> None:
    out = site.encrypted(fmt)
    files = files_of(out)
    stored = site.secrets()
    assert len(stored) >= 20
    # No placeholder and no secret in clear, in any file written.
    for name, text in files.items():
        assert "<redacted>" not in text, name
        leaked = sorted(k for k, v in stored.items() if v in text)
        assert not leaked, f"{name} holds {leaked} in clear"
    for name, text in files.items():
        if name.endswith(".secrets.yaml"):
            doc = yaml.safe_load(text)
            assert doc["sops"]["age"][0]["recipient"] == site.key.recipient
    # Decrypted and merged back the engine's way, each release gets exactly helmdeck's values.
    desired = site.desired(
        (lambda app: app.armada()) if fmt == "armada" else None)
    trees = split_trees(fmt, out, site)
    assert sorted(trees) == sorted(desired)
    decrypted: list[str] = []
    for chart, (plain, secret) in trees.items():
        want = desired[chart].values
        if fmt == "argocd":
            want = with_argocd_hooks(want)
        assert merge_values(plain, secret or {}) == want, chart
        assert merge_values(secret or {}, plain) == want, chart  # Flux: valuesFrom first
        decrypted += _strings(secret or {})
    # Every stored secret a chart uses is in the decrypted documents, and every decrypted
    # string is (or is built from) a stored secret.
    used = {k for k, v in stored.items() if any(v in _strings(d.values) for d in desired.values())}
    assert used and all(stored[k] in decrypted for k in used)
    assert all(any(v in s for v in stored.values()) for s in decrypted)


def test_sops_config_in_the_output_directory_is_used(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    out.mkdir()
    (out / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - path_regex: \\.secrets\\.yaml$\n    age: {site.key.recipient}\n"
    )
    code, _, err = site.export("helmfile", out=out)
    assert code == 0, err
    secret_files = sorted(out.glob("*.secrets.yaml"))
    assert secret_files
    for path in secret_files:
        assert yaml.safe_load(path.read_text())["sops"]["age"][0]["recipient"] == \
            site.key.recipient
        assert load_values(sops_decrypt(path, site.key))
    assert (out / ".sops.yaml").read_text().startswith("creation_rules:")


def test_sops_failure_is_one_line(site: Site) -> None:
    code, out, err = site.export("helmfile", "--sops-age", "age1notarecipient")
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and err.startswith("helmdeck: error: sops encrypt ")


def test_reveal_writes_secrets_in_clear_only_in_the_secret_documents(site: Site) -> None:

    site.encrypted("helmfile")
    code, out, err = site.export("fluxcd", "--reveal", "--repo-url", "https://git.example/x")
    assert code == 0, err
    stored = site.secrets()
    files = files_of(out)
    for name, text in files.items():
        assert "<redacted>" not in text
        if not name.endswith(".secrets.yaml"):
            assert not [k for k, v in stored.items() if v in text], name
    revealed = "".join(t for n, t in files.items() if n.endswith(".secrets.yaml"))
    assert "sops:" not in revealed and stored["keystone_admin_password"] in revealed
    assert "IN CLEAR" in files["README.md"]
    with open_store() as store, store.transaction() as s:
        actions = {(e.action, e.target) for e in audit.audit_log(s, limit=1000)}
    assert ("secret.reveal", "keystone@openstack") in actions
    assert ("release.export", "keystone@openstack") in actions  # from the encrypted exports


def test_helm_override_show_leaves_the_secrets_out(site: Site) -> None:
    assert run("helm-override-show", "nova", "openstack")[0] == 0  # the site's secrets exist
    stored = site.secrets()
    assert stored["keystone_admin_password"]
    for fmt in ("helm", "fluxcd", "argocd", "helmfile", "armada"):
        code, out, err = run("helm-override-show", "nova", "openstack", "--format", fmt)
        assert code == 0, err
        assert "<redacted>" not in out and not [v for v in stored.values() if v in out]
        assert out.startswith("# ") and "secret values are not in this document" in out
        assert "left out" in err
        code, shown, err = run("helm-override-show", "nova", "openstack", "--format", fmt,
                               "--reveal")
        assert code == 0 and "<redacted>" not in shown
        assert stored["keystone_admin_password"] in shown
