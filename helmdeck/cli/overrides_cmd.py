"""The StarlingX-style override commands, ``chart enable|disable``, ``explain`` and ``overrides``.

Every command goes through ``get_service()`` and the service API only, so it behaves the
same on the local database and against a server. Secrets are redacted in everything printed
or written unless ``--reveal`` is given, and a reveal is audited before anything is shown.

The ``helm-*`` commands also take StarlingX's argument order, the application first
(``helm-override-show openstack-helm keystone openstack``, ``helm-override-list
openstack-helm``), so a ``system helm-override-*`` script ports by changing the command name;
the name must be the application's (``openstack-helm`` unless ``--app`` names another).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from helmdeck.api.client import RemoteOverrideService
from helmdeck.cli.context import app_option, get_service
from helmdeck.cli.output import emit, output_option, properties, table, write_private
from helmdeck.errors import DependentsError, UserError
from helmdeck.overrides import OverrideService, Reapply, UpdateRequest
from helmdeck.overrides.formats import armada_target, documents, render, target_of
from helmdeck.overrides.service import reapply_note
from helmdeck.values.sections import load_source
from helmdeck.values.yamlio import dump_json, dump_yaml, load_values_file

_FORMATS = ("helm", "armada", "fluxcd", "helmfile", "argocd")
_PATH = click.Path(dir_okay=False, path_type=Path)


_TARGET = "[APP] CHART NAMESPACE"


def _yaml(values: dict[str, Any]) -> str:

    return dump_yaml(values) if values else ""


Service = OverrideService | RemoteOverrideService


def _check_app(service: Service, app: str | None) -> None:
    """Refuse an APP argument that is not the application's name."""
    if app is not None and app != service.app_name:
        raise UserError(f"APP {app!r}: not this site's application, which is "
                        f"{service.app_name}; give that name or leave APP out")


def _target(service: Service, args: tuple[str, ...]) -> tuple[str, str]:
    """CHART NAMESPACE from ``[APP] CHART NAMESPACE`` (StarlingX puts the application first)."""
    if len(args) not in (2, 3):
        raise click.UsageError(f"expected {_TARGET}, got {len(args)} argument"
                               f"{'' if len(args) == 1 else 's'}")
    if len(args) == 3:
        _check_app(service, args[0])
    return args[-2], args[-1]


def _target_argument(f: Any) -> Any:
    return click.argument("target", nargs=-1, metavar=_TARGET)(f)


@click.command("helm-override-list")
@app_option
@click.argument("app_name", required=False, metavar="[APP]")
@output_option()
def helm_override_list(app_name: str | None, output: str) -> None:
    """List the charts with their override namespaces and whether they are enabled."""

    service = get_service()
    _check_app(service, app_name)
    charts = service.list_charts()
    if output != "table":
        emit({"charts": [{"name": c.name, "namespaces": c.namespaces, "enabled": c.enabled}
                         for c in charts]}, output)
        return
    table(("chart name", "overrides namespaces", "chart enabled"),
          [(c.name, ", ".join(c.namespaces), c.enabled) for c in charts])


@click.command("helm-override-show")
@app_option
@_target_argument
@click.option("--format", "fmt", type=click.Choice(_FORMATS),
              help="Print the combined overrides as a deployer's document instead of a table.")
@click.option("--file", "file", type=_PATH, help="Write to FILE (mode 0600) instead of stdout.")
@click.option("--reveal", is_flag=True, help="Show real secret values (recorded in the audit log).")
@click.option("--effective", is_flag=True,
              help="Use the effective values (chart defaults + combined overrides).")
