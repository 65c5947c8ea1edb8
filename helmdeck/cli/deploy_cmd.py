"""``helmdeck render | plan | apply | remove | nodes | export``: rolling the charts out.

These commands work on the local store (the application's releases, the recorded applied
state) and talk to Helm through ``helmdeck.deploy``; without a cluster, ``render``, ``plan``,
``apply --dry-run``, ``nodes plan`` and ``export`` still work.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from helmdeck import config
from helmdeck.cli.context import app_in_use, app_option, application, local_service
from helmdeck.cli.output import emit, table
from helmdeck.deploy.apply import Outcome, execute, removal_order
from helmdeck.deploy.apply import remove as remove_releases
from helmdeck.deploy.blast import blast_radius, current_node_labels, describe
from helmdeck.deploy.deployer import StoreRecorder, current_plan, release_renderer
from helmdeck.deploy.desired import desired_releases
from helmdeck.deploy.export import ExportOptions, export_application, write_export
from helmdeck.deploy.lock import WAIT_S, DeployLock
from helmdeck.deploy.ops import connect, probe
from helmdeck.deploy.plan import Plan, PlanItem
from helmdeck.deploy.render import render_all, select, write_rendered
from helmdeck.deploy.verification import cached_renderer, plan_findings, refusal, with_findings
from helmdeck.errors import ClusterError, UserError
from helmdeck.inventory import SiteService
from helmdeck.kube.client import CONNECTION_ERRORS, kube_client
from helmdeck.kube.nodes import apply_nodes, kubectl_commands
from helmdeck.overrides.service import OverrideService
from helmdeck.site.model import Site
from helmdeck.site.nodes import desired_nodes
from helmdeck.store import open_store

_MARK = {"install": "+", "upgrade": "~", "uninstall": "-", "noop": "="}


@contextmanager
def _service() -> Iterator[OverrideService]:
    """The local override service on the application of ``--app`` (deploy is never remote)."""

    service = local_service(application())
    with service.store:
        yield service


# --- render ----------------------------------------------------------------------------------


@click.command()
@click.argument("charts", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write the manifests to DIR/<chart>/templates/ (files 0600).")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format of the summary.")
@app_option
def render(charts: tuple[str, ...], out: Path | None, output: str) -> None:
    """Render every enabled chart (or CHART...) with its combined overrides, no cluster needed."""

    with _service() as service:
        desired = select(desired_releases(service), charts, service.app.names())
    rendered = render_all(desired, render=release_renderer(service.secret_paths))
    if out is not None:
        write_rendered(out, rendered)
    rows = [(r.chart, r.release, r.namespace, r.counts()) for r in rendered]
    if output == "json":
        emit([{"chart": c, "release": rel, "namespace": ns, "objects": counts}
              for c, rel, ns, counts in rows], "json")
        return
    table(("chart", "release", "namespace", "objects", "total"),
          [(c, rel, ns, ", ".join(f"{k} {n}" for k, n in counts.items()), sum(counts.values()))
           for c, rel, ns, counts in rows])
    if out is not None:
        click.echo(f"wrote {len(rendered)} charts under {out}")


# --- plan ------------------------------------------------------------------------------------

SUMMARY_AFTER = 80  # lines: a longer plan prints as a summary on a terminal unless --full


@click.command()
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--chart", "charts", multiple=True, metavar="CHART",
              help="Plan only this chart (repeatable); nothing else is rendered.")
@click.option("--summary/--full", default=None,
              help="One line per changing release, or every object and values diff too. "
                   f"Default: the summary on a terminal when the full plan is longer than "
                   f"{SUMMARY_AFTER} lines, else full.")
@app_option
def plan(output: str, charts: tuple[str, ...], summary: bool | None) -> None:
    """Show what apply would change, level by level, with a redacted values diff."""

    ops, note = probe()
    with _service() as service:
        only = _known_charts(service, charts)
        render = cached_renderer(release_renderer(service.secret_paths))
        result = current_plan(service, ops=ops, cluster=note, only=only, render=render)
        if only is None:  # verify needs the whole application (a partial one lacks references)
            result = with_findings(service, result, render=render)
    if output == "json":
        click.echo(note, err=True)
        errors = sum(1 for f in result.findings if f.severity == "error")
        if errors:
            click.echo(f"verify: {errors} error(s); apply refuses them (helmdeck verify)",
                       err=True)
        emit(result.to_json(), "json")
        return
    full = _plan_lines(result, full=True)
    if summary is None:
        summary = sys.stdout.isatty() and len(full) > SUMMARY_AFTER
    lines = _plan_lines(result, full=False) if summary else full
    click.echo(f"cluster: {note}")
    for line in lines:
        click.echo(line)
    labels = current_node_labels() if ops is not None else None
    impacts = blast_radius(result, _site(), service.plugins, labels)
    for line in describe(impacts, labels_compared=labels is not None):
        click.echo(line)
    if summary and len(full) > len(lines):
        click.echo(f"(summary; {len(full)} lines in full: pass --full, or --chart CHART for "
                   "one chart's objects and values diff)")


def _known_charts(service: OverrideService, charts: tuple[str, ...]) -> set[str] | None:
    """The ``--chart`` names, each checked against the application; None when none given."""
    if not charts:
        return None
    for name in charts:
        service.app.chart(name)  # NotFoundError naming the known charts
    return set(charts)


def _plan_lines(result: Plan, *, full: bool) -> list[str]:
    """The plan as text: per level, each change (with objects and values diff when ``full``),
    then the counts."""
    out: list[str] = []
    changes = result.changes()
    level = None
    for item in changes:
        if item.level != level:
            level = item.level
            out += ["", f"level {level}"]
        out.append(f"  {_MARK[item.action]} {item.action} {item.release} ({item.namespace}, "
                   f"chart {item.chart}): {item.reason}")
        for label in item.desired.patches if item.desired is not None else ():
            out.append(f"      patched: {label} (the application's remedy for the chart)")
        for kind, name in item.recreate:
            out.append(f"      ! {kind}/{name} is deleted before the upgrade (immutable fields "
                       "changed)")
        if not full:
            if item.changed_objects:
                out.append(f"      {len(item.changed_objects)} objects change")
            continue
        out += [f"      {obj}" for obj in item.changed_objects]
        out += [f"      {line}" for line in item.diff.splitlines()]
    counts = {a: sum(1 for i in result.items if i.action == a)
              for a in ("install", "upgrade", "uninstall", "noop")}
    if not changes:
        out.append("no changes: every release is up to date")
    disabled = f", {len(result.disabled)} disabled" if result.disabled else ""
    out += ["", f"plan: {counts['install']} to install, {counts['upgrade']} to upgrade, "
                f"{counts['uninstall']} to uninstall, {counts['noop']} unchanged{disabled}"]
    errors = [f for f in result.findings if f.severity == "error"]
    if result.findings:
        out.append(f"verify: {len(errors)} error(s), {len(result.findings) - len(errors)} "
                   "warning(s)" + ("; apply refuses to start until they are fixed (or "
                                   "--force), helmdeck verify says how" if errors else ""))
    out += [f"  ! {f.release}: {f.rule} {f.object}: {f.reason}" for f in errors]
    return out


# --- apply -----------------------------------------------------------------------------------


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Go through Helm's client-side dry run (no cluster, nothing recorded).")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Releases installed at the same time within a level.")
@click.option("--lock-wait", type=click.FloatRange(min=0), default=WAIT_S, show_default=True,
              metavar="SECONDS",
              help="How long to wait for another apply or remove of this site to finish.")
@click.option("--force", is_flag=True,
              help="Apply even though verify finds errors (pods that cannot run, ...).")
@app_option
def apply(dry_run: bool, concurrency: int, lock_wait: float, force: bool) -> None:
    """Apply the plan level by level; a failure stops only what depends on it. Refused
    while verify finds an error, unless --force.

    After each release, waits until its Deployments, StatefulSets, DaemonSets and Jobs are
    rolled out (or the chart's timeout passes) before its dependents start.
    """

    ops = connect(dry_run=dry_run)
    with _service() as service, _deploy_lock(service, "apply", lock_wait, dry_run):
        render = cached_renderer(release_renderer(service.secret_paths))
        result = current_plan(service, ops=ops, cluster="dry run" if dry_run else "cluster",
                              render=render)
        changes = result.changes()
        if not changes:
            click.echo("no changes: every release is up to date")
            return
        refused = None if force else refusal(plan_findings(service, result, render=render))
        if refused is not None:
            raise UserError(refused)
        with _reporter(len(changes), "dry run" if dry_run else "apply") as report:
            outcomes = execute(result, ops, concurrency=concurrency, on_start=report.started,
                               on_event=report.event, on_done=report.done,
                               paths=service.secret_paths, dry_run=dry_run,
                               recorder=None if dry_run else StoreRecorder(
                                   service.store, actor=service.actor))
    tally = {s: sum(1 for o in outcomes if o.status == s) for s in ("ok", "failed", "skipped")}
    verb = "would apply" if dry_run else "applied"
    suffix = " (dry run: nothing recorded)" if dry_run else ""
    click.echo(f"{verb} {tally['ok']}, failed {tally['failed']}, skipped {tally['skipped']}"
               f"{suffix}")
    if tally["failed"] or tally["skipped"]:
        raise click.exceptions.Exit(1)


@contextmanager
def _deploy_lock(service: OverrideService, what: str, wait: float, dry_run: bool
                 ) -> Iterator[None]:
    """The site's deploy lock for a real apply or remove (a dry run changes nothing)."""
    if dry_run:
        yield
        return
    lock = DeployLock(service.store, service.actor, what=what, wait=wait,
                      on_wait=lambda text: click.echo(text, err=True))
    with lock:
        yield


class _Lines:
    """Progress as plain lines on stderr, one per event (for logs and pipes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _echo(self, text: str) -> None:
        with self._lock:
            click.echo(text, err=True)

    def started(self, item: PlanItem) -> None:
        self._echo(f"  {item.action} {item.release} ({item.namespace}) ...")

    def event(self, item: PlanItem, text: str) -> None:
        self._echo(f"    {item.release}: {text}")

    def done(self, o: Outcome) -> None:
        self._echo(f"{o.status:>7} {o.item.release} ({o.item.namespace}): {o.detail}")


class _Bars(_Lines):
    """Progress on a terminal: an overall bar and one live line per running release."""

    def __init__(self, progress: Progress, total: int, label: str) -> None:
        super().__init__()
        self.progress = progress
        self.overall = progress.add_task(label, total=total)
        self.tasks: dict[str, TaskID] = {}

    def started(self, item: PlanItem) -> None:
        with self._lock:
            self.tasks[item.release] = self.progress.add_task(
                f"  {item.action} {item.release}", total=None)

    def event(self, item: PlanItem, text: str) -> None:
        with self._lock:
            task = self.tasks.get(item.release)
            if task is not None:
                self.progress.update(task, description=f"  {item.release}: {text}")

    def done(self, o: Outcome) -> None:
        with self._lock:
            task = self.tasks.pop(o.item.release, None)
            if task is not None:
                self.progress.remove_task(task)
            self.progress.advance(self.overall)
            self.progress.console.print(
                f"{o.status:>7} {o.item.release} ({o.item.namespace}): {o.detail}",
                markup=False, highlight=False)


@contextmanager
def _reporter(total: int, label: str) -> Iterator[_Lines]:
    """Rich progress bars when stderr is a terminal, one line per event otherwise."""
    console = Console(stderr=True, highlight=False)
    if not console.is_terminal:
        yield _Lines()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield _Bars(progress, total, label)


# --- remove ----------------------------------------------------------------------------------


@click.command()
@click.argument("chart")
@click.option("--cascade", is_flag=True, help="Remove the charts that depend on it first.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--lock-wait", type=click.FloatRange(min=0), default=WAIT_S, show_default=True,
              metavar="SECONDS",
              help="How long to wait for another apply or remove of this site to finish.")
@app_option
def remove(chart: str, cascade: bool, dry_run: bool, lock_wait: float) -> None:
    """Uninstall CHART and disable it; refused while an enabled chart depends on it."""

    with _service() as service:
        service.app.chart(chart)
        infos = {c.name: c for c in service.list_charts()}
        releases = {c.name: (c.release, infos[c.name].namespaces[0]) for c in service.app.charts}
        enabled = {name for name, info in infos.items() if info.enabled}
        removal_order(service.app, chart, enabled=enabled, cascade=cascade)
        ops = connect(dry_run=dry_run)
        recorder = StoreRecorder(service.store, actor=service.actor)

        def removed(name: str) -> None:
            release, namespace = releases[name]
            click.echo(f"{'would remove' if dry_run else 'removed'} {release} ({namespace})")
            if not dry_run:
                recorder.removed(name, release, namespace)

        with _deploy_lock(service, "remove", lock_wait, dry_run):
            remove_releases(service.app, chart, enabled=enabled, releases=releases,
                            cascade=cascade, ops=ops, on_removed=removed)


# --- nodes -----------------------------------------------------------------------------------


@click.group()
def nodes() -> None:
    """Node labels and taints from the site inventory."""


def _site() -> Site:

    with open_store() as store:
        return SiteService(store, app=app_in_use(), actor=config.actor()).site()


@nodes.command("plan")
def nodes_plan() -> None:
    """Print the kubectl commands that label and taint the nodes."""

    for line in kubectl_commands(desired_nodes(_site())):
        click.echo(line)


@nodes.command("apply")
def nodes_apply() -> None:
    """Label and taint the nodes through the Kubernetes API (kubeconfig as kubectl finds it)."""

    wanted = desired_nodes(_site())
    client = kube_client()
    try:
        changed = apply_nodes(wanted, client)
    except CONNECTION_ERRORS as exc:
        raise ClusterError(f"Kubernetes API unreachable: {' '.join(str(exc).split())}") from None
    for line in changed or ["every node already has its labels and taints"]:
        click.echo(line)


# --- export ----------------------------------------------------------------------------------


@click.command()
@click.option("--format", "fmt", type=click.Choice(["fluxcd", "argocd", "helmfile", "armada"]),
              required=True, help="GitOps engine to export for.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory to write into (created; files 0600).")
@click.option("--sops-age", "age", multiple=True, metavar="RECIPIENT",
              help="Encrypt the secret documents with SOPS for this age recipient; repeatable. "
                   "Without it, the creation_rules of DIR/.sops.yaml.")
@click.option("--reveal", is_flag=True,
              help="Write the secret documents in clear (recorded in the audit log).")
@click.option("--repo-url", metavar="URL",
              help="Git repository the engine takes the charts from (Flux, Argo CD: required "
                   "when the site's charts are a local path).")
@click.option("--revision", default="main", show_default=True, metavar="REF",
              help="Branch, tag or commit of --repo-url the engine follows.")
@click.option("--path-prefix", default="", metavar="PATH",
              help="Directory of the charts inside --repo-url (default: its root).")
@click.option("--export-path", metavar="PATH",
              help="Argo CD: path of DIR inside --repo-url, where the Applications find the "
                   "secret value files (default: DIR relative to its Git work tree).")
@click.option("--source-name", default="openstack-helm", show_default=True, metavar="NAME",
              help="Flux: name of the exported GitRepository/HelmRepository.")
@click.option("--source-namespace", metavar="NS",
              help="Flux: namespace of the source object (default: the releases' namespace).")
@app_option
def export(fmt: str, out: Path, age: tuple[str, ...], reveal: bool, repo_url: str | None,
           revision: str, path_prefix: str, export_path: str | None, source_name: str,
           source_namespace: str | None) -> None:
    """Write the whole application (releases, order, values) for Flux, Argo CD, helmfile or
    Armada; secret values only in SOPS-encrypted documents."""

    opts = ExportOptions(fmt=fmt, out=out, age=age, reveal=reveal, repo_url=repo_url,
                         revision=revision, path_prefix=path_prefix, export_path=export_path,
                         source_name=source_name, source_namespace=source_namespace)
    with _service() as service:
        files = export_application(service, opts, _site())
    for path in write_export(out, files):
        click.echo(str(path))
