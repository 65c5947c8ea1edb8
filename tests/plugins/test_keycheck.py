"""Item 9: every key a plugin generates exists in the chart's real values.yaml.

A misspelt key is silently ignored by Helm, so this is the only thing standing between a
plugin typo and a cloud that quietly ignores the inventory. The few maps the templates read
freely (keys that need not be declared) are listed explicitly below.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest
from plugin_sites import (
    CHARTS,
    build_site,
    chart_values,
    leaves,
    overrides_for,
    reference_dir,
    reference_values,
)

pytestmark = pytest.mark.skipif(
    not reference_dir().is_dir(), reason=f"reference charts absent at {reference_dir()}"
)

# Maps read by key lookups with defaults (helm-toolkit endpoint helpers, to_oslo_conf), where
# a key absent from values.yaml is still honoured. Keep this list small and justified.
FREELY_READ = (
    "conf.**",  # rendered verbatim by to_oslo_conf / toYaml
    "endpoints.*.auth.**",  # credentials: per user class, read by name
    "endpoints.*.host_fqdn_override.**",  # hostname_fqdn_endpoint_lookup: <endpoint> or default
    "endpoints.*.scheme.*",  # keystone_endpoint_scheme_lookup: <endpoint> or default
    "endpoints.*.port.*.*",  # endpoint_port_lookup: <endpoint> or default
    "endpoints.*.namespace",  # namespace lookup: value or release namespace
)


def _free(parts: tuple[str | int, ...]) -> bool:
    path = [str(p) for p in parts]
    for pattern in FREELY_READ:
        pat = pattern.split(".")
        if pat[-1] == "**":
            head = pat[:-1]
            prefix = path[: len(head)]
            if len(path) > len(head) and all(map(fnmatchcase, prefix, head)):
                return True
        elif len(path) == len(pat) and all(map(fnmatchcase, path, pat)):
            return True
    return False


def _declared(values: dict[str, Any], parts: tuple[str | int, ...]) -> bool:
    node: Any = values
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return False
        node = node[p]
    return True


def unknown_keys(chart: str, generated: dict[str, Any]) -> list[str]:
    values = reference_values(chart)
    return sorted(
        ".".join(map(str, parts))
        for parts, _ in leaves(generated)
        if not _declared(values, parts) and not _free(parts)
    )


SITES = {
    "ceph-tls-mirror": {},
    "local-plain": {"storage": "local", "tls": False, "registry": None, "network_hosts": 0},
    "pvc-development": {"storage": "pvc", "mode": "development", "controllers": 1},
}


@pytest.mark.parametrize("variant", sorted(SITES))
@pytest.mark.parametrize("chart", CHARTS)
def test_every_generated_key_exists_in_the_real_chart(chart: str, variant: str) -> None:
    site = build_site(**SITES[variant])
    generated = overrides_for(chart, site, chart_values(chart)).values
    assert generated, "a plugin that generates nothing checks nothing"
    assert unknown_keys(chart, generated) == []


def test_the_check_catches_a_misspelt_key() -> None:
    assert unknown_keys("horizon", {"labels": {"server": {"node_selector_key": "x"}}}) == [
        "labels.server.node_selector_key"
    ]
    assert unknown_keys("rabbitmq", {"labels": {"job": {"node_selector_value": "x"}}}) == [
        "labels.job.node_selector_value"
    ]
    assert unknown_keys("memcached", {"pod": {"replicas": {"memcached": 2}}}) == [
        "pod.replicas.memcached"
    ]
    assert unknown_keys("nova", {"conf": {"nova": {"anything": 1}}}) == []
