"""The tiny charts in ``charts/`` as an application, and a site that uses them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helmdeck.application import AppChart, Application
from helmdeck.site.model import Site
from helmdeck.store import Store
from helmdeck.store.secrets import SecretBox, all_secrets

CHARTS = Path(__file__).resolve().parent / "charts"

# The tiny charts as an application: keystone has a plugin, a schema and a breakable template;
# demo has no plugin and lives in its own namespace.
APP = Application(
    name="test",
    charts=(
        AppChart("mariadb", "mariadb"),
        AppChart("memcached", "memcached"),
        AppChart("keystone", "keystone", depends_on=("mariadb", "memcached")),
        AppChart("demo", "demo-rel", namespace="tools", depends_on=("keystone",)),
    ),
)


def site_doc(source: Path = CHARTS, **spec: Any) -> dict[str, Any]:
    hosts = [{"name": f"ctl-{i}", "roles": ["controller"], "zone": "az1"} for i in range(3)]
    hosts.append({"name": "cmp-0", "roles": ["compute"]})
    return {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": "lab1"},
        "spec": {
            "public_domain": "cloud.example.com",
            "tls": {"enabled": True},
            "registry": "registry.example.com:5000",
            "charts": {"source": {"path": str(source)}},
            "hosts": hosts,
            **spec,
        },
    }


def make_site(**spec: Any) -> Site:
    return Site.model_validate_json(json.dumps(site_doc(**spec)))


def stored_secrets(store: Store, box: SecretBox) -> dict[str, str]:
    with store.transaction() as s:
        return all_secrets(s, box)
