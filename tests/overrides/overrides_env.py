"""The tiny charts in ``charts/`` as an application, and a site that uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import support
from support import as_site, chart_path

from helmdeck.application import AppChart, Application
from helmdeck.site.model import Site

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
    return support.site_doc(
        hosts,
        tls={"enabled": True},
        registry="registry.example.com:5000",
        charts=chart_path(source),
        **spec,
    )


def make_site(**spec: Any) -> Site:
    return as_site(site_doc(**spec))
