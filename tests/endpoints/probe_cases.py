"""Drive the probe chart: cases in, the toolkit's rendered strings out, Python's expectation.

A case is ``(helper, type, endpoint, userclass, port_name, endpoints)``; each toolkit spells
the helper names and argument lists its own way (helm-toolkit's scheme and path lookups also
take the port name).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from support import OSH_CHECKOUT, REPO

from helmdeck.endpoints import lookup

PROBE = Path(__file__).resolve().parent / "probe"
NAMESPACE = "openstack"
EXAMPLE_TOOLKIT = REPO / "examples" / "charts" / "helmdeck-toolkit"
OSH_TOOLKIT = OSH_CHECKOUT / "helm-toolkit"


class Case(NamedTuple):
    helper: str
    type_: str
    endpoint: str
    userclass: str
    port_name: str
    endpoints: dict[str, Any]


HT = "helm-toolkit.endpoints."
HD = "helmdeck-toolkit.endpoints."
# helper -> (define name, argument names) per toolkit
TOOLKITS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "helm-toolkit": {
        "uri": (HT + "keystone_endpoint_uri_lookup", ("type", "endpoint", "port")),
        "host": (HT + "endpoint_host_lookup", ("type", "endpoint")),
        "fqdn": (HT + "hostname_fqdn_endpoint_lookup", ("type", "endpoint")),
        "short": (HT + "hostname_short_endpoint_lookup", ("type", "endpoint")),
        "namespaced": (HT + "hostname_namespaced_endpoint_lookup", ("type", "endpoint")),
        "port": (HT + "endpoint_port_lookup", ("type", "endpoint", "port")),
        "scheme": (HT + "keystone_endpoint_scheme_lookup", ("type", "endpoint", "port")),
        "path": (HT + "keystone_endpoint_path_lookup", ("type", "endpoint", "port")),
        "auth": (HT + "authenticated_endpoint_uri_lookup",
                 ("type", "endpoint", "userclass", "port")),
        "hostport": (HT + "host_and_port_endpoint_uri_lookup", ("type", "endpoint", "port")),
        "transport": (HT + "authenticated_transport_endpoint_uri_lookup",
                      ("type", "endpoint", "userclass", "port")),
        "svcns": (HT + "service_name_endpoint_with_namespace_lookup", ("type", "endpoint")),
        "name": (HT + "keystone_endpoint_name_lookup", ("type",)),
    },
    "helmdeck-toolkit": {
        "uri": (HD + "uri", ("type", "endpoint", "port")),
        "host": (HD + "host", ("type", "endpoint")),
        "fqdn": (HD + "hostname_fqdn", ("type", "endpoint")),
        "short": (HD + "hostname_short", ("type", "endpoint")),
        "port": (HD + "port", ("type", "endpoint", "port")),
        "scheme": (HD + "scheme", ("type", "endpoint")),
        "path": (HD + "path", ("type", "endpoint")),
        "auth": (HD + "authenticated_uri", ("type", "endpoint", "userclass", "port")),
        "hostport": (HD + "host_and_port", ("type", "endpoint", "port")),
        "transport": (HD + "transport_uri", ("type", "endpoint", "userclass", "port")),
    },
}


def expect(case: Case) -> str:
    """What helmdeck.endpoints says the helper renders."""
    v = {"endpoints": case.endpoints}
    t, e, u, p, ns = case.type_, case.endpoint, case.userclass, case.port_name, NAMESPACE
    helpers = {
        "uri": lambda: lookup.keystone_endpoint_uri(v, t, e, p, ns),
        "host": lambda: lookup.endpoint_host(v, t, e, ns),
        "fqdn": lambda: lookup.hostname_fqdn(v, t, e, ns),
        "short": lambda: lookup.hostname_short(v, t, e),
        "namespaced": lambda: lookup.hostname_namespaced(v, t, e, ns),
        "port": lambda: lookup.endpoint_port(v, t, e, p),
        "scheme": lambda: lookup.scheme(v, t, e),
        "path": lambda: lookup.path(v, t, e),
        "auth": lambda: lookup.authenticated_uri(v, t, e, u, p, ns),
        "hostport": lambda: lookup.host_and_port(v, t, e, p, ns),
        "transport": lambda: lookup.transport_uri(v, t, e, u, p, ns),
        "svcns": lambda: lookup.service_name_with_ns(v, t, e, ns),
        "name": lambda: '"' + lookup.endpoint_name(v, t) + '"',
    }
    result: str = helpers[case.helper]()
    return result


def stage(toolkit: Path, tmp: Path) -> Path:
    """A copy of the probe chart depending on ``toolkit`` (a library chart directory)."""
    chart = tmp / f"probe-{toolkit.name}"
    shutil.copytree(PROBE, chart)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta["dependencies"] = [
        {"name": toolkit.name, "version": ">= 0.0.0", "repository": f"file://{toolkit}"}
    ]
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return chart


def render(chart: Path, toolkit: str, cases: Mapping[str, Case]) -> dict[str, str]:
    """Render every case in one go: case name -> the helper's output."""
    from helmdeck.helm import render as helm_render

    spec = TOOLKITS[toolkit]
    args = {
        "type": lambda c: c.type_, "endpoint": lambda c: c.endpoint,
        "userclass": lambda c: c.userclass, "port": lambda c: c.port_name,
    }
    values = {
        "toolkit": toolkit,
        "helpers": {h: name for h, (name, _) in spec.items()},
        "cases": {
            name: {
                "helper": c.helper,
                "args": [args[a](c) for a in spec[c.helper][1]],
                "endpoints": c.endpoints,
            }
            for name, c in cases.items()
        },
    }
    manifests = helm_render(chart, values, release="probe", namespace=NAMESPACE)
    (text,) = [t for path, t in manifests.items() if path.endswith("probe.yaml")]
    data: dict[str, str] = yaml.safe_load(text)["data"] or {}
    return data
