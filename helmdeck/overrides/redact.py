"""Hiding secret values before anything is shown, logged or stored as a diff.

Values are redacted by path (``helmdeck.plugins.secretpaths``), not by value, so it also works
on a remote client that never sees the secrets, and an operator can still see WHERE a secret
is. Free text (Helm's error messages, which may quote a rendered manifest) has no paths, so
there the known secret values themselves are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def secret_values(values: dict[str, Any]) -> list[str]:
    """Every string at or under a secret path of ``values``: what a message must not quote."""
    found: list[str] = []

    def walk(value: Any, path: tuple[str | int, ...], secret: bool) -> None:
        secret = secret or bool(path and is_secret_path(path))
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


def _holds_secret(value: Any, path: tuple[str | int, ...]) -> bool:
    """True when some non-null value at or under ``path`` is on a secret path."""
    if value is None:
        return False
    if path and is_secret_path(path):
        return True
    if type(value) is dict:
        return any(_holds_secret(v, (*path, k)) for k, v in value.items())
    if type(value) is list:
        return any(_holds_secret(v, (*path, i)) for i, v in enumerate(value))
    return False


def _split(
    values: dict[str, Any], path: tuple[str | int, ...], cuts: list[tuple[str | int, ...]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for key, value in values.items():
        where = (*path, key)
        if type(value) is dict and value and not is_secret_path(where):
            sub_plain, sub_secret = _split(value, where, cuts)
            if sub_plain:
                plain[key] = sub_plain
            if sub_secret:
                secret[key] = sub_secret
        elif _holds_secret(value, where):
            # A secret path takes its whole sub-tree, as ``redact`` hides it whole. A list
            # holding a secret goes whole too: Helm replaces lists, it never merges them.
            secret[key] = value
            cuts.append(where)
        else:
            plain[key] = value
    return plain, secret


def split_secrets(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (the non-secret tree, the secret tree), on the paths ``redact`` hides.

    Merging the two back with Helm's rules, in either order, gives ``values`` exactly: their
    leaves are disjoint, maps emptied by the cut are left out of the non-secret tree, and a
    list that holds a secret goes whole into the secret tree. Nulls stay non-secret (``redact``
    shows them too). The inputs are not changed; the trees share sub-trees with ``values``.
    """
    return _split(values, (), [])


def secret_cuts(values: dict[str, Any]) -> list[str]:
    """The dotted paths ``split_secrets`` moves into the secret tree, in document order."""
    from helmdeck.values.paths import format_path

    cuts: list[tuple[str | int, ...]] = []
    _split(values, (), cuts)
    return [format_path(c) for c in cuts]
