"""helmdeck's account of helm-toolkit's per-host DaemonSets, against the templates rendered by Helm.

``helmdeck.plugin.daemonsets`` names the DaemonSets helm-toolkit's ``daemonset_overrides`` (conf
form) and ``daemonset_overrides_root`` (root form) make from a chart's values, with their node
selector terms, without rendering: ``plan`` and the bench rely on it. Here random overrides are
rendered through the real templates (the copy the example charts use, and openstack-helm's own
helm-toolkit when a checkout is at hand) and every name, every term, and, for random nodes,
which DaemonSet lands where with which configuration, is compared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import OSH_CHECKOUT

from helmdeck.helm.render import render
from helmdeck.plugin import Form, RuleDaemonSet, daemonsets, runs_on

HERE = Path(__file__).resolve().parent
CHART = HERE / "charts" / "perhost"
TOOLKIT_COPY = HERE.parents[1] / "examples" / "charts" / "helmdeck-toolkit" / "templates"
UPSTREAM = OSH_CHECKOUT / "helm-toolkit"
BASE = {"agent": {"setting": "base", "other": "keep"}}
NODES = ("n1", "n2", "n3", "n4", "n5")
KEYS = ("k1", "k2")
VALUES = ("a", "b", "c")
FIXTURE = [HealthCheck.function_scoped_fixture]  # the toolkit fixture is module-scoped


def _upstream_chart(tmp: Path) -> Path:
    chart = tmp / "perhost"
    shutil.copytree(CHART, chart)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta["dependencies"] = [{"name": "helm-toolkit", "repository": f"file://{UPSTREAM}",
                             "version": ">= 0.1.0"}]
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return chart


@pytest.fixture(scope="module", params=["copy", "upstream"])
def toolkit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, str]:
    """(chart directory, toolkit prefix): our copy always; openstack-helm's when present."""
    if request.param == "copy":
        return CHART, "helmdeck-toolkit"
    if not (UPSTREAM / "Chart.yaml").is_file():
        pytest.skip(f"no openstack-helm checkout at {OSH_CHECKOUT}; local check only")
    return _upstream_chart(tmp_path_factory.mktemp("upstream")), "helm-toolkit"


def _render(chart: Path, prefix: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    docs = []
    full = {**values, "toolkit": prefix}
    for text in render(chart, full, release="perhost", namespace="ns").values():
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def _terms(ds: dict[str, Any]) -> list[dict[str, Any]] | None:
    affinity = ds["spec"]["template"]["spec"].get("affinity")
    if not affinity:
        return None
    terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    (term,) = terms["nodeSelectorTerms"]
    return term["matchExpressions"]  # type: ignore[no-any-return]


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """sprig's mergeOverwrite for the non-empty string leaves the strategies generate."""
    out = json.loads(json.dumps(base))
    for k, v in top.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


settings_text = st.sampled_from(["s1", "s2", "s3", "s4"])
label_rule = st.fixed_dictionaries({
    "label": st.fixed_dictionaries({
        "key": st.sampled_from(KEYS),
        "values": st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
    }),
    "conf": st.fixed_dictionaries({"agent": st.fixed_dictionaries({"setting": settings_text})}),
})
host_rule = st.builds(lambda name, s: {"name": name, "conf": {"agent": {"setting": s}}},
                      st.sampled_from(NODES), settings_text)
conf_overrides = st.fixed_dictionaries({
    # helmdeck never repeats a rule; an identical repeat is covered by its own test below.
    "labels": st.lists(label_rule, max_size=4, unique_by=lambda r: json.dumps(r, sort_keys=True)),
    "hosts": st.lists(host_rule, max_size=3, unique_by=lambda h: h["name"]),
})
root_overrides = st.dictionaries(
    st.builds(lambda k, v: f"{k}::{v}", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda t: {"values": {"network": {"interface": {"tunnel": t}}}},
              st.sampled_from(["t1", "t2", "t3"])),
    max_size=4,
)
node_labels = st.fixed_dictionaries(
    {n: st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES)) for n in NODES})


