"""``helmdeck verify`` on the stored site, and verify's part in ``plan`` and ``apply``.

Verify sees what a rollout would create: every enabled release rendered exactly as ``plan``
and ``render`` render it (``render_all`` through ``release_renderer``, with the combined
overrides), and the inventory's hosts as the nodes ``helmdeck nodes apply`` leaves them
(``desired_nodes``: role labels, zones, the hosts' own labels and taints). The engine is
``helmdeck.verify``; this module only gathers its inputs from the store.

The findings of a whole-application run are remembered on disk (``<HELMDECK_HOME>/cache``,
no secret in them) under a digest of everything they depend on: each release's chart (its
directory, version and files), values hash, the nodes, the options and the engine. So
``plan`` followed by ``apply`` renders the application for verify once, and a plan with
nothing changed does not render at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helmdeck import config
from helmdeck.application import SiteTraits
from helmdeck.deploy.deployer import release_renderer
from helmdeck.deploy.desired import DesiredRelease, desired_releases
from helmdeck.deploy.plan import Plan, Renderer
from helmdeck.deploy.render import render_all, select
from helmdeck.errors import NotFoundError
from helmdeck.fileio import write_atomic
from helmdeck.helm import chart_stamp
from helmdeck.overrides import OverrideService
from helmdeck.site.model import Site
from helmdeck.site.nodes import desired_nodes
from helmdeck.store.sites import load_site
from helmdeck.verify import (
    Finding,
    Node,
    Options,
    nodes_from_specs,
    options_from_site,
    rendered_from,
    verify,
)

_CACHE_PREFIX = "verify-"
_CACHE_KEEP = 16
_ENGINE = Path(__file__).resolve().parents[1] / "verify"


@dataclass(frozen=True)
class LeftOut:
    """A chart of the application that is not part of this site, and why (its ``when:``)."""

    chart: str
    why: str


@dataclass(frozen=True)
class Verification:
    """What ``helmdeck verify`` reports: the findings, sorted (errors first), and the charts
    the application leaves out for this site (said, not found: nothing is wrong with them)."""

    findings: tuple[Finding, ...]
    left_out: tuple[LeftOut, ...] = ()

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def cached_renderer(render: Renderer) -> Renderer:
    """``render`` remembering each release's render for the life of the process, so ``plan``
    and verify (which both render) render a release once."""
    memo: dict[tuple[str, ...], Mapping[str, str]] = {}
    lock = threading.Lock()

    def one(d: DesiredRelease) -> Mapping[str, str]:
        key = (d.release, d.namespace, d.chart_version, d.values_hash, str(d.chart_dir))
        with lock:
            found = memo.get(key)
        if found is None:
            found = render(d)
            with lock:
                memo[key] = found
        return found

    return one


def site_nodes(site: Site) -> list[Node]:
    """The inventory's hosts as nodes, labelled and tainted as ``nodes apply`` leaves them."""
    return nodes_from_specs(desired_nodes(site))


def verify_releases(
    desired: Sequence[DesiredRelease],
    site: Site,
    *,
    render: Renderer,
    charts: Collection[str] | None = None,
    rules: Collection[str] | None = None,
    options: Options | None = None,
    remember: bool = True,
) -> list[Finding]:
    """The findings over these releases (the whole application), with the site's hosts as
    the nodes; ``charts`` narrows the report (not the renders), ``rules`` the checks."""
    nodes = site_nodes(site)
    options = options or options_from_site(site)
    key = _digest(desired, nodes, options) if remember and rules is None else None
    found = _recall(key)
    if found is None:
        rendered = [rendered_from(r.chart, r.release, r.namespace, r.manifests)
                    for r in render_all(list(desired), render=render)]
        found = verify(rendered, nodes, options, rules=rules)
        _remember(key, found)
    if charts is not None:
        keep = set(charts)
        found = [f for f in found if f.chart in keep]
    return found


def verify_application(service: OverrideService, charts: Sequence[str] = (), *,
                       render: Renderer | None = None) -> Verification:
    """``helmdeck verify [CHART...]``: the enabled releases of the stored site, rendered as
    ``plan`` renders them; CHART... narrows the report (unknown or disabled: a UserError)."""
    desired = desired_releases(service)
    select(desired, charts, service.app.names())
    site = stored_site(service)
    found = verify_releases(desired, site, render=render or cached_renderer(
        release_renderer(service.secret_paths)), charts=set(charts) if charts else None)
    return Verification(tuple(found), left_out(service, site, {d.chart for d in desired}))