@output_option()
def helm_override_show(target: tuple[str, ...], fmt: str | None, file: Path | None,
                       reveal: bool, effective: bool, output: str) -> None:
    """Show a chart's system, user and combined overrides (secrets redacted)."""

    service = get_service()
    chart, namespace = _target(service, target)
    if fmt == "armada":
        # Armada prefixes every release name: the values must name those releases.
        service = service.as_armada()
    # The service audits a reveal before it reads anything, and redacts otherwise.
    shown = service.get(chart, namespace, reveal=reveal)
    values = service.effective(chart, namespace, reveal=reveal) if effective else shown.combined
    if fmt is not None:
        # A deployer's document never carries a placeholder: without --reveal the secret
        # values are left out (a comment at the top names them), not printed as <redacted>.
        doc_target = target_of(shown)
        if fmt == "armada":
            doc_target = armada_target(doc_target, service.app_name)
        paths = service.secret_paths
        if not reveal:
            left_out = documents(fmt, doc_target, values, paths).secret_keys
            if left_out:
                click.echo(f"helm-override-show: {len(left_out)} secret values left out of the "
                           f"{fmt} document; --reveal prints them, helmdeck export --sops-age "
                           "writes them encrypted", err=True)
        _deliver(render(fmt, doc_target, values, paths, reveal=reveal), file)
        return
    if effective:
        _deliver(_as(values, "json" if output == "json" else "yaml"), file)
    elif file is not None or output != "table":
        doc = {
            "name": shown.name,
            "namespace": shown.namespace,
            "system_overrides": _yaml(shown.system),
            "user_overrides": _yaml(shown.user),
            "combined_overrides": _yaml(values),
        }
        _deliver(_as(doc, "yaml" if output == "table" else output), file)
    else:

        properties([
            ("name", shown.name),
            ("namespace", shown.namespace),
            ("system_overrides", _yaml(shown.system)),
            ("user_overrides", _yaml(shown.user)),
            ("combined_overrides", _yaml(values)),
        ])


def _as(data: Any, fmt: str) -> str:

    return dump_json(data) if fmt == "json" else dump_yaml(data)


def _deliver(text: str, file: Path | None) -> None:
    if file is None:
        click.echo(text, nl=False)
        return

    write_private(file, text)
    click.echo(f"wrote {file}", err=True)


@click.command("helm-override-update")
@app_option
@_target_argument
@click.option("--reuse-values/--reset-values", "reuse", default=False,
              help="Merge into the stored user overrides, or replace them (the default, "
                   "as in StarlingX).")
@click.option("--values", "values", multiple=True, metavar="FILE[:section]",
              help="A values file, or one section of an environment file; repeatable.")
@click.option("--set", "set_", multiple=True, metavar="E", help="Helm --set; repeatable.")
@click.option("--set-string", multiple=True, metavar="E", help="Helm --set-string; repeatable.")
@click.option("--set-json", multiple=True, metavar="E", help="Helm --set-json; repeatable.")
@click.option("--force", is_flag=True, help="Store even if cross-chart consistency breaks.")
@click.option("--render-check", is_flag=True, help="Refuse unless the chart still renders.")
@click.option("--reapply", is_flag=True,
              help="Mark the chart for the next `helmdeck apply`, changed or not.")
@click.option("--reapply-all", is_flag=True,
              help="Mark every enabled chart for the next `helmdeck apply`, changed or not.")
def helm_override_update(target: tuple[str, ...], reuse: bool, values: tuple[str, ...],
                         set_: tuple[str, ...], set_string: tuple[str, ...],
                         set_json: tuple[str, ...], force: bool, render_check: bool,
                         reapply: bool, reapply_all: bool) -> None:
    """Change a chart's user overrides; refused (nothing stored) if any check fails."""

    if reapply and reapply_all:
        raise click.UsageError("--reapply and --reapply-all: give one (--reapply-all marks "
                               "every chart, this one included)")
    service = get_service()
    chart, namespace = _target(service, target)
    files = [dump_yaml(load_source(spec)) for spec in values]
    marks: Reapply | None = "application" if reapply_all else "chart" if reapply else None
    request = UpdateRequest.of(
        flag="reuse" if reuse else "reset", files=files, set=set_, set_string=set_string,
        set_json=set_json, force=force, render_check=render_check, reapply=marks,
    )
    updated = service.update(chart, namespace, request)
    note = reapply_note(updated.reapply, chart, namespace, service.app_name)
    if not updated.changed:
        click.echo(f"{chart} {namespace}: no change (user overrides stay at version "
                   f"{updated.version})")
    else:
        properties([("name", chart), ("namespace", namespace),
                    ("user_overrides", _yaml(updated.values)), ("version", updated.version)])
    if note is not None:
        click.echo(note)


@click.command("helm-override-delete")
@app_option
@_target_argument
def helm_override_delete(target: tuple[str, ...]) -> None:
    """Delete a chart's user overrides (generated secrets are kept)."""

    service = get_service()
    chart, namespace = _target(service, target)
    service.delete(chart, namespace)
    click.echo(f"Deleted chart overrides {chart}:{namespace}")


@click.command("helm-chart-attribute-modify")
@app_option
@_target_argument
@click.option("--enabled", type=click.Choice(("true", "false"), case_sensitive=False),
              help="Deploy the chart (true) or stop deploying it (false).")
