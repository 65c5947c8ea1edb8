"""The secret-path automaton against a plain recursive glob matcher (the specification)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.plugins.secrets import SECRET_PATTERNS, Matcher, SecretPaths


def naive(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Segment globs, ``**`` for any number of segments: the meaning the automaton keeps."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(naive(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and naive(rest, parts[1:])


KEYS = st.sampled_from(["conf", "endpoints", "auth", "admin", "password", "db_password",
                        "x", "kek", "connection", "a.b", "*", "0", "keyring", "ceph_client"])
SEGMENTS = st.one_of(KEYS, st.just("**"), st.just("*"), st.just("*password*"),
                     st.just("[ab]*"), st.just("k?k"))
PATTERNS = st.lists(st.lists(SEGMENTS, min_size=1, max_size=5).map(".".join), max_size=6)
PATHS = st.lists(KEYS, max_size=7).map(tuple)


@settings(max_examples=500, deadline=None)
@given(PATTERNS, st.lists(PATHS, min_size=1, max_size=5))
def test_the_automaton_matches_what_the_globs_say(patterns: list[str],
                                                  paths: list[tuple[str, ...]]) -> None:
    matcher = Matcher(patterns)
    for parts in paths:  # the memo is shared across paths: it must not change any answer
        expected = any(naive(tuple(p.split(".")), parts) for p in patterns)
        assert matcher.match(parts) is expected, (patterns, parts)


@settings(max_examples=300, deadline=None)
@given(PATHS)
def test_the_shared_patterns_and_a_walk_down_the_tree_agree(parts: tuple[str, ...]) -> None:
    paths = SecretPaths(["conf.x.kek"])
    expected = any(naive(tuple(p.split(".")), parts) for p in (*SECRET_PATTERNS, "conf.x.kek"))
    assert paths.is_secret(parts) is expected
    state = paths.all.start
    for part in parts:
        state = paths.all.step(state, part)
    assert paths.all.accepts(state) is expected
    assert paths.is_declared(parts) is naive(("conf", "x", "kek"), parts)


def test_list_indices_are_matched_as_their_digits() -> None:
    assert SecretPaths(["conf.list.0.password"]).is_declared(("conf", "list", 0, "password"))
