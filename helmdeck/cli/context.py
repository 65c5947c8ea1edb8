"""How a command reaches the override service.

Every override command goes through ``get_service()`` and only uses the service API, so the
same command works on the local database or (once configured) against a ``helmdeck serve``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helmdeck.api.client import RemoteOverrideService
    from helmdeck.overrides.service import OverrideService


def get_service() -> OverrideService | RemoteOverrideService:
    """The override service on the configured store, acting as the local user.

    With ``--url`` (or ``HELMDECK_URL``) it is the server's, reached with ``HELMDECK_TOKEN``.
    """
    import click

    from helmdeck import config
    from helmdeck.overrides.service import OverrideService
    from helmdeck.store import open_store

    ctx = click.get_current_context(silent=True)
    url = (ctx.meta.get("helmdeck.url") if ctx else None) or config.server_url()
    if url:
        from helmdeck.api.client import RemoteOverrideService

        return RemoteOverrideService(url, config.token())

    return OverrideService(open_store(), actor=f"cli:{config.actor()}")
