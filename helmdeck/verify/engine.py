"""``verify``: every rule over the application's renders, with the inventory as the nodes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from helmdeck.errors import UserError
from helmdeck.verify.context import Context
from helmdeck.verify.model import Finding, Node, Options, Rendered, sorted_findings
from helmdeck.verify.predict import Prediction
from helmdeck.verify.rules import CHECKS, RULES


def _rule_ids(rules: Collection[str] | None) -> frozenset[str]:
    """The rule IDs to run; names (``placement-no-host``) are accepted as well as IDs."""
    if rules is None:
        return frozenset(RULES)
    by_name = {r.name: r.id for r in RULES.values()}
    out = set()
    for r in rules:
        rid = by_name.get(r, r)
        if rid not in RULES:
            raise UserError(f"verify: unknown rule {r}; rules: {', '.join(sorted(RULES))}")
        out.add(rid)
    return frozenset(out)


def verify(
    rendered: Sequence[Rendered],
    nodes: Iterable[Node],
    options: Options | None = None,
    *,
    rules: Collection[str] | None = None,
    charts: Collection[str] | None = None,
) -> list[Finding]:
    """The findings of ``rules`` (all by default), sorted, errors first.

    ``rendered`` must be the whole application even when ``charts`` narrows the report to
    some charts: whether a dependency or a Secret exists depends on the other releases.
    """
    wanted = _rule_ids(rules)
    ctx = Context(rendered, nodes, options or Options())
    found: list[Finding] = []
    for ids, check in CHECKS:
        if ids & wanted:
            found.extend(f for f in check(ctx) if f.rule in wanted)
    if charts is not None:
        keep = set(charts)
        found = [f for f in found if f.chart in keep]
    return sorted_findings(found)


def predict_all(rendered: Sequence[Rendered], nodes: Iterable[Node],
                options: Options | None = None) -> dict[str, Prediction]:
    """Every workload's prediction (hosts, pods, pending), by ``Kind/namespace/name``.

    Of the options only ``external`` (claims that exist elsewhere), ``storage_classes`` and
    ``default_storage_class`` (which claims bind) change a prediction.
    """
    return dict(Context(rendered, nodes, options or Options()).predictions)


def placements(rendered: Sequence[Rendered], nodes: Iterable[Node],
               options: Options | None = None) -> dict[str, frozenset[str]]:
    """The hosts each workload's pods can run on; for a DaemonSet, exactly the hosts where it
    gets a running pod. Every installed pod template is listed, CronJobs and hook Jobs
    included; one whose pods cannot run anywhere (no node fits, a claim that cannot bind, a
    refused ServiceAccount) maps to the empty set."""
    return {k: p.runs_on for k, p in predict_all(rendered, nodes, options).items()}


def unschedulable(rendered: Sequence[Rendered], nodes: Iterable[Node],
                  options: Options | None = None, *,
                  include_cronjobs: bool = False) -> dict[str, int]:
    """Workloads with pods kube-scheduler leaves Pending: object -> number of Pending pods.

    What a cluster shows right after the objects are created: a StatefulSet with
    OrderedReady pods counts its one Pending pod (the ones after it are never created). A
    CronJob has no pod until it fires, so it is left out unless ``include_cronjobs`` (then
    it counts the pods one run would leave Pending).
    """
    return {
        k: p.pending for k, p in predict_all(rendered, nodes, options).items()
        if p.pending and (include_cronjobs or p.kind != "CronJob")
    }
