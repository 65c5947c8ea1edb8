"""Hiding secret values before anything is shown, logged or stored as a diff.

Redaction goes by path (``helmdeck.plugins.secretpaths``), not by value, so it also works on
a remote client that never sees the secrets, and an operator can still see WHERE a secret is.
"""

from __future__ import annotations

from typing import Any

from helmdeck.plugins.secretpaths import is_secret_path

REDACTED = "<redacted>"


def _redact(value: Any, path: tuple[str | int, ...]) -> Any:
    if value is None:
        return None
    if path and is_secret_path(path):
        # A whole map or list on a secret path hides too: it may be a keyring or a list of URLs.
        return REDACTED
    if type(value) is dict:
        return {k: _redact(v, (*path, k)) for k, v in value.items()}
    if type(value) is list:
        return [_redact(v, (*path, i)) for i, v in enumerate(value)]
    return value


def redact(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` with every value on a secret path replaced by ``<redacted>``."""
    result: dict[str, Any] = _redact(values, ())
    return result
