"""``helmdeck secret list|set|rotate``: the site's encrypted secrets, whose values never print."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from helmdeck.cli.context import app_option, application, local_service
from helmdeck.credentials import SecretService
from helmdeck.errors import UserError


@contextmanager
def _secrets() -> Iterator[SecretService]:
    """The secret service on the local store, for the application of ``--app``."""
    overrides = local_service(application())
    with overrides.store:
        yield SecretService(overrides)


@click.group("secret")
def secret() -> None:
    """Site secrets (encrypted at rest; values are never printed)."""


@secret.command("list")
def list_secrets() -> None:
    """Print the names of the stored secrets, one per line."""

    with _secrets() as service:
        names = service.names()
    for name in names:
        click.echo(name)


@secret.command("set")
@click.argument("name")
@click.option("--new", is_flag=True,
              help="Store NAME although no enabled chart uses it (a deliberate custom secret).")
@app_option
def set_secret(name: str, new: bool) -> None:
    """Set NAME to the value read from stdin (one trailing newline is dropped).

    NAME must be a secret an enabled chart uses, unless --new.
    """

    with _secrets() as service:
        service.check_name(name, new=new)  # before a value is typed for a misspelt name
        service.set(name, _read_value(name), new=new)
    click.echo(f"secret {name} set")


@secret.command("rotate")
@click.argument("name")
def rotate_secret(name: str) -> None:
    """Replace NAME with a newly generated value (re-apply the charts that use it)."""

    with _secrets() as service:
        service.rotate(name)
    click.echo(f"secret {name} rotated; run helmdeck plan to see the charts to re-apply")


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        value: str = click.prompt(f"value of {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().removesuffix("\n")
    if not value:
        raise UserError(
            f"{name}: empty value on stdin; pipe the secret in, e.g. helmdeck secret "
            f"set {name} < FILE"
        )
    return value
