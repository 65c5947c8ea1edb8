"""The ``helmdeck`` entry point.

Subcommands are imported only when invoked, so ``helmdeck --help`` stays fast even though
the full tool pulls in SQLAlchemy, FastAPI and Helm's engine.
"""

from __future__ import annotations

import difflib
import importlib
import sys

import click

from helmdeck.errors import UserError

# command name -> ("module:attribute", one-line help); each module owns one concept's commands.
# The help lives here so that listing commands imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "values": ("helmdeck.cli.values_cmd:values", "Compute values exactly as Helm does."),
    "chunk": ("helmdeck.cli.values_cmd:chunk", "Split a values file into one file per section."),
    "site": ("helmdeck.cli.site_cmd:site", "Import, export, show and validate the site inventory."),
    "secret": ("helmdeck.cli.secret_cmd:secret", "List, set and rotate site secrets."),
    "lint": ("helmdeck.cli.lint_cmd:lint", "Check charts against the openstack-helm conventions."),
    "check": ("helmdeck.cli.check_cmd:check", "Check that charts agree on shared values."),
    "endpoints": ("helmdeck.cli.endpoints_cmd:endpoints",
                  "Show the service catalog the charts will register."),
    "patches": ("helmdeck.cli.patches_cmd:patches", "Build and attach hot-fix patch ConfigMaps."),
    "helm-override-list": ("helmdeck.cli.overrides_cmd:helm_override_list",
                           "List charts, their override namespaces and enabled flag."),
    "helm-override-show": ("helmdeck.cli.overrides_cmd:helm_override_show",
                           "Show a chart's system, user and combined overrides."),
    "helm-override-update": ("helmdeck.cli.overrides_cmd:helm_override_update",
                             "Change a chart's user overrides (validated before storing)."),
    "helm-override-delete": ("helmdeck.cli.overrides_cmd:helm_override_delete",
                             "Delete a chart's user overrides."),
    "helm-chart-attribute-modify": ("helmdeck.cli.overrides_cmd:helm_chart_attribute_modify",
                                    "Enable or disable a chart (StarlingX's spelling)."),
    "chart": ("helmdeck.cli.overrides_cmd:chart", "Enable or disable a chart."),
    "explain": ("helmdeck.cli.overrides_cmd:explain", "Say why a key has its value."),
    "overrides": ("helmdeck.cli.overrides_cmd:overrides",
                  "Export, import, history and rollback of user overrides."),
    "serve": ("helmdeck.cli.serve_cmd:serve", "Serve the override REST API (FastAPI on uvicorn)."),
    "token": ("helmdeck.cli.token_cmd:token", "Create, list and revoke API tokens for serve."),
    "render": ("helmdeck.cli.deploy_cmd:render", "Render every enabled chart without a cluster."),
    "plan": ("helmdeck.cli.deploy_cmd:plan", "Show the releases apply would change, in order."),
    "apply": ("helmdeck.cli.deploy_cmd:apply", "Install and upgrade releases in dependency order."),
    "remove": ("helmdeck.cli.deploy_cmd:remove", "Uninstall a chart unless others need it."),
    "nodes": ("helmdeck.cli.deploy_cmd:nodes", "Label and taint nodes from the site inventory."),
    "verify": ("helmdeck.cli.verify_cmd:verify",
               "Check that the rollout can come up: placement, dependencies, storage, names."),
    "export": ("helmdeck.cli.deploy_cmd:export", "Export the application for Flux, Argo CD, "
               "helmfile or Armada."),
}


class LazyGroup(click.Group):
    """A group whose commands are loaded from COMMANDS on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise click.UsageError(f"no command {name!r}{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", envvar="HELMDECK_URL", metavar="URL",
              help="Send override commands to the `helmdeck serve` at URL instead of the local "
                   "database (token from HELMDECK_TOKEN). [env: HELMDECK_URL]")
@click.version_option(package_name="helmdeck")
def cli(url: str | None) -> None:
    """Site inventory -> per-chart overrides -> ordered Helm releases for openstack-helm."""
    click.get_current_context().meta["helmdeck.url"] = url


def main(argv: list[str] | None = None) -> None:
    """Run the CLI, turning operator mistakes into one line on stderr and exit code 2."""
    try:
        rc = cli.main(args=argv, prog_name="helmdeck", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # Click's own report is usage, a hint and the error on three lines: one line here,
        # naming the input and pointing at the command's help.
        where = exc.ctx.command_path if exc.ctx is not None else "helmdeck"
        message = " ".join(exc.format_message().split()).rstrip(".")
        click.echo(f"{where}: error: {message}; see '{where} --help'", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"helmdeck: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(f"helmdeck: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)
