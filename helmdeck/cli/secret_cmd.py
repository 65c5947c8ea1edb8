"""``helmdeck secret list|set|rotate``: the site's encrypted secrets, whose values never print."""

from __future__ import annotations

import sys

import click

from helmdeck import config
from helmdeck.errors import UserError
from helmdeck.store import audit, open_store
from helmdeck.store.secrets import SecretBox, check_secret_name, secret_names
from helmdeck.store.secrets import rotate_secret as store_rotate
from helmdeck.store.secrets import set_secret as store_secret


@click.group("secret")
def secret() -> None:
    """Site secrets (encrypted at rest; values are never printed)."""


@secret.command("list")
def list_secrets() -> None:
    """Print the names of the stored secrets, one per line."""

    with open_store() as store, store.transaction() as s:
        names = secret_names(s)
    for name in names:
        click.echo(name)


@secret.command("set")
@click.argument("name")
def set_secret(name: str) -> None:
    """Set NAME to the value read from stdin (one trailing newline is dropped)."""

    check_secret_name(name)
    if sys.stdin.isatty():
        value = click.prompt(f"value of {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().removesuffix("\n")
    if not value:
        raise UserError(
            f"{name}: empty value on stdin; pipe the secret in, e.g. helmdeck secret "
            f"set {name} < FILE"
        )
    box = SecretBox()
    with open_store() as store, store.transaction() as s:
        store_secret(s, box, name, value)
        audit.audit(s, actor=config.actor(), action="secret.set", target=name)
    click.echo(f"secret {name} set")


@secret.command("rotate")
@click.argument("name")
def rotate_secret(name: str) -> None:
    """Replace NAME with a newly generated value (re-apply the charts that use it)."""

    box = SecretBox()
    with open_store() as store, store.transaction() as s:
        store_rotate(s, box, name)
        audit.audit(s, actor=config.actor(), action="secret.rotate", target=name)
    click.echo(f"secret {name} rotated; run helmdeck plan to see the charts to re-apply")
