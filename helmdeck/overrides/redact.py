"""Hiding secret values before anything is shown, logged or stored as a diff.

Values are redacted by path (``helmdeck.plugins.secrets.SecretPaths``: the shared patterns
plus what plugins declare), not by value, so it also works where the secrets are unknown,
and an operator can still see WHERE a secret is. Free text (Helm's error messages, which
may quote a rendered manifest) has no paths, so there the known secret values themselves
are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from helmdeck.plugins.secrets import SecretPaths
from helmdeck.values.paths import format_path

REDACTED = "<redacted>"


def _redact(value: Any, path: tuple[str | int, ...], paths: SecretPaths) -> Any:
    if value is None:
        return None
    if path and paths.is_secret(path):
        # A whole map or list on a secret path hides too: it may be a keyring or a list of URLs.
        return REDACTED
    if type(value) is dict:
        return {k: _redact(v, (*path, k), paths) for k, v in value.items()}
    if type(value) is list:
        return [_redact(v, (*path, i), paths) for i, v in enumerate(value)]
    return value


def redact(values: dict[str, Any], paths: SecretPaths) -> dict[str, Any]:
    """A copy of ``values`` with every value on a secret path replaced by ``<redacted>``."""
    result: dict[str, Any] = _redact(values, (), paths)
    return result


def secret_values(values: dict[str, Any], paths: SecretPaths) -> list[str]:
    """Every string at or under a secret path of ``values``: what a message must not quote."""
    found: list[str] = []

    def walk(value: Any, path: tuple[str | int, ...], secret: bool) -> None:
        secret = secret or bool(path and paths.is_secret(path))
        if type(value) is dict:
            for k, v in value.items():
                walk(v, (*path, k), secret)
        elif type(value) is list:
            for i, v in enumerate(value):
                walk(v, (*path, i), secret)
        elif secret and isinstance(value, str) and value:
            found.append(value)

    walk(values, (), False)
    return found


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of a secret value replaced by ``<redacted>``.

    Longest first, so a secret that contains another is hidden whole.
    """
    for value in sorted({v for v in secrets if v}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def placeholders(values: dict[str, Any], paths: SecretPaths) -> dict[str, Any]:
    """``values`` with every secret string replaced by ``<redacted>``.

    Rendering with these instead of the real secrets gives Helm's error message without any
    text derived from a secret (a ``fail`` of ``b64enc`` of a password, an ``upper`` of it).
    """

    def walk(value: Any, path: tuple[str | int, ...], secret: bool) -> Any:
        secret = secret or bool(path and paths.is_secret(path))
        if type(value) is dict:
            return {k: walk(v, (*path, k), secret) for k, v in value.items()}
        if type(value) is list:
            return [walk(v, (*path, i), secret) for i, v in enumerate(value)]
        if secret and isinstance(value, str) and value:
            return REDACTED
        return value

    result: dict[str, Any] = walk(values, (), False)
    return result


def _holds_secret(value: Any, path: tuple[str | int, ...], paths: SecretPaths) -> bool:
    """True when some non-null value at or under ``path`` is on a secret path (or was
    redacted already: a server's answer, whose plugins' declared paths this side lacks)."""
    if value is None:
        return False
    if (path and paths.is_secret(path)) or value == REDACTED:
        return True
    if type(value) is dict:
        return any(_holds_secret(v, (*path, k), paths) for k, v in value.items())
    if type(value) is list:
        return any(_holds_secret(v, (*path, i), paths) for i, v in enumerate(value))
    return False


def _split(
    values: dict[str, Any], path: tuple[str | int, ...], paths: SecretPaths,
    cuts: list[tuple[str | int, ...]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for key, value in values.items():
        where = (*path, key)
        if type(value) is dict and value and not paths.is_secret(where):
            sub_plain, sub_secret = _split(value, where, paths, cuts)
            if sub_plain:
                plain[key] = sub_plain
            if sub_secret:
                secret[key] = sub_secret
        elif _holds_secret(value, where, paths):
            # A secret path takes its whole sub-tree, as ``redact`` hides it whole. A list
            # holding a secret goes whole too: Helm replaces lists, it never merges them.
            secret[key] = value
            cuts.append(where)
        else:
            plain[key] = value
    return plain, secret


def split_secrets(values: dict[str, Any], paths: SecretPaths
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (the non-secret tree, the secret tree), on the paths ``redact`` hides.

    Merging the two back with Helm's rules, in either order, gives ``values`` exactly: their
    leaves are disjoint, maps emptied by the cut are left out of the non-secret tree, and a
    list that holds a secret goes whole into the secret tree. Nulls stay non-secret (``redact``
    shows them too). The inputs are not changed; the trees share sub-trees with ``values``.
    """
    return _split(values, (), paths, [])


def secret_cuts(values: dict[str, Any], paths: SecretPaths) -> list[str]:
    """The dotted paths ``split_secrets`` moves into the secret tree, in document order."""
    cuts: list[tuple[str | int, ...]] = []
    _split(values, (), paths, cuts)
    return [format_path(c) for c in cuts]