def plan_findings(service: OverrideService, plan: Plan, *, render: Renderer) -> tuple[
    Finding, ...
]:
    """Verify's findings for the releases of ``plan`` (every enabled one), for ``plan`` to
    show and ``apply`` to refuse."""
    desired = [i.desired for i in plan.items if i.desired is not None]
    if not desired:
        return ()
    return tuple(verify_releases(desired, stored_site(service), render=render))


def with_findings(service: OverrideService, plan: Plan, *, render: Renderer) -> Plan:
    """``plan`` with verify's findings in its ``findings``."""
    return dataclasses.replace(plan, findings=plan_findings(service, plan, render=render))


def refusal(findings: Sequence[Finding]) -> str | None:
    """Why ``apply`` does not start (one line per error, then the way out), or None."""
    errors = [f for f in findings if f.severity == "error"]
    if not errors:
        return None
    lines = [f"{f.release}: {f.rule} {f.object}: {f.reason}" for f in errors]
    head = (f"verify found {len(errors)} error(s) in what apply would roll out; fix them "
            "(helmdeck verify says how) or pass --force:")
    return "\n".join([head, *lines])


def stored_site(service: OverrideService) -> Site:
    with service.store.transaction(readonly=True) as s:
        site = load_site(s)
    if site is None:
        raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
    return site


def left_out(service: OverrideService, site: Site, enabled: Collection[str]) -> tuple[
    LeftOut, ...
]:
    """The charts whose ``when:`` keeps them off this site, with the trait that does."""
    traits = SiteTraits.of(site)
    out = []
    for c in service.app.charts:
        if c.name in enabled or not c.when.conditions:
            continue
        reasons = []
        for key, wanted in c.when.conditions:
            have = set(enabled) if key == "enabled" else traits.values(key)
            if any(w in have for w in wanted):
                continue
            want = " or ".join(wanted)
            if key == "enabled":
                reasons.append(f"needs {want} enabled")
            elif key == "role":
                reasons.append(f"needs a host with role {want}")
            else:
                reasons.append(f"{key} is {', '.join(sorted(have))}, it needs {want}")
        if reasons:
            out.append(LeftOut(c.name, "; ".join(reasons)))
    return tuple(out)


# --- the findings cache ---------------------------------------------------------------------


def _canonical(options: Options) -> dict[str, Any]:
    ext = options.external
    return {
        "registry": options.registry,
        "storage_class": options.storage_class,
        "external": {f.name: sorted(getattr(ext, f.name)) for f in dataclasses.fields(ext)},
        "roles": {k: sorted(v) for k, v in sorted((options.roles or {}).items())},
        "storage_classes": None if options.storage_classes is None
        else sorted(options.storage_classes),
        "default_storage_class": options.default_storage_class,
    }


def _engine_stamp() -> list[tuple[str, int, int]]:
    out = []
    for path in sorted(_ENGINE.rglob("*.py")):
        st = path.stat()
        out.append((str(path.relative_to(_ENGINE)), st.st_mtime_ns, st.st_size))
    return out


def _digest(desired: Sequence[DesiredRelease], nodes: Sequence[Node],
            options: Options) -> str:
    doc = {
        "releases": [[d.chart, d.release, d.namespace, d.chart_version, d.values_hash,
                      str(d.chart_dir), repr(chart_stamp(d.chart_dir))] for d in desired],
        "nodes": [[n.name, sorted(n.labels.items()), [list(t) for t in n.taints]]
                  for n in nodes],
        "options": _canonical(options),
        "engine": _engine_stamp(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


def _cache_dir() -> Path:
    return config.home() / "cache"


def _recall(key: str | None) -> list[Finding] | None:
    if key is None:
        return None
    try:
        rows = json.loads((_cache_dir() / f"{_CACHE_PREFIX}{key}.json").read_text())
        return [Finding(**{**r, "hosts": tuple(r["hosts"])}) for r in rows]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _remember(key: str | None, found: Sequence[Finding]) -> None:
    """Write the findings (atomically, 0600) and keep only the newest few; a cache that
    cannot be written is skipped."""
    if key is None:
        return
    directory = _cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(directory / f"{_CACHE_PREFIX}{key}.json",
                     json.dumps([dataclasses.asdict(f) for f in found]))
        old = sorted(directory.glob(f"{_CACHE_PREFIX}*.json"), key=lambda p: p.stat().st_mtime)
        for path in old[:-_CACHE_KEEP]:
            path.unlink(missing_ok=True)
    except OSError:
        return

