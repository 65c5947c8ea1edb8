"""verify on the example charts with examples/site.yaml (CI-runnable: no checkout needed)."""

from __future__ import annotations

from pathlib import Path

import yaml
from real_render import as_rendered, nodes, render
from support import REPO, as_site

from helmdeck.verify import options_from_site, verify


def test_example_site_reports_the_novnc_port_name() -> None:
    doc = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())
    doc["spec"]["charts"]["source"]["path"] = str(Path(REPO / "examples" / "charts"))
    site = as_site(doc)
    found = verify(as_rendered(render(site)), nodes(site), options_from_site(site))
    assert [(f.rule, f.object) for f in found] == [
        ("VFY307", "Service/openstack/nova-novncproxy")]
    assert "'novnc_proxy' is not a valid IANA_SVC_NAME" in found[0].reason
