"""Redaction by path and the redacted diff: no secret value survives, nothing else changes."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.overrides.diff import values_diff
from helmdeck.overrides.redact import REDACTED, redact, secret_cuts, split_secrets
from helmdeck.plugins.registry import load_plugins
from helmdeck.values.merge import merge_values

PATHS = load_plugins().secret_paths
is_secret_path = PATHS.is_secret

KEYS = st.sampled_from(
    [
        "endpoints",
        "identity",
        "auth",
        "admin",
        "password",
        "conf",
        "keystone",
        "database",
        "connection",
        "memcache_secret_key",
        "erlang_cookie",
        "db_password",
        "pod",
        "replicas",
        "name",
        "x.y",
    ]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)
TREES = st.dictionaries(KEYS, VALUES, max_size=5)


def _walk(value: Any, path: tuple[Any, ...] = ()) -> Any:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_redact_hides_exactly_the_secret_paths(tree: dict[str, Any]) -> None:
    original = copy.deepcopy(tree)
    out = redact(tree, PATHS)
    assert tree == original  # the input is not changed
    for path, value in _walk(tree):
        secret_at = next((n for n in range(1, len(path) + 1) if is_secret_path(path[:n])), None)
        if secret_at is None:
            if not isinstance(value, (dict, list)):
                assert _get(out, path) == value
        elif secret_at == len(path):
            assert _get(out, path) == (None if value is None else REDACTED)


def test_redact_examples() -> None:
    tree = {
        "endpoints": {
            "identity": {"auth": {"admin": {"password": "s3cr3t", "username": "admin"}}},
            "oslo_cache": {"auth": {"memcache_secret_key": "k" * 64}},
        },
        "conf": {
            "nova": {"database": {"connection": "mysql://u:pw@db/nova"}},
            "ceph": {"keyring": ["a", "b"]},
            "empty_password": None,
        },
        "pod": {"replicas": {"api": 3}},
    }
    out = redact(tree, PATHS)
    assert out["endpoints"]["identity"]["auth"]["admin"] == {
        "password": REDACTED,
        "username": "admin",
    }
    assert out["endpoints"]["oslo_cache"]["auth"]["memcache_secret_key"] == REDACTED
    assert out["conf"]["nova"]["database"]["connection"] == REDACTED
    assert out["conf"]["ceph"]["keyring"] == REDACTED
    assert out["conf"]["empty_password"] is None
    assert out["pod"] == tree["pod"]
    assert tree["endpoints"]["identity"]["auth"]["admin"]["password"] == "s3cr3t"


@settings(max_examples=150, deadline=None)
@given(TREES, TREES, st.text(alphabet="abcdefghXYZ", min_size=12, max_size=20))
def test_diff_never_shows_a_secret(old: dict[str, Any], new: dict[str, Any], secret: str) -> None:
    # Letters only and longer than any generated text: it cannot appear by chance.
    path = {"endpoints": {"identity": {"auth": {"admin": {"password": secret}}}}}
    diff = values_diff(
        {**old, **path}, {**new, "conf": {"x": {"db_password": secret + "2"}}}, PATHS
    )
    assert secret not in diff


def test_diff_shows_changes() -> None:
    diff = values_diff({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}}, PATHS)
    assert "-  c: 2" in diff and "+  c: 3" in diff
    assert values_diff({"a": 1}, {"a": 1}, PATHS) == ""


@settings(max_examples=400, deadline=None)
@given(TREES)
def test_split_secrets_merges_back_to_the_values_exactly(tree: dict[str, Any]) -> None:
    original = copy.deepcopy(tree)
    plain, secret = split_secrets(tree, PATHS)
    assert tree == original  # the input is not changed
    # Helm's merge, in either order (helm -f plain -f secret; Flux: valuesFrom, then values)
    assert merge_values(plain, secret) == tree
    assert merge_values(secret, plain) == tree
    # nothing secret is left in the non-secret tree, which redaction leaves unchanged
    assert redact(plain, PATHS) == plain
    # and the secret tree only holds what redaction hides (or a list that holds some)
    for path, _ in _walk(secret):
        if path and not isinstance(_get(secret, path), dict):
            assert any(is_secret_path(path[:n]) for n in range(1, len(path) + 1)) or any(
                isinstance(_get(tree, path[:n]), list) for n in range(1, len(path) + 1))
    assert bool(secret) == bool(secret_cuts(tree, PATHS))


def test_split_secrets_examples() -> None:
    tree = {
        "endpoints": {"identity": {"auth": {"admin": {"password": "s3cr3t", "username": "admin"}}},
                      "oslo_cache": {"auth": {"memcache_secret_key": "k"}}},
        "conf": {"nova": {"database": {"connection": "mysql://u:pw@db/nova"}},
                 "list": [{"password": "p", "name": "n"}], "empty_password": None, "x": {}},
        "pod": {"replicas": {"api": 3}},
    }
    plain, secret = split_secrets(tree, PATHS)
    assert plain == {
        "endpoints": {"identity": {"auth": {"admin": {"username": "admin"}}}},
        "conf": {"empty_password": None, "x": {}},
        "pod": {"replicas": {"api": 3}},
    }
    assert secret == {
        "endpoints": {"identity": {"auth": {"admin": {"password": "s3cr3t"}}},
                      "oslo_cache": {"auth": {"memcache_secret_key": "k"}}},
        # the list goes whole: Helm would replace, not merge, a list split in two
        "conf": {"nova": {"database": {"connection": "mysql://u:pw@db/nova"}},
                 "list": [{"password": "p", "name": "n"}]},
    }
    assert secret_cuts(tree, PATHS) == [
        "endpoints.identity.auth.admin.password", "endpoints.oslo_cache.auth.memcache_secret_key",
        "conf.nova.database.connection", "conf.list"]
    assert split_secrets({}, PATHS) == ({}, {})
