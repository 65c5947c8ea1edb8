"""``helmdeck token create|list|revoke``: API tokens for ``helmdeck serve``.

A new token is printed once, alone on the last line of stdout, so scripts can take it with
``tail -n1``; the store keeps only its hash, so a lost token is revoked and replaced, never
recovered.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import click

from helmdeck import config
from helmdeck.cli.output import emit, output_option, table
from helmdeck.credentials import TokenService, expiry
from helmdeck.store import open_store
from helmdeck.store.models import utcnow
from helmdeck.store.tokens import ROLES, Role, TokenInfo


@click.group("token")
def token() -> None:
    """API tokens for `helmdeck serve` (roles: reader, admin)."""


@token.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="reader: GET only; admin: every request, including reveal.")
@click.option("--name", default=None,
              help="A label for the audit log: 1-64 of A-Z a-z 0-9 . _ - (default: the role).")
@click.option("--expires-in", metavar="DURATION", default=None,
              help="Expire after DURATION: 90m, 12h, 30d or 2w (default: never).")
@click.option("--expires", metavar="TIME", default=None,
              help="Expire at TIME, ISO 8601 (UTC unless it names a zone).")
def create(role: str, name: str | None, expires_in: str | None, expires: str | None) -> None:
    """Create a token and print it once on the last line of stdout."""

    label = name or role
    at = expiry(expires_in, expires, utcnow())
    with open_store() as store:
        plain, info = TokenService(store, actor=config.actor()).create(
            cast(Role, role), label, expires_at=at)
    until = f", expires {_time(info.expires_at)}" if info.expires_at else ""
    click.echo(f"helmdeck: {role} token {label!r} (id {info.id}{until}) created; it is shown "
               "only this once", err=True)
    click.echo(plain)


@token.command("list")
@output_option()
def list_tokens(output: str) -> None:
    """List the tokens: name, id, role, created, expires, state (never the token itself)."""

    with open_store() as store:
        infos = TokenService(store, actor=config.actor()).list()
    now = utcnow()
    rows = [_row(t, now) for t in infos]
    if output != "table":
        emit({"tokens": rows}, output)
        return
    columns = ("name", "id", "role", "created", "expires", "state")
    table(columns, [[r[c] or "never" for c in columns] for r in rows])


@token.command("revoke")
@click.argument("name_or_id")
def revoke(name_or_id: str) -> None:
    """Revoke the token NAME_OR_ID; every server refuses it from the next request on."""

    with open_store() as store:
        info = TokenService(store, actor=config.actor()).revoke(name_or_id)
    click.echo(f"token {info.name!r} (id {info.id}) revoked")


def _row(t: TokenInfo, now: datetime) -> dict[str, str | int | None]:
    return {"name": t.name, "id": t.id, "role": t.role, "created": _time(t.created_at),
            "expires": _time(t.expires_at) if t.expires_at else None, "state": t.state(now)}


def _time(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
