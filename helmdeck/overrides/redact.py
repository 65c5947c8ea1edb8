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

from helmdeck.plugins.secrets import Matcher, SecretPaths, State
from helmdeck.values.paths import format_path

REDACTED = "<redacted>"


def _redact(value: Any, state: State, matcher: Matcher) -> Any:
    if value is None:
        return None
    if type(value) is dict:
        out = {}
        for k, v in value.items():
            child = matcher.step(state, k)
            # A whole map or list on a secret path hides too: a keyring, a list of URLs.
            out[k] = (None if v is None else REDACTED) if matcher.accepts(child) else \
                _redact(v, child, matcher)
        return out
    if type(value) is list:
        out_list = []
        for i, v in enumerate(value):
            child = matcher.step(state, i)
            out_list.append((None if v is None else REDACTED) if matcher.accepts(child)
                            else _redact(v, child, matcher))
        return out_list
    return value


def redact(values: dict[str, Any], paths: SecretPaths) -> dict[str, Any]:
    """A copy of ``values`` with every value on a secret path replaced by ``<redacted>``."""
    result: dict[str, Any] = _redact(values, paths.all.start, paths.all)
    return result


def _children(value: Any) -> list[tuple[str | int, Any]]:
    if type(value) is dict:
        return list(value.items())
    if type(value) is list:
        return list(enumerate(value))
    return []


def secret_values(values: dict[str, Any], paths: SecretPaths) -> list[str]:
    """Every string at or under a secret path of ``values``: what a message must not quote."""
    found: list[str] = []
    matcher = paths.all

    def walk(value: Any, state: State, secret: bool) -> None:
        if secret and isinstance(value, str) and value:
            found.append(value)
        for key, child in _children(value):
            after = matcher.step(state, key)
            walk(child, after, secret or matcher.accepts(after))

    walk(values, matcher.start, False)
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
    matcher = paths.all

    def walk(value: Any, state: State, secret: bool) -> Any:
        if type(value) is dict:
            return {k: walk(v, (after := matcher.step(state, k)),
                            secret or matcher.accepts(after)) for k, v in value.items()}
        if type(value) is list:
            return [walk(v, (after := matcher.step(state, i)),
                         secret or matcher.accepts(after)) for i, v in enumerate(value)]
        if secret and isinstance(value, str) and value:
            return REDACTED
        return value

    result: dict[str, Any] = walk(values, matcher.start, False)
    return result


def _holds_secret(value: Any, state: State, matcher: Matcher) -> bool:
    """True when some non-null value at or under this point is on a secret path (or was
    redacted already: a server's answer, whose plugins' declared paths this side lacks)."""
    if value is None:
        return False
    if matcher.accepts(state) or value == REDACTED:
        return True
    return any(_holds_secret(v, matcher.step(state, k), matcher) for k, v in _children(value))


def _split(
    values: dict[str, Any], path: tuple[str | int, ...], state: State, matcher: Matcher,
    cuts: list[tuple[str | int, ...]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for key, value in values.items():
        where = (*path, key)
        after = matcher.step(state, key)
        if type(value) is dict and value and not matcher.accepts(after):
            sub_plain, sub_secret = _split(value, where, after, matcher, cuts)
            if sub_plain:
                plain[key] = sub_plain
            if sub_secret:
                secret[key] = sub_secret
        elif _holds_secret(value, after, matcher):
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
    return _split(values, (), paths.all.start, paths.all, [])


def secret_cuts(values: dict[str, Any], paths: SecretPaths) -> list[str]:
    """The dotted paths ``split_secrets`` moves into the secret tree, in document order."""
    cuts: list[tuple[str | int, ...]] = []
    _split(values, (), paths.all.start, paths.all, cuts)
    return [format_path(c) for c in cuts]