def helm_chart_attribute_modify(target: tuple[str, ...], enabled: str | None) -> None:
    """StarlingX's spelling of `chart enable` / `chart disable`."""

    service = get_service()
    chart_name, namespace = _target(service, target)
    rows: list[tuple[str, Any]] = [("name", chart_name), ("namespace", namespace)]
    if enabled is not None:
        on = enabled.lower() == "true"
        try:
            service.set_enabled(chart_name, namespace, on)
        except DependentsError as e:
            raise e.attribute_modify(service.app_name) from None
        rows.append(("attributes", dump_yaml({"enabled": on})))
    else:
        service.get(chart_name, namespace)  # still refuse an unknown chart
    properties(rows)


@click.group("chart")
def chart() -> None:
    """Enable or disable a chart of the application."""


@chart.command("enable")
@app_option
@click.argument("chart_name", metavar="CHART")
@click.argument("namespace")
def chart_enable(chart_name: str, namespace: str) -> None:
    """Deploy CHART in NAMESPACE."""
    _toggle(chart_name, namespace, enabled=True, cascade=False)


@chart.command("disable")
@app_option
@click.argument("chart_name", metavar="CHART")
@click.argument("namespace")
@click.option("--cascade", is_flag=True, help="Disable the enabled charts that depend on it too.")
def chart_disable(chart_name: str, namespace: str, cascade: bool) -> None:
    """Stop deploying CHART in NAMESPACE (its overrides are kept)."""
    _toggle(chart_name, namespace, enabled=False, cascade=cascade)


def _toggle(chart_name: str, namespace: str, *, enabled: bool, cascade: bool) -> None:
    changed = get_service().set_enabled(chart_name, namespace, enabled, cascade=cascade)
    action = "enabled" if enabled else "disabled"
    for name in changed:
        click.echo(f"chart {name} {action} in {namespace}")


@click.command("explain")
@app_option
@click.argument("chart_name", metavar="CHART")
@click.argument("namespace")
@click.argument("path", metavar="KEY.PATH")
@click.option("-o", "--output", "output", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Output format.")
def explain(chart_name: str, namespace: str, path: str, output: str) -> None:
    """Say which layer set KEY.PATH in the combined overrides, and which fact caused it."""

    found = get_service().explain(chart_name, namespace, path)
    if output == "json":
        emit({"path": path, "layer": found.layer, "fact": found.fact, "value": found.value},
             "json")
    else:
        click.echo(f"{path}: {found.layer}: {found.fact}")
        click.echo(f"  value: {dump_json(found.value).strip()}")


@click.group("overrides")
def overrides() -> None:
    """User overrides as one file for source control, their history and rollback."""


@overrides.command("export")
@app_option
@click.argument("file", type=_PATH)
def overrides_export(file: Path) -> None:
    """Write every chart's user overrides to FILE, one section per chart (mode 0600)."""

    doc = get_service().export_user_overrides()
    write_private(file, dump_yaml(doc))
    click.echo(f"exported {len(doc)} charts to {file}")


@overrides.command("import")
@app_option
@click.argument("file", type=_PATH)
def overrides_import(file: Path) -> None:
    """Load FILE (as written by export) in one transaction; unchanged charts are untouched."""

    changed = get_service().import_user_overrides(load_values_file(file))
    click.echo(f"imported {file}: {changed} charts changed")


@overrides.command("history")
@app_option
@click.argument("chart_name", metavar="CHART")
@click.argument("namespace")
@output_option()
def overrides_history(chart_name: str, namespace: str, output: str) -> None:
    """Every revision of CHART's user overrides: who, when, and the redacted diff."""

    revisions = get_service().history(chart_name, namespace)
    rows = [{"revision": r.revision, "actor": r.actor, "at": r.at.isoformat(), "diff": r.diff}
            for r in revisions]
    if output != "table":
        emit({"name": chart_name, "namespace": namespace, "revisions": rows}, output)
        return
    table(("revision", "at", "actor", "diff"),
          [(r["revision"], r["at"], r["actor"], r["diff"]) for r in rows], lines=True)


@overrides.command("rollback")
@app_option
@click.argument("chart_name", metavar="CHART")
@click.argument("namespace")
@click.option("--to", "to", type=int, required=True, help="The revision to restore.")
def overrides_rollback(chart_name: str, namespace: str, to: int) -> None:
    """Restore revision N of CHART's user overrides (recorded as a new revision)."""

    version = get_service().rollback(chart_name, namespace, to).version
    click.echo(f"{chart_name} {namespace}: user overrides restored from revision {to} "
               f"(now revision {version})")
