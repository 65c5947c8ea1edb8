"""``helmdeck token create``: API tokens for ``helmdeck serve``.

The token is printed once, alone on the last line of stdout, so scripts can take it with
``tail -n1``; the store keeps only its hash, so a lost token is replaced, never recovered.
"""

from __future__ import annotations

from typing import cast

import click

from helmdeck import config
from helmdeck.store import audit, open_store, tokens


@click.group("token")
def token() -> None:
    """API tokens for `helmdeck serve` (roles: reader, admin)."""


@token.command("create")
@click.option("--role", type=click.Choice(["admin", "reader"]), required=True,
              help="reader: GET only; admin: every request, including reveal.")
@click.option("--name", default=None, help="A label for the audit log (default: the role).")
def create(role: str, name: str | None) -> None:
    """Create a token and print it once on the last line of stdout."""

    label = name or role
    with open_store() as store, store.transaction() as s:
        plain = tokens.create_token(s, cast(tokens.Role, role), label)
        audit.audit(s, actor=config.actor(), action="token.create", target=label, detail=role)
    click.echo(f"helmdeck: {role} token {label!r} created; it is shown only this once", err=True)
    click.echo(plain)
