"""How a command reaches the override service, and which application it works on.

Every override command goes through ``get_service()`` and only uses the service API, so the
same command works on the local database or (once configured) against a ``helmdeck serve``.
Every command that reads the application takes ``--app FILE`` through ``app_option``: the
option only records the file, so commands keep their own signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from helmdeck import config
from helmdeck.api.client import RemoteOverrideService
from helmdeck.application import Application, load_application
from helmdeck.errors import UserError
from helmdeck.overrides.layers import use_disk_cache
from helmdeck.overrides.service import OverrideService
from helmdeck.store import open_store

F = TypeVar("F", bound=Callable[..., Any])
_APP = "helmdeck.app"


def _remember_app(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta[_APP] = value


def app_option(f: F) -> F:
    """``--app FILE``: the application file instead of the packaged openstack-helm one."""
    decorator: Callable[[F], F] = click.option(
        "--app", type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
        callback=_remember_app, is_eager=True, envvar="HELMDECK_APP",
        help="Application file (default: the packaged openstack-helm application). "
             "[env: HELMDECK_APP]",
    )
    return decorator(f)


def application() -> Application | None:
    """The application given with ``--app``, or None for the packaged one."""
    ctx = click.get_current_context(silent=True)
    path = ctx.meta.get(_APP) if ctx else None
    if path is None:
        return None

    return load_application(path)


def app_in_use() -> Application:
    """The application of ``--app``, or the packaged one."""
    return application() or load_application()


def local_service(app: Application | None) -> OverrideService:
    """The override service on the local store; chart files parsed once, across commands."""

    use_disk_cache(config.home() / "cache")
    return OverrideService(open_store(), app=app, actor=config.actor())


def get_service() -> OverrideService | RemoteOverrideService:
    """The override service on the configured store, acting as the local user.

    With ``--url`` (or ``HELMDECK_URL``) it is the server's, reached with ``HELMDECK_TOKEN``;
    the server has its own application, so ``--app`` is refused there.
    """

    ctx = click.get_current_context(silent=True)
    url = (ctx.meta.get("helmdeck.url") if ctx else None) or config.server_url()
    app = application()
    if url:
        if app is not None:
            raise UserError(f"--app: not used with a server ({url}), which has its own "
                            "application; drop --app or --url")

        return RemoteOverrideService(url, config.token())

    return local_service(app)
