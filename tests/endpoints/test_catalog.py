"""The catalog the charts register: from chart values, and `helmdeck endpoints` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import REFERENCE_CHARTS as REFERENCE

from helmdeck.endpoints.catalog import INTERFACES, CatalogEntry, catalog, chart_catalog
from helmdeck.errors import UserError
from helmdeck.plugins.registry import load_plugins
from helmdeck.values.yamlio import load_values_file

# chart -> the service types it registers, as the plugins declare them
REGISTERED = load_plugins().catalog.registered()


def _defaults(chart: str) -> dict[str, Any]:
    path = REFERENCE / chart / "values.yaml"
    if not path.is_file():
        pytest.skip(f"reference chart values not found at {path} (set HELMDECK_REFERENCE)")
    return load_values_file(path)


def test_openstack_helm_defaults_give_in_cluster_urls() -> None:
    """Without helmdeck's overrides the public URLs point at Services that do not exist
    (osh-conventions §1.8): exactly what the catalog must show."""
    charts = {c: ("openstack", _defaults(c)) for c in REGISTERED}
    urls = {(e.service_type, e.interface): e.url for e in catalog(charts, INTERFACES, REGISTERED)}
    assert urls[("identity", "internal")] == (
        "http://keystone-api.openstack.svc.cluster.local:5000/v3"
    )
    assert urls[("identity", "public")] == "http://keystone.openstack.svc.cluster.local/v3"
    assert urls[("image", "internal")] == "http://glance-api.openstack.svc.cluster.local:9292"
    assert urls[("image", "public")] == "http://glance.openstack.svc.cluster.local"
    assert urls[("cloudformation", "public")] == (
        "http://cloudformation.openstack.svc.cluster.local/v1"
    )
    assert len(urls) == 3 * 8


def test_entries_carry_name_type_region_in_the_order_given() -> None:
    values = _defaults("heat")
    values["endpoints"]["identity"]["auth"]["admin"]["region_name"] = "RegionTwo"
    entries = catalog({"keystone": ("ns1", _defaults("keystone")), "heat": ("ns1", values)},
                      ("public",), REGISTERED)
    assert [(e.chart, e.service_type, e.service_name, e.region) for e in entries] == [
        ("keystone", "identity", "keystone", "RegionOne"),
        ("heat", "orchestration", "heat", "RegionTwo"),
        ("heat", "cloudformation", "heat-cfn", "RegionTwo"),
    ]
    assert entries[1].url == "http://heat.ns1.svc.cluster.local/v1/%(project_id)s"


def test_a_chart_whose_registering_job_is_off_registers_nothing() -> None:
    glance = _defaults("glance")
    glance["manifests"]["job_ks_endpoints"] = False
    assert chart_catalog("glance", glance, "openstack", REGISTERED["glance"]) == []
    keystone = _defaults("keystone")
    keystone["manifests"]["job_db_sync"] = False
    assert chart_catalog("keystone", keystone, "openstack", REGISTERED["keystone"]) == []
    assert chart_catalog("mariadb", _defaults("mariadb"), "openstack", ()) == []


def test_unrenderable_values_name_chart_and_key() -> None:
    nova = _defaults("nova")
    del nova["endpoints"]["compute"]["scheme"]
    with pytest.raises(UserError, match=r"^nova openstack: endpoints\.compute\.scheme: "):
        chart_catalog("nova", nova, "openstack", REGISTERED["nova"])


SITE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


@pytest.fixture
def example_site(helmdeck_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helmdeck.cli.main import main

    text = SITE.read_text().replace("{path: charts}", f"{{path: {SITE.parent / 'charts'}}}")
    (tmp_path / "site.yaml").write_text(text)
    monkeypatch.setenv("HELMDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(SystemExit) as exit_info:
        main(["site", "import", str(tmp_path / "site.yaml")])
    assert exit_info.value.code == 0


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from helmdeck.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.usefixtures("example_site")
def test_endpoints_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "endpoints", "-o", "json")
    assert code == 0
    entries = [CatalogEntry(**e) for e in json.loads(out)]
    public = {e.service_type: e.url for e in entries if e.interface == "public"}
    assert public == {
        "identity": "https://keystone.cloud.example.com/v3",
        "image": "https://glance.cloud.example.com",
        "placement": "https://placement.cloud.example.com/",
        "compute": "https://nova.cloud.example.com/v2.1/",
        "network": "https://neutron.cloud.example.com",
        "volumev3": "https://cinder.cloud.example.com/v3",
        "orchestration": "https://heat.cloud.example.com/v1/%(project_id)s",
        "cloudformation": "https://cloudformation.cloud.example.com/v1",
    }
    code, out, _ = run(capsys, "endpoints", "--chart", "keystone", "--interface", "internal")
    assert code == 0 and "http://keystone-api.openstack.svc.cluster.local:5000/v3" in out
    assert "glance" not in out
    code, _, err = run(capsys, "endpoints", "--chart", "nope")
    assert code == 2 and err.startswith("helmdeck: error: --chart nope:")
