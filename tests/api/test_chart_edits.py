"""A running ``helmdeck serve`` sees a chart edited on disk at its very next request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from api_support import NS, Deployment, Server, write_charts

URL = "/v1/helm_charts/keystone"
SCHEMA = {
    "type": "object",
    "properties": {"pod": {"type": "object", "properties": {"replicas": {
        "type": "object", "properties": {"api": {"type": "integer", "maximum": 3}}}}}},
}


@pytest.fixture
def charts_dir(tmp_path: Path) -> Path:
    """Charts of this test alone, so editing them touches no other test."""
    return write_charts(tmp_path / "charts")


def patch(http: object, expr: str, **flags: bool) -> tuple[int, str]:
    body = {"flag": "reuse", "values": {"set": [expr]}, **flags}
    r = http.patch(URL, params={"namespace": NS}, json=body)  # type: ignore[attr-defined]
    return r.status_code, r.text


def test_schema_and_template_edits_apply_to_the_next_request(
    deployment: Deployment, serve: Callable[[], Server], charts_dir: Path
) -> None:
    server = serve()
    keystone = charts_dir / "keystone"
    with server.client(deployment.admin) as http:
        assert patch(http, "pod.replicas.api=4", render_check=True)[0] == 200
        (keystone / "values.schema.json").write_text(json.dumps(SCHEMA))
        code, text = patch(http, "pod.replicas.api=5")
        assert code == 400 and "values.schema.json" in text
        assert patch(http, "pod.replicas.api=2", render_check=True)[0] == 200
        template = keystone / "templates" / "cm.yaml"
        template.write_text('{{ fail "edited on disk" }}\n' + template.read_text())
        code, text = patch(http, "pod.replicas.api=3", render_check=True)
        assert code == 400 and "edited on disk" in text
