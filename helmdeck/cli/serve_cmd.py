"""``helmdeck serve``: the override REST API on uvicorn."""

from __future__ import annotations

import copy
import ipaddress

import click
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from helmdeck.api.app import create_app
from helmdeck.cli.context import app_in_use, app_option
from helmdeck.store import open_store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8385


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the API on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@app_option
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; anything but loopback exposes the API to the network.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the override API over HTTP, authenticated by `helmdeck token create` tokens."""



    if not is_loopback(host):
        click.echo(
            f"helmdeck: warning: listening on {host}, reachable from the network; "
            "the API is plain HTTP, so put a TLS proxy in front of it",
            err=True,
        )
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["helmdeck"] = {"handlers": ["default"], "level": "INFO"}
    with open_store() as store:
        app = create_app(store, application=app_in_use())
        uvicorn.run(app, host=host, port=port, log_config=log_config, server_header=False)