def _conf_winner(spec: dict[str, Any], node: str, labels: dict[str, str]) -> str:
    """helm-toolkit's documented precedence: the host rule, else the last matching label."""
    for h in spec["hosts"]:
        if h["name"] == node:
            return f"host:{node}"
    winner = "default"
    for i, rule in enumerate(spec["labels"]):
        if labels.get(rule["label"]["key"]) in rule["label"]["values"]:
            winner = f"label:{i}"
    return winner


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE)
@given(conf=conf_overrides, root=root_overrides, nodes=node_labels)
def test_names_terms_and_placement_match_helm(
    toolkit: tuple[Path, str], conf: dict[str, Any], root: dict[str, Any],
    nodes: dict[str, dict[str, str]],
) -> None:
    chart, prefix = toolkit
    values = {"conf": {**BASE, "overrides": {"perhost_agent": conf}},
              "overrides": {"perhost_root": {"labels": root}} if root else {},
              "network": {"interface": {"tunnel": "base0"}}}
    docs = _render(chart, prefix, values)
    rendered = {d["metadata"]["name"]: d for d in docs if d["kind"] == "DaemonSet"}
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    predicted = daemonsets(Form.CONF, "perhost_agent", values) + daemonsets(
        Form.ROOT, "perhost_root", values)
    # Duplicate rules collapse into one object in Helm's output (same name).
    assert sorted(rendered) == sorted({d.name for d in predicted})
    for ds in predicted:
        assert _terms(rendered[ds.name]) == (list(ds.terms) if ds.terms is not None else None)

    conf_ds = [d for d in predicted if d.name.startswith("perhost-agent-")]
    for node, labels in nodes.items():
        on = [d for d in conf_ds if runs_on(d, node, labels)]
        assert len({d.name for d in on}) == 1, (node, labels, [d.name for d in on])
        expected = _conf_winner(conf, node, labels)
        assert _rule_id(on[0], conf) == expected
        got = json.loads(secrets[on[0].name]["stringData"]["conf.json"])
        assert got == _merge(BASE, on[0].overrides.get("conf") or {})


def _rule_id(ds: RuleDaemonSet, spec: dict[str, Any]) -> str:
    if ds.rule == "host":
        assert ds.terms is not None
        return f"host:{ds.terms[0]['values'][0]}"
    if ds.rule == "default":
        return "default"
    # Rules equal to a later one share its name; precedence makes the last of them win.
    indices = [i for i, r in enumerate(spec["labels"]) if r["label"]["key"] == ds.label[0]  # type: ignore[index]
               and tuple(r["label"]["values"]) == ds.label[1] and r["conf"] == ds.overrides["conf"]]  # type: ignore[index]
    return f"label:{indices[-1]}"


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE)
@given(root=root_overrides, nodes=node_labels)
def test_root_form_every_rule_excludes_every_other(
    toolkit: tuple[Path, str], root: dict[str, Any], nodes: dict[str, dict[str, str]]
) -> None:
    """A node matching two root-form rules runs none of them (nor the default): why helmdeck
    selects on one label key whose value is the node's only group."""
    chart, prefix = toolkit
    values = {"conf": BASE, "overrides": {"perhost_root": {"labels": root}},
              "network": {"interface": {"tunnel": "base0"}}}
    docs = _render(chart, prefix, values)
    bins = {d["metadata"]["name"]: d["data"]["tunnel"] for d in docs if d["kind"] == "ConfigMap"}
    predicted = daemonsets(Form.ROOT, "perhost_root", values)
    for node, labels in nodes.items():
        matching = [k for k in root if labels.get(k.split("::")[0]) == k.split("::")[1]]
        on = [d for d in predicted if runs_on(d, node, labels)]
        if len(matching) > 1:
            assert on == []
            continue
        (ds,) = on
        want = (root[matching[0]]["values"]["network"]["interface"]["tunnel"] if matching
                else "base0")
        assert bins[f"{ds.name}-bin"] == want


