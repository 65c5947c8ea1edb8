"""The deploy tests' tiny charts as an application, and a site over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helmdeck.application import AppChart, Application
from helmdeck.site.model import Site

CHARTS = Path(__file__).resolve().parent / "charts"

# db, cache -> api -> web; tool needs only db. api's plain (non-hook) Job must be re-created.
APP = Application(
    name="test",
    charts=(
        AppChart("db", "db"),
        AppChart("cache", "cache"),
        AppChart("api", "api", depends_on=("db", "cache"), recreate_on_change=("Job",)),
        AppChart("web", "web", depends_on=("api",), wait=False),
        AppChart("tool", "tool-rel", namespace="tools", depends_on=("db",)),
    ),
)


def site_doc(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": "lab1"},
        "spec": {
            "public_domain": "cloud.example.com",
            "charts": {"source": {"path": str(CHARTS)}},
            "hosts": [
                {"name": "ctl-0", "roles": ["controller"], "zone": "az1"},
                {"name": "cmp-0", "roles": ["compute"], "zone": "az2",
                 "labels": {"hardware": "gpu"},
                 "taints": [{"key": "species", "value": "gpu", "effect": "NoSchedule"}]},
                {"name": "net-0", "roles": ["network", "compute"]},
            ],
            **spec,
        },
    }


def make_site(**spec: Any) -> Site:
    return Site.model_validate_json(json.dumps(site_doc(**spec)))
