"""Rules that inspect rendered manifests.

Where a convention is "this field comes from that values key", the chart is rendered a
second time with recognisable probe values under those keys: a workload whose field does not
follow the probe hard-codes it. That catches every way of writing a template, not just the
spellings a regular expression knows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from helmdeck.helm import RenderError
from helmdeck.lint.chart import LintChart
from helmdeck.lint.model import Finding
from helmdeck.lint.static import finding, image_problem

PROBE_REPLICAS = 7
PROBE_REVISIONS = 7
PROBE_STRATEGY = "OnDelete"
PROBE_SELECTOR = "helmdeck-lint-probe"
POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
HASHED = {"configmap-bin.yaml": "configmap-bin-hash", "configmap-etc.yaml": "configmap-etc-hash"}


@dataclass(frozen=True)
class Manifest:
    template: str  # templates/x.yaml, relative to the chart
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.doc.get("kind"))

    @property
    def ref(self) -> str:
        return f"{self.kind}/{(self.doc.get('metadata') or {}).get('name')}"

    def pod_template(self) -> dict[str, Any]:
        """The pod template (metadata + spec) of anything that runs pods."""
        spec = self.doc.get("spec") or {}
        if self.kind == "Pod":
            return {"metadata": self.doc.get("metadata") or {}, "spec": spec}
        if self.kind == "CronJob":
            spec = (spec.get("jobTemplate") or {}).get("spec") or {}
        return spec.get("template") or {}

    def pod_spec(self) -> dict[str, Any]:
        return self.pod_template().get("spec") or {}


def manifests(rendered: dict[str, str]) -> list[Manifest]:
    out = []
    for template, text in sorted(rendered.items()):
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and doc.get("kind"):
                out.append(Manifest(template, doc))
    return out


def _line(chart: LintChart, m: Manifest) -> int:
    path = chart.dir / m.template
    if not path.is_file():
        return 1
    lines = path.read_text(errors="replace").splitlines()
    want = re.compile(rf"^kind:\s*{re.escape(m.kind)}\s*$")
    return next((i for i, text in enumerate(lines, 1) if want.match(text)), 1)


def _at(chart: LintChart, rule: str, m: Manifest, key: str, message: str) -> Finding:
    return finding(chart, rule, m.template, _line(chart, m), key, message)


def probe_values(values: dict[str, Any]) -> dict[str, Any]:
    """Overrides replacing every replicas count, node selector value and rollout setting
    with a probe value."""

    def replace(node: Any, leaf: str, value: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (value if k == leaf and not isinstance(v, dict) else replace(v, leaf, value))
                for k, v in node.items()
            }
        return node

    out: dict[str, Any] = {}
    pod: dict[str, Any] = values["pod"] if isinstance(values.get("pod"), dict) else {}
    replicas = pod.get("replicas")
    if isinstance(replicas, dict):
        probe = {
            k: PROBE_REPLICAS
            for k, v in replicas.items()
            if isinstance(v, int) and not isinstance(v, bool)
        }
        out.setdefault("pod", {})["replicas"] = probe
    upgrades = ((pod.get("lifecycle") or {}).get("upgrades")) or {}
    lifecycle: dict[str, Any] = {}
    if isinstance(upgrades.get("deployments"), dict):
        lifecycle["deployments"] = {"revision_history": PROBE_REVISIONS}
    if isinstance(upgrades.get("daemonsets"), dict):
        lifecycle["daemonsets"] = {"pod_replacement_strategy": PROBE_STRATEGY}
    if lifecycle:
        out.setdefault("pod", {})["lifecycle"] = {"upgrades": lifecycle}
    if isinstance(values.get("labels"), dict):
        out["labels"] = replace(
            copy.deepcopy(values["labels"]), "node_selector_value", PROBE_SELECTOR
        )
    return out


def check_rendered(chart: LintChart) -> Iterator[Finding]:
    try:
        default = manifests(chart.default_render)
    except RenderError as exc:
        yield finding(
            chart,
            "OSH000",
            "Chart.yaml",
            1,
            "render",
            f"the chart does not render with its default values: {exc}",
        )
        return
    yield from check_every_pod_selected(chart, default)
    yield from check_hard_coded_images(chart, default)
    yield from check_config_hashes(chart, default)
    probes = probe_values(chart.values.data)
    try:
        probed = manifests(chart.render(probes))
    except RenderError as exc:
        yield finding(
            chart,
            "OSH000",
            "Chart.yaml",
            1,
            "probe-render",
            f"the chart does not render when pod.replicas, labels and pod.lifecycle.upgrades "
            f"hold other values: {exc}",
        )
        return
    yield from check_probed(chart, probed, probes)


def check_every_pod_selected(chart: LintChart, docs: list[Manifest]) -> Iterator[Finding]:
    for m in docs:
        if m.kind in POD_KINDS and not m.pod_spec().get("nodeSelector"):
            yield _at(
                chart,
                "OSH004",
                m,
                m.ref,
                f"{m.ref} has no nodeSelector; add one from labels.<component> "
                f"(labels.job for jobs)",
            )


def _containers(m: Manifest) -> list[dict[str, Any]]:
    spec = m.pod_spec()
    return [c for key in ("initContainers", "containers") for c in spec.get(key) or []]


def check_hard_coded_images(chart: LintChart, docs: list[Manifest]) -> Iterator[Finding]:
    tags = chart.values.get(("images", "tags"))
    known = {v for v in tags.values() if isinstance(v, str)} if isinstance(tags, dict) else set()
    seen: set[tuple[str, str]] = set()
    for m in docs:
        if m.kind not in POD_KINDS:
            continue
        for c in _containers(m):
            image = str(c.get("image") or "")
            if not image or image in known or (m.ref, image) in seen:
                continue
            seen.add((m.ref, image))
            problem = image_problem(image)
            why = f" and {problem}" if problem else ""
            yield _at(
                chart,
                "OSH005",
                m,
                m.ref,
                f"{m.ref} runs {image}, which is not in images.tags{why}; "
                f"read it from images.tags.<key>",
            )
        for c in _containers(m):
            if "imagePullPolicy" not in c and chart.values.has(("images", "pull_policy")):
                yield _at(
                    chart,
                    "OSH006",
                    m,
                    m.ref,
                    f"{m.ref} container {c.get('name')} sets no imagePullPolicy; use "
                    f"images.pull_policy",
                )


def _config_names(docs: list[Manifest]) -> dict[str, set[str]]:
    """Hashed config template -> names of the ConfigMaps/Secrets it renders."""
    out: dict[str, set[str]] = {}
    for m in docs:
        base = m.template.rsplit("/", 1)[-1]
        if base in HASHED and m.kind in ("ConfigMap", "Secret"):
            out.setdefault(base, set()).add(str((m.doc.get("metadata") or {}).get("name")))
    return out


def _mounted(pod_spec: dict[str, Any]) -> set[str]:
    names = set()
    for vol in pod_spec.get("volumes") or []:
        names.add(str((vol.get("configMap") or {}).get("name")))
        names.add(str((vol.get("secret") or {}).get("secretName")))
        for src in (vol.get("projected") or {}).get("sources") or []:
            names.add(str((src.get("configMap") or {}).get("name")))
            names.add(str((src.get("secret") or {}).get("name")))
    return names


def check_config_hashes(chart: LintChart, docs: list[Manifest]) -> Iterator[Finding]:
    configs = _config_names(docs)
    for m in docs:
        if m.kind not in WORKLOADS:
            continue
        pod = m.pod_template()
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        mounted = _mounted(pod.get("spec") or {})
        for template, names in sorted(configs.items()):
            annotation = HASHED[template]
            if names & mounted and annotation not in annotations:
                yield _at(
                    chart,
                    "OSH012",
                    m,
                    f"{m.ref}:{annotation}",
                    f"{m.ref} mounts {', '.join(sorted(names & mounted))} (templates/{template}) "
                    f"but its pod template has no {annotation} annotation; add it",
                )


def check_probed(
    chart: LintChart, docs: list[Manifest], probes: dict[str, Any]
) -> Iterator[Finding]:
    has_replicas = bool((probes.get("pod") or {}).get("replicas"))
    upgrades = ((probes.get("pod") or {}).get("lifecycle") or {}).get("upgrades") or {}
    for m in docs:
        spec = m.doc.get("spec") or {}
        if m.kind in ("Deployment", "StatefulSet") and spec.get("replicas") != PROBE_REPLICAS:
            where = "pod.replicas.<component>" if has_replicas else "pod.replicas (missing)"
            yield _at(
                chart,
                "OSH001",
                m,
                m.ref,
                f"{m.ref} replicas do not follow {where}; set replicas from "
                f"pod.replicas.<component>",
            )
        if (
            m.kind == "Deployment"
            and "deployments" in upgrades
            and spec.get("revisionHistoryLimit") != PROBE_REVISIONS
        ):
            yield _at(
                chart,
                "OSH007",
                m,
                m.ref,
                f"{m.ref} rollout settings do not follow pod.lifecycle.upgrades.deployments; "
                f"render strategy and revisionHistoryLimit from it",
            )
        if (
            m.kind == "DaemonSet"
            and "daemonsets" in upgrades
            and (spec.get("updateStrategy") or {}).get("type") != PROBE_STRATEGY
        ):
            yield _at(
                chart,
                "OSH007",
                m,
                m.ref,
                f"{m.ref} updateStrategy does not follow pod.lifecycle.upgrades.daemonsets; "
                f"render it from pod.lifecycle.upgrades.daemonsets.<daemonset>",
            )
        if m.kind in POD_KINDS:
            selector = m.pod_spec().get("nodeSelector") or {}
            fixed = {k: v for k, v in selector.items() if v != PROBE_SELECTOR}
            if fixed:
                yield _at(
                    chart,
                    "OSH003",
                    m,
                    m.ref,
                    f"{m.ref} nodeSelector {fixed} is hard-coded; build it from "
                    f"labels.<component>.node_selector_key/value",
                )