def test_a_repeated_rule_puts_two_daemonsets_on_a_node(toolkit: tuple[Path, str]) -> None:
    """helm-toolkit's ``without`` drops every copy of a rule from the later rules' exclusions,
    so a rule listed twice (around another) leaves a node in two DaemonSets: why helmdeck
    merges equal configurations into one rule instead of repeating them."""
    chart, prefix = toolkit
    b = {"label": {"key": "k1", "values": ["b"]}, "conf": {"agent": {"setting": "s1"}}}
    a = {"label": {"key": "k1", "values": ["a"]}, "conf": {"agent": {"setting": "s2"}}}
    values = {"conf": {**BASE, "overrides": {"perhost_agent": {"labels": [b, a, b]}}},
              "network": {"interface": {"tunnel": "base0"}}}
    rendered = {d["metadata"]["name"] for d in _render(chart, prefix, values)
                if d["kind"] == "DaemonSet" and d["metadata"]["name"].startswith("perhost-agent")}
    predicted = daemonsets(Form.CONF, "perhost_agent", values)
    assert rendered == {d.name for d in predicted}
    assert len({d.name for d in predicted if runs_on(d, "n1", {"k1": "b"})}) == 2


def test_without_overrides_the_default_keeps_its_plain_name(toolkit: tuple[Path, str]) -> None:
    chart, prefix = toolkit
    values = {"conf": BASE, "network": {"interface": {"tunnel": "base0"}}}
    names = sorted(d["metadata"]["name"] for d in _render(chart, prefix, values)
                   if d["kind"] == "DaemonSet")
    assert names == ["perhost-agent-default", "perhost-root-default"]
    assert [d.name for d in daemonsets(Form.CONF, "perhost_agent", values)] == [names[0]]


def test_per_host_values_replace_leaves_and_merge_maps(toolkit: tuple[Path, str]) -> None:
    """sprig's mergeOverwrite: a per-host value replaces the chart's, even "", 0, null or an
    empty list; only maps merge key by key (so a per-host map cannot drop a chart key)."""
    chart, prefix = toolkit
    top = {"setting": "", "other": None, "zero": 0, "items": [], "map": {"b": 2}}
    rule = {"label": {"key": "k1", "values": ["a"]}, "conf": {"agent": top}}
    base = {"agent": {"setting": "base", "other": "keep", "zero": 5, "items": ["x"],
                      "map": {"a": 1}}}
    values = {"conf": {**base, "overrides": {"perhost_agent": {"labels": [rule]}}},
              "overrides": {"perhost_root": {"labels": {"k1::a": {"values": {"conf": {
                  "agent": top}}}}}},
              "network": {"interface": {"tunnel": "base0"}}}
    docs = _render(chart, prefix, values)
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    want = {"agent": {**top, "map": {"a": 1, "b": 2}}}
    (conf_rule,) = [d for d in daemonsets(Form.CONF, "perhost_agent", values) if d.rule == "label"]
    (root_rule,) = [d for d in daemonsets(Form.ROOT, "perhost_root", values) if d.rule == "label"]
    assert json.loads(secrets[conf_rule.name]["stringData"]["conf.json"]) == want
    assert json.loads(secrets[f"{root_rule.name}-etc"]["stringData"]["conf.json"]) == want


def test_the_copy_is_helm_toolkit_but_for_the_names() -> None:
    if not (UPSTREAM / "Chart.yaml").is_file():
        pytest.skip(f"no openstack-helm checkout at {OSH_CHECKOUT}; local check only")
    for name in ("_daemonset_overrides.tpl", "_daemonset_overrides_root.tpl"):
        ours = (TOOLKIT_COPY / name).read_text().split("*/}}\n", 1)[1]
        theirs = (UPSTREAM / "templates" / "utils" / name).read_text()
        assert ours.replace("helmdeck-toolkit.utils.", "helm-toolkit.utils.") == theirs
