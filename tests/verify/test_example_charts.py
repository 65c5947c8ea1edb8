"""verify on the example charts (CI-runnable: no checkout needed), before and after the
remedies of issue 11 (``upstream``: glance's old plugin, cinder on every site)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from real_render import as_rendered, hosts, nodes, render, site_of
from support import REPO, as_site
from upstream import upstream_app, upstream_plugins

from helmdeck.site.model import Site
from helmdeck.verify import Finding, options_from_site, verify

EXAMPLES = REPO / "examples" / "charts"


def _verify(site: Site, before: bool = False) -> list[Finding]:
    app, plugins = (upstream_app(), upstream_plugins()) if before else (None, None)
    return verify(as_rendered(render(site, app, plugins)), nodes(site), options_from_site(site))


def test_example_site_verifies_clean() -> None:
    """Its nova chart named a Service port novnc_proxy (VFY307: the API server refuses
    underscores in port names); it is n-novnc now, as in openstack-helm."""
    doc = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())
    doc["spec"]["charts"]["source"]["path"] = str(Path(EXAMPLES))
    assert _verify(as_site(doc)) == []


def _pvc_site(**spec: Any) -> Site:
    return site_of(EXAMPLES, hosts(3, 2), storage={"backend": "pvc", "class_name": "fast"},
                   **spec)


def test_pvc_glance_before_and_after_the_remedies() -> None:
    before = {(f.rule, f.object, f.reason.split(":")[0]) for f in _verify(_pvc_site(), True)}
    assert before == {
        ("VFY201", "Deployment/openstack/glance-api",
         "ReadWriteOnce claim glance-images is mounted by 3 pods"),
        ("VFY201", "Deployment/openstack/glance-api",
         "ReadWriteOnce claim glance-tmp is mounted by 3 pods"),
        ("VFY202", "PersistentVolumeClaim/openstack/glance-tmp",
         "claim glance-tmp uses storage class general, not the site's fast"),
        ("VFY203", "Deployment/openstack/cinder-api",
         "cinder has no volume backend"),
    }
    assert _verify(_pvc_site()) == []
