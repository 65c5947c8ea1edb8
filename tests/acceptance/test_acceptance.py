"""Acceptance: sites nobody wrote a unit test for, through the CLI, checked on the manifests.

Each variant runs `site import`, `check`, `plan -o json`, `apply --dry-run` and `render --out`
in process, then ``manifest_checks.problems`` asserts DESIGN §2 on what Helm rendered. The
real-chart variants need an openstack-helm checkout with helm-toolkit (HELMDECK_OSH_CHECKOUT,
default /work/osh) and skip without it; the example-chart variants run everywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from manifest_checks import problems

from helmdeck.cli.main import main
from helmdeck.site.load import load_site_file

REPO = Path(__file__).resolve().parents[2]
OSH = Path(os.environ.get("HELMDECK_OSH_CHECKOUT", "/work/osh"))
HAVE_OSH = (OSH / "helm-toolkit" / "Chart.yaml").is_file()
CEPH = {"backend": "ceph", "ceph": {"monitors": ["10.0.0.1:6789"]}}


def site_doc(
    source: Path, ctl: int = 3, cmp: int = 2, net: int = 0, hyper: bool = False, **spec: Any
) -> dict[str, Any]:
    hosts: list[dict[str, Any]] = [
        {
            "name": f"ctl-{i}",
            "roles": ["controller", "compute"] if hyper else ["controller"],
            "zone": f"az{i % 2 + 1}",
        }
        for i in range(ctl)
    ]
    hosts += [{"name": f"net-{i}", "roles": ["network"]} for i in range(net)]
    hosts += [{"name": f"cmp-{i}", "roles": ["compute"]} for i in range(cmp)]
    for index, patch in spec.pop("host_patch", {}).items():
        hosts[index].update(patch)
    return {
        "apiVersion": "helmdeck/v1",
        "kind": "Site",
        "metadata": {"name": "acc"},
        "spec": {
            "public_domain": "cloud.example.com",
            "charts": {"source": {"path": str(source)}},
            "hosts": hosts,
            **spec,
        },
    }


def cli(*args: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code == 0, args


def run_flow(doc: dict[str, Any], tmp: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The operator's flow; returns the site, its secrets and every rendered template."""
    from helmdeck.store import open_store
    from helmdeck.store.secrets import SecretBox, all_secrets

    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    site = load_site_file(path)
    cli("site", "import", str(path))
    cli("check")
    capsys.readouterr()
    cli("plan", "-o", "json")
    plan = json.loads(capsys.readouterr().out)
    cli("apply", "--dry-run")
    cli("render", "--out", str(tmp / "out"))
    cli("render", "--out", str(tmp / "again"))
    with open_store() as store, store.transaction() as s:
        secrets = all_secrets(s, SecretBox())
    rendered = {
        chart.name: {str(p.relative_to(chart)): p.read_text() for p in chart.rglob("*.yaml")}
        for chart in sorted((tmp / "out").iterdir())
    }
    again = {
        chart.name: {str(p.relative_to(chart)): p.read_text() for p in chart.rglob("*.yaml")}
        for chart in sorted((tmp / "again").iterdir())
    }
    assert rendered == again, "a second render differs"
    return {"site": site, "secrets": secrets, "rendered": rendered, "plan": plan}


OSH_VARIANTS = {
    "one-controller-development": dict(ctl=1, cmp=1, mode="development"),
    "hyperconverged-pvc-network-hosts": dict(
        ctl=3, cmp=0, net=2, hyper=True, storage={"backend": "pvc", "class_name": "fast"}
    ),
    "ceph-tls-registry-path-tainted": dict(
        ctl=3,
        cmp=2,
        storage=CEPH,
        tls={"enabled": True},
        registry="registry.example.com/mirror",
        features=["gateway"],
        host_patch={
            0: {"taints": [{"key": "ctl", "effect": "NoSchedule"}]},
            4: {"taints": [{"key": "gpu", "value": "a", "effect": "NoExecute"}]},
        },
    ),
    "ovn-network-hosts-registry": dict(
        ctl=3, cmp=1, net=3, network={"backend": "ovn"}, registry="registry.example.com"
    ),
    "ovn-namespace-domain-disabled": dict(
        ctl=1,
        cmp=1,
        network={"backend": "ovn"},
        namespace="osp",
        cluster_domain="k8s.example.org",
        release="2025.2",
        charts={"source": {"path": str(OSH)}, "disabled": ["horizon", "cinder", "heat"]},
    ),
}


