"""Rendering a site for the verify tests and bench, through helmdeck's own code (the store,
the plugins, the override service, Helm's engine), as ``helmdeck render`` does."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from helmdeck.application import Application
from helmdeck.deploy.deployer import release_renderer
from helmdeck.deploy.desired import DesiredRelease, desired_releases
from helmdeck.deploy.render import RenderedRelease, render_all
from helmdeck.overrides import OverrideService
from helmdeck.plugins.registry import Plugins, load_plugins
from helmdeck.site.model import Site
from helmdeck.site.nodes import desired_nodes
from helmdeck.store import open_store, sites
from helmdeck.store.secrets import SecretBox
from helmdeck.verify import Node, Rendered, nodes_from_specs, rendered_from

SPECIES = {"key": "species", "value": "hypervisor", "effect": "NoSchedule"}


def hosts(controllers: int = 3, computes: int = 2, network: int = 0,
          tainted: bool = False) -> list[dict[str, Any]]:
    """Controllers in two zones, then network hosts, then computes (tainted when asked)."""
    out: list[dict[str, Any]] = [
        {"name": f"ctl-{i}", "roles": ["controller"], "zone": f"az{i % 2 + 1}"}
        for i in range(controllers)]
    out += [{"name": f"net-{i}", "roles": ["network"]} for i in range(network)]
    out += [{"name": f"cmp-{i}", "roles": ["compute"], "zone": f"az{i % 2 + 1}",
             **({"taints": [SPECIES]} if tainted else {})} for i in range(computes)]
    return out


def site_of(charts: Path, host_list: list[dict[str, Any]], **spec: Any) -> Site:
    doc = {"apiVersion": "helmdeck/v1", "kind": "Site", "metadata": {"name": "verify"},
           "spec": {"public_domain": "cloud.example.com",
                    "charts": {"source": {"path": str(charts)}}, "hosts": host_list, **spec}}
    return Site.model_validate_json(json.dumps(doc))


_active: list[Path] = []


@contextmanager
def _home() -> Iterator[Path]:
    """A private HELMDECK_HOME for the length of a render (the chart cache and the patched
    charts live there); inside another one, that one (the releases it stages must outlive
    the inner call)."""
    if _active:
        yield _active[-1]
        return
    old = os.environ.get("HELMDECK_HOME")
    with tempfile.TemporaryDirectory(prefix="helmdeck-verify-") as tmp:
        os.environ["HELMDECK_HOME"] = tmp
        _active.append(Path(tmp))
        try:
            yield Path(tmp)
        finally:
            _active.pop()
            if old is None:
                os.environ.pop("HELMDECK_HOME", None)
            else:
                os.environ["HELMDECK_HOME"] = old


def desired(site: Site, app: Application | None = None,
            plugins: Plugins | None = None) -> list[DesiredRelease]:
    """The enabled releases with their combined overrides, from a fresh store (the packaged
    application and the installed plugins unless given)."""
    with _home() as home, open_store(f"sqlite:///{home / 'store.db'}") as store:
        with store.transaction() as s:
            sites.save_site(s, site)
        service = OverrideService(store, app=app, plugins=plugins,
                                  box=SecretBox(Fernet.generate_key()), actor="verify")
        return desired_releases(service)


def render(site: Site, app: Application | None = None,
           plugins: Plugins | None = None) -> list[RenderedRelease]:
    with _home():
        return render_all(desired(site, app, plugins),
                          render=release_renderer((plugins or load_plugins()).secret_paths))


def as_rendered(releases: list[RenderedRelease]) -> list[Rendered]:
    return [rendered_from(r.chart, r.release, r.namespace, r.manifests) for r in releases]


def nodes(site: Site) -> list[Node]:
    return nodes_from_specs(desired_nodes(site))


def values_of(releases: list[DesiredRelease], chart: str) -> Mapping[str, Any]:
    return next(d.values for d in releases if d.chart == chart)
