"""Rules that read values.yaml and the template text (no rendering)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from helmdeck.lint.chart import INCLUDE, LintChart, Template, define_bodies, line_at
from helmdeck.lint.model import Finding
from helmdeck.lint.rules import RULES

VALUES = "values.yaml"
SELECTOR_KEYS = ("node_selector_key", "node_selector_value")
LABEL_READ = re.compile(r"\.Values\.labels\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
REPLICAS_READ = re.compile(r"\.Values\.pod\.replicas\.([A-Za-z0-9_]+)")
RESOURCES_READ = re.compile(r"\.Values\.pod\.resources\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
RESOURCE_LEAVES = {"requests", "limits", "memory", "cpu"}
WORKLOAD_KIND = re.compile(r"^kind:\s*(Deployment|DaemonSet)\s*$", re.M)
# A URL to an in-cluster name (no dot, or a .svc name), or a cluster DNS suffix, written out.
HARD_URL = re.compile(
    r"\b(?:https?|wss?|rabbit|amqp|mysql(?:\+pymysql)?|memcached?)://"
    r"(?:[^@/\s\"']*@)?([A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*)"
)
CLUSTER_SUFFIX = re.compile(r"\bsvc\.cluster\.local\b")
LOCAL_HOSTS = {"localhost"}
FLOATING = re.compile(r"^latest(?:[-_.].*)?$")


def finding(chart: LintChart, rule: str, rel: str, line: int, key: str, message: str) -> Finding:
    return Finding(
        chart=chart.name,
        file=chart.path(rel),
        line=line,
        rule=rule,
        key=key,
        message=message,
        severity=RULES[rule].severity,
    )


def value_finding(chart: LintChart, rule: str, path: tuple[str, ...], message: str) -> Finding:
    return finding(chart, rule, VALUES, chart.values.line(path), ".".join(path), message)


def reads(chart: LintChart, pattern: re.Pattern[str]) -> Iterator[tuple[Template, int, str, str]]:
    """(template, line, path read, via) for every read in the chart's templates, including
    reads made by the library defines they include (``via`` names the define)."""
    for t in chart.templates:
        for m in pattern.finditer(t.text):
            yield t, line_at(t.text, m.start()), m.group(1), ""
        for m in INCLUDE.finditer(t.text):
            for path in sorted(chart.library.reads(m.group(1), pattern)):
                yield t, line_at(t.text, m.start()), path, m.group(1)


def _via(via: str) -> str:
    return f" (through {via})" if via else ""


def check_replicas(chart: LintChart) -> Iterator[Finding]:
    seen: set[str] = set()
    for t, line, key, via in reads(chart, REPLICAS_READ):
        path = ("pod", "replicas", key)
        if key in seen or chart.values.has(path):
            continue
        seen.add(key)
        yield finding(
            chart,
            "OSH001",
            t.rel,
            line,
            ".".join(path),
            f"{'.'.join(path)} is read{_via(via)} but not defined in values.yaml; declare it",
        )


def _label_component(path: str) -> tuple[str, ...]:
    parts = tuple(path.split("."))
    return parts[:-1] if parts[-1] in SELECTOR_KEYS else parts


def check_label_paths(chart: LintChart) -> Iterator[Finding]:
    seen: set[tuple[str, ...]] = set()
    for t, line, read, via in reads(chart, LABEL_READ):
        component = ("labels", *_label_component(read))
        if component in seen:
            continue
        node = chart.values.get(component)
        if isinstance(node, dict) and all(k in node for k in SELECTOR_KEYS):
            continue
        seen.add(component)
        key = ".".join(component)
        yield finding(
            chart,
            "OSH002",
            t.rel,
            line,
            key,
            f"{key} is read{_via(via)} but values.yaml has no {key}.node_selector_key/value; "
            f"add it (or disable the template that reads it)",
        )


def _selector_components(
    node: Any, prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    if not isinstance(node, dict):
        return
    if any(k in node for k in SELECTOR_KEYS):
        yield prefix, node
        return
    for k, v in node.items():
        yield from _selector_components(v, (*prefix, str(k)))


def check_label_shape(chart: LintChart) -> Iterator[Finding]:
    for path, node in _selector_components(chart.values.get(("labels",)), ("labels",)):
        missing = [k for k in SELECTOR_KEYS if k not in node]
        if missing:
            yield value_finding(
                chart,
                "OSH003",
                path,
                f"{'.'.join(path)} lacks {' and '.join(missing)}; a node selector needs both",
            )


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned and fully qualified, or None."""
    if "@sha256:" in image:
        name = image.split("@", 1)[0]
    else:
        name, _, tag = image.rpartition(":")
        if not name or "/" in tag:
            return "has no tag"
        if FLOATING.match(tag):
            return f"uses the floating tag :{tag}"
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first in LOCAL_HOSTS):
        return "does not name its registry"
    return None


def check_image_tags(chart: LintChart) -> Iterator[Finding]:
    tags = chart.values.get(("images", "tags"))
    if not isinstance(tags, dict):
        if chart.values.data:
            yield value_finding(
                chart,
                "OSH005",
                ("images", "tags"),
                "images.tags is missing; put every image under images.tags.<key>",
            )
        return
    for key, image in tags.items():
        if not isinstance(image, str) or not image:
            continue
        problem = image_problem(image)
        if problem:
            path = ("images", "tags", str(key))
            yield value_finding(
                chart,
                "OSH005",
                path,
                f"{'.'.join(path)} ({image}) {problem}; pin <registry>/<path>:<fixed tag>",
            )