@pytest.mark.skipif(
    not HAVE_OSH,
    reason=f"no openstack-helm checkout at {OSH} (set HELMDECK_OSH_CHECKOUT); local check only",
)
@pytest.mark.parametrize("variant", sorted(OSH_VARIANTS))
def test_real_charts_keep_every_design_promise(
    variant: str, tmp_path: Path, helmdeck_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_flow(site_doc(OSH, **OSH_VARIANTS[variant]), tmp_path, capsys)
    site = result["site"]
    enabled = {r["chart"] for r in result["plan"] if r["reason"] != "disabled"}
    assert set(result["rendered"]) == enabled
    assert ("ovn" in enabled) == (site.spec.network.backend == "ovn")
    assert problems(site, result["secrets"], result["rendered"]) == []


def test_gateway_routes_use_the_site_domain_only(
    tmp_path: Path, helmdeck_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gateway feature's files name *.openstack-helm.org; every host must be overridden."""
    if not HAVE_OSH:
        pytest.skip(f"no openstack-helm checkout at {OSH}; local check only")
    doc = site_doc(
        OSH,
        ctl=1,
        cmp=1,
        features=["gateway"],
        charts={"source": {"path": str(OSH)}, "disabled": ["horizon", "cinder", "heat"]},
    )
    result = run_flow(doc, tmp_path, capsys)
    text = "\n".join(t for m in result["rendered"].values() for t in m.values())
    assert "openstack-helm.org" not in text
    assert "metadata.cloud.example.com" in text and "rabbitmq.cloud.example.com" in text


EXAMPLES = REPO / "examples" / "charts"
OVS_CHARTS = {p.parent.name for p in EXAMPLES.glob("*/values.yaml")} - {"ovn"}
# variant -> (site spec, or None for examples/site.yaml; the charts that must be rendered)
# cinder's only volume backend is ceph: on other sites the application leaves it out.
EXAMPLE_VARIANTS: dict[str, tuple[dict[str, Any] | None, set[str]]] = {
    "example-site": (None, OVS_CHARTS),
    "development-local": (dict(ctl=1, cmp=1, mode="development"), OVS_CHARTS - {"cinder"}),
    "five-hyperconverged-ceph-tls": (
        dict(
            ctl=5,
            cmp=0,
            hyper=True,
            storage=CEPH,
            tls={"enabled": True},
            registry="reg.example.com:5000",
        ),
        OVS_CHARTS,
    ),
    "ovn-network-hosts": (
        dict(ctl=3, cmp=2, net=2, network={"backend": "ovn"}, registry="reg.example.com:5000"),
        OVS_CHARTS - {"cinder"} | {"ovn"},
    ),
    # no nova: libvirt (its only consumer's hypervisor) is left out, not deployed idle
    "no-compute-service": (
        dict(
            ctl=1,
            cmp=1,
            charts={"source": {"path": str(EXAMPLES)}, "disabled": ["nova", "neutron"]},
        ),
        OVS_CHARTS - {"nova", "neutron", "libvirt", "cinder"},
    ),
}


@pytest.mark.parametrize("variant", sorted(EXAMPLE_VARIANTS))
def test_example_charts_flow(
    variant: str, tmp_path: Path, helmdeck_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CI-runnable: the same flow over examples/charts; images and determinism checked."""
    spec, expected = EXAMPLE_VARIANTS[variant]
    if spec is None:
        doc = yaml.safe_load((REPO / "examples" / "site.yaml").read_text())
        doc["spec"]["charts"]["source"]["path"] = str(EXAMPLES)
    else:
        doc = site_doc(EXAMPLES, **spec)
    result = run_flow(doc, tmp_path, capsys)
    registry = result["site"].spec.registry
    assert set(result["rendered"]) == expected
    assert {r["chart"] for r in result["plan"] if r["action"] == "install"} == expected
    for chart, manifests in result["rendered"].items():
        for text in manifests.values():
            for d in yaml.safe_load_all(text):
                for line in yaml.safe_dump(d).splitlines():
                    if registry and line.strip().startswith("image:"):
                        assert f"{registry}/" in line, (chart, line)
