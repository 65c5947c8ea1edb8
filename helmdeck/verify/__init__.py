"""Will the cloud come up? Predictions from the rendered manifests and the inventory.

``helmdeck.verify`` is the engine behind ``helmdeck verify`` (issue 11): given every
release's rendered manifests and the nodes as ``helmdeck nodes apply`` leaves them, it says
where each pod can run (as kube-scheduler would decide), which pods stay Pending, and what
else keeps the application from starting: dependencies that never resolve, claims that
cannot attach, references to missing objects and names the API server refuses. It is pure:
plain data in, sorted findings out; no Helm, no cluster.

Rules, documented in their modules: ``rules.placement`` (VFY001-008), ``rules.dependencies``
(VFY101-109, with ``readiness`` for what never becomes Ready), ``rules.storage``
(VFY201-203), ``rules.references`` (VFY301-310). ``placements``, ``unschedulable`` and
``predict_all`` give the raw predictions a real scheduler can be checked against.

Typical use::

    rendered = [rendered_from(r.chart, r.release, r.namespace, r.manifests) for r in renders]
    nodes = nodes_from_specs(desired_nodes(site))
    findings = verify(rendered, nodes, options_from_site(site))
    print(to_table(findings))
"""

from __future__ import annotations

from helmdeck.verify.engine import placements, predict_all, unschedulable, verify
from helmdeck.verify.inputs import (
    nodes_from_specs,
    options_from_site,
    parse_manifests,
    rendered_from,
    roles_from_site,
)
from helmdeck.verify.model import (
    External,
    Finding,
    Node,
    Options,
    Rendered,
    Rule,
    Severity,
    Taint,
    sorted_findings,
)
from helmdeck.verify.predict import Prediction
from helmdeck.verify.report import to_json, to_sarif, to_table
from helmdeck.verify.rules import PLACEMENT_AND_STORAGE, RULES

__all__ = [
    "PLACEMENT_AND_STORAGE",
    "RULES",
    "External",
    "Finding",
    "Node",
    "Options",
    "Prediction",
    "Rendered",
    "Rule",
    "Severity",
    "Taint",
    "nodes_from_specs",
    "options_from_site",
    "parse_manifests",
    "placements",
    "predict_all",
    "rendered_from",
    "roles_from_site",
    "sorted_findings",
    "to_json",
    "to_sarif",
    "to_table",
    "unschedulable",
    "verify",
]
