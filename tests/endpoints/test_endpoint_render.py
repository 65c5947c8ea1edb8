"""helmdeck.endpoints against real renders of the toolkits' endpoint helpers.

The probe chart calls the helpers once per case; helmdeck must produce byte-identical
strings. helm-toolkit itself is only on machines with an openstack-helm checkout
(``HELMDECK_OSH_CHECKOUT``); the example library chart ``helmdeck-toolkit`` follows the same
rules and is in the repository, so CI always runs a real render too.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from probe_cases import (
    EXAMPLE_TOOLKIT,
    OSH_TOOLKIT,
    TOOLKITS,
    Case,
    expect,
    render,
    stage,
)
from test_lookup import IDENTITY, MEMCACHED, OSLO_DB, RABBIT, endpoint_maps

AVAILABLE = {
    "helm-toolkit": OSH_TOOLKIT,
    "helmdeck-toolkit": EXAMPLE_TOOLKIT,
}


@pytest.fixture(scope="module", params=sorted(AVAILABLE))
def toolkit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[str, Path]:
    name = request.param
    directory = AVAILABLE[name]
    if not (directory / "Chart.yaml").is_file():
        pytest.skip(f"{name} not found at {directory} (set HELMDECK_OSH_CHECKOUT to an "
                    "openstack-helm checkout to compare with the real helm-toolkit)")
    return name, stage(directory, tmp_path_factory.mktemp(name))


def _eps(suffix: str = "cluster.local", **types: Any) -> dict[str, Any]:
    return {"cluster_domain_suffix": suffix, **copy.deepcopy(types)}


def _verified_cases() -> dict[str, Case]:
    """The §3 table, plus each helper on each of its example endpoints."""
    public = _eps(identity=IDENTITY)
    public["identity"]["host_fqdn_override"]["public"] = {"host": "keystone.example.com"}
    public["identity"]["scheme"]["public"] = "https"
    public["identity"]["port"]["api"]["public"] = 443
    everywhere = _eps(identity=IDENTITY)
    everywhere["identity"]["host_fqdn_override"]["default"] = "all.example.com"
    ip_db = _eps(oslo_db=OSLO_DB)
    ip_db["oslo_db"]["hosts"]["default"] = "10.0.0.5"
    ip_db["oslo_db"]["host_fqdn_override"]["default"] = "db.example.com"
    ip_db["oslo_db"]["service"] = {"name": None}
    rmq_fqdn = _eps(oslo_messaging=RABBIT)
    rmq_fqdn["oslo_messaging"]["host_fqdn_override"]["default"] = "rmq.example.com"
    rows = [
        ("uri", "identity", "internal", "", "api", _eps(identity=IDENTITY)),
        ("uri", "identity", "public", "", "api", _eps(identity=IDENTITY)),
        ("uri", "identity", "public", "", "api", public),
        ("uri", "identity", "internal", "", "api", everywhere),
        ("auth", "oslo_db", "internal", "keystone", "mysql", _eps("k8s.example", oslo_db=OSLO_DB)),
        ("host", "oslo_db", "internal", "", "mysql", ip_db),
        ("short", "oslo_db", "internal", "", "mysql", ip_db),
        ("svcns", "oslo_db", "internal", "", "mysql", ip_db),
        ("transport", "oslo_messaging", "internal", "nova", "amqp", _eps(oslo_messaging=RABBIT)),
        ("transport", "oslo_messaging", "internal", "nova", "amqp", rmq_fqdn),
        ("hostport", "oslo_messaging", "internal", "", "amqp", rmq_fqdn),
        ("hostport", "oslo_cache", "internal", "", "memcache", _eps(oslo_cache=MEMCACHED)),
        ("uri", "oslo-db", "internal", "", "mysql", _eps(oslo_db=OSLO_DB)),
        ("fqdn", "identity", "public", "", "api",
         {k: v for k, v in _eps(identity=IDENTITY).items() if k != "cluster_domain_suffix"}),
        ("name", "identity", "public", "", "api", _eps(identity=IDENTITY)),
    ]
    cases = {f"row{i:02d}": Case(*row) for i, row in enumerate(rows)}
    helpers = ("uri", "host", "fqdn", "short", "namespaced", "port", "scheme", "path",
               "hostport", "svcns", "name")
    for i, (helper, endpoint) in enumerate(
        itertools.product(helpers, ("admin", "internal", "public", "service"))
    ):
        cases[f"each{i:02d}"] = Case(helper, "identity", endpoint, "", "api", public)
    return cases


def _supported(toolkit: str, cases: dict[str, Case]) -> dict[str, Case]:
    """helmdeck-toolkit has no name, namespaced or service-name helpers, and no nil suffix."""
    spec = TOOLKITS[toolkit]
    return {
        n: c for n, c in cases.items()
        if c.helper in spec
        and (toolkit == "helm-toolkit" or "cluster_domain_suffix" in c.endpoints)
    }


def test_verified_examples_match_the_render(toolkit: tuple[str, Path]) -> None:
    name, chart = toolkit
    cases = _supported(name, _verified_cases())
    rendered = render(chart, name, cases)
    assert rendered == {n: expect(c) for n, c in cases.items()}


@st.composite
def case_batches(draw: st.DrawFn) -> dict[str, Case]:
    batch = {}
    for i in range(25):
        ep = draw(endpoint_maps())
        helper = draw(st.sampled_from(["uri", "host", "fqdn", "short", "port", "scheme", "path",
                                       "auth", "hostport", "transport", "svcns", "name"]))
        endpoint = draw(st.sampled_from(["admin", "internal", "public"]))
        suffix = draw(st.sampled_from(["cluster.local", "k8s.example"]))
        if helper == "svcns":  # this helper fails to render on the {host: ...} form
            ep["hosts"] = {k: h["host"] if isinstance(h, dict) else h
                           for k, h in ep["hosts"].items()}
        batch[f"gen{i:02d}"] = Case(helper, "t", endpoint, "svc", "api",
                                    {"cluster_domain_suffix": suffix, "t": ep})
    return batch


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(batch=case_batches())
def test_generated_endpoint_maps_match_the_render(toolkit: tuple[str, Path],
                                                  batch: dict[str, Case]) -> None:
    name, chart = toolkit
    cases = _supported(name, batch)
    assert render(chart, name, cases) == {n: expect(c) for n, c in cases.items()}


BROKEN = {
    "no-type": lambda e: e.pop("identity"),
    "no-override": lambda e: e["identity"].pop("host_fqdn_override"),
    "no-scheme": lambda e: e["identity"].pop("scheme"),
    "no-path": lambda e: e["identity"].pop("path"),
    "no-port": lambda e: e["identity"]["port"].pop("api"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_helm_toolkit_fails_where_helmdeck_raises(toolkit: tuple[str, Path], broken: str) -> None:
    from helmdeck.endpoints.lookup import EndpointError
    from helmdeck.helm import RenderError

    name, chart = toolkit
    if name != "helm-toolkit":
        pytest.skip("error behaviour is helm-toolkit's; the example toolkit may differ")
    endpoints = _eps(identity=IDENTITY)
    BROKEN[broken](endpoints)
    case = Case("uri", "identity", "public", "", "api", endpoints)
    with pytest.raises(EndpointError):
        expect(case)
    with pytest.raises(RenderError):
        render(chart, name, {"c": case})
