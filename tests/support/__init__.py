"""Test support shared by the test packages: where the optional real charts are, site
documents, racing threads, stored secrets.

Every area's tests build the same ``site.yaml`` skeleton and read back generated secrets to
prove they never leak; keeping one builder means a site-model change is made in one place.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from helmdeck.cli.main import main

if TYPE_CHECKING:
    from helmdeck.site.model import Site
    from helmdeck.store import Store
    from helmdeck.store.secrets import SecretBox

REPO = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]
# The real openstack-helm charts' Chart.yaml/values.yaml (optional: tests skip without them).
# Beside the checkout (../shared/reference), else where this machine keeps it (a clean clone
# in a temporary directory has nothing beside it).
REFERENCE = Path(os.environ.get("HELMDECK_REFERENCE") or next(
    (p for p in (REPO.parent / "shared" / "reference", Path("/work/shared/reference"))
     if p.is_dir()), REPO.parent / "shared" / "reference"))
REFERENCE_CHARTS = REFERENCE / "openstack-helm"
# The 13 charts the reference documents (osh-conventions.md); the application adds ovn.
OSH_CHARTS = (
    "mariadb",
    "rabbitmq",
    "memcached",
    "openvswitch",
    "keystone",
    "glance",
    "placement",
    "heat",
    "cinder",
    "horizon",
    "libvirt",
    "nova",
    "neutron",
)
# A full openstack-helm checkout with helm-toolkit, for local checks only (CI has none).
OSH_CHECKOUT = Path(os.environ.get("HELMDECK_OSH_CHECKOUT") or "/work/osh")


def site_doc(
    hosts: Sequence[Mapping[str, Any]],
    *,
    name: str = "lab1",
    public_domain: str = "cloud.example.com",
    **spec: Any,
) -> dict[str, Any]:
    """A site document with ``hosts``; ``spec`` adds or overrides keys of its spec."""
    return {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": name},
        "spec": {"public_domain": public_domain, "hosts": list(hosts), **spec},
    }


def chart_path(path: Path) -> dict[str, Any]:
    """The ``spec.charts`` of a site whose charts are the directories under ``path``."""
    return {"source": {"path": str(path)}}


def as_site(doc: Mapping[str, Any]) -> Site:
    """Validate ``doc`` as the loader does (JSON in, so YAML-only types cannot slip through)."""
    from helmdeck.site.model import Site

    return Site.model_validate_json(json.dumps(doc))


def run_concurrently(fn: Callable[[int], None], n: int) -> list[BaseException]:
    """Call ``fn(0)`` .. ``fn(n - 1)`` in ``n`` threads at once; what they raised, if anything."""
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def stored_secrets(store: Store, box: SecretBox | None = None) -> dict[str, str]:
    """Every secret the store holds, decrypted (with the configured key unless ``box``)."""
    from helmdeck.store.secrets import SecretBox, all_secrets

    with store.transaction() as s:
        return all_secrets(s, box if box is not None else SecretBox())


def cli_runner(capsys: pytest.CaptureFixture[str]) -> Run:
    """helmdeck's command line in process: ``run(*argv)`` gives (exit code, stdout, stderr)."""

    def invoke(*argv: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            main(list(argv))
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    return invoke