def check_pull_policy(chart: LintChart) -> Iterator[Finding]:
    if chart.values.data and not chart.values.has(("images", "pull_policy")):
        yield value_finding(
            chart,
            "OSH006",
            ("images", "pull_policy"),
            "images.pull_policy is missing; add images.pull_policy: IfNotPresent",
        )


def check_upgrade_values(chart: LintChart) -> Iterator[Finding]:
    kinds = {m.group(1) for t in chart.templates for m in WORKLOAD_KIND.finditer(t.text)}
    for kind, key in (("Deployment", "deployments"), ("DaemonSet", "daemonsets")):
        path = ("pod", "lifecycle", "upgrades", key)
        if kind in kinds and not isinstance(chart.values.get(path), dict):
            yield value_finding(
                chart,
                "OSH007",
                path,
                f"the chart has {kind}s but no {'.'.join(path)}; declare the rollout settings",
            )


def check_resources_default(chart: LintChart) -> Iterator[Finding]:
    if not chart.values.data:
        return
    path = ("pod", "resources", "enabled")
    value = chart.values.get(path)
    if value is not False:
        state = "missing" if not chart.values.has(path) else json.dumps(value)
        yield value_finding(
            chart,
            "OSH008",
            path,
            f"pod.resources.enabled is {state}; default it to false",
        )


def _resource_key(path: str) -> tuple[str, ...]:
    """The resources entry a read refers to (``server.limits.cpu`` -> ``server``)."""
    parts = path.split(".")
    while parts and parts[-1] in RESOURCE_LEAVES:
        parts.pop()
    return tuple(parts)


def check_resources_keys(chart: LintChart) -> Iterator[Finding]:
    used: set[tuple[str, ...]] = set()
    for t, line, read, via in reads(chart, RESOURCES_READ):
        key = _resource_key(read)
        if not key or key == ("enabled",) or key in used:
            continue
        used.add(key)
        path = ("pod", "resources", *key)
        if not chart.values.has(path):
            yield finding(
                chart,
                "OSH009",
                t.rel,
                line,
                ".".join(path),
                f"{'.'.join(path)} is read{_via(via)} but missing from values.yaml, so it "
                f"renders `resources: null` when resources are enabled; add it",
            )
    defined = chart.values.get(("pod", "resources"))
    if not isinstance(defined, dict):
        return
    for path in _resource_entries(defined, ()):
        if path[0] == "jobs" or any(path == u[: len(path)] or u == path[: len(u)] for u in used):
            continue
        full = ("pod", "resources", *path)
        yield value_finding(
            chart,
            "OSH010",
            full,
            f"{'.'.join(full)} is defined but no template reads it; rename it to the key the "
            f"template reads or remove it",
        )


def _resource_entries(node: dict[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Entries holding requests/limits (nested groups such as neutron's ``agent.*``)."""
    for k, v in node.items():
        path = (*prefix, str(k))
        if k == "enabled" and not prefix:
            continue
        if isinstance(v, dict) and not (set(v) & {"requests", "limits"}) and v:
            yield from _resource_entries(v, path)
        else:
            yield path


def check_hard_coded_endpoints(chart: LintChart) -> Iterator[Finding]:
    for t in chart.templates:
        for m in HARD_URL.finditer(t.text):
            host = m.group(1)
            if host in LOCAL_HOSTS or ("." in host and ".svc" not in host):
                continue
            yield _endpoint_finding(chart, t, m.start(), m.group(0))
        for m in CLUSTER_SUFFIX.finditer(t.text):
            start = t.text.rfind("\n", 0, m.start()) + 1
            if HARD_URL.search(t.text, start, m.end()):
                continue
            yield _endpoint_finding(chart, t, m.start(), m.group(0))


def _endpoint_finding(chart: LintChart, t: Template, offset: int, literal: str) -> Finding:
    return finding(
        chart,
        "OSH011",
        t.rel,
        line_at(t.text, offset),
        literal,
        f"{literal} is hard-coded; take it from endpoints.<type> with the endpoint lookups",
    )


def check_define_prefix(chart: LintChart) -> Iterator[Finding]:
    if chart.name == "helm-toolkit":
        return
    prefix = f"{chart.name}."
    for t in chart.templates:
        for name, _ in define_bodies(t.text):
            if not name.startswith(prefix):
                offset = t.text.find(f'"{name}"')
                yield finding(
                    chart,
                    "OSH013",
                    t.rel,
                    line_at(t.text, max(offset, 0)),
                    name,
                    f'define "{name}" is not prefixed with "{prefix}"; rename it {prefix}<name>',
                )


STATIC_CHECKS = (
    check_replicas,
    check_label_paths,
    check_label_shape,
    check_image_tags,
    check_pull_policy,
    check_upgrade_values,
    check_resources_default,
    check_resources_keys,
    check_hard_coded_endpoints,
    check_define_prefix,
)
LIBRARY_CHECKS = (check_hard_coded_endpoints, check_define_prefix)
