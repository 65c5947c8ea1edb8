"""Which value paths hold secrets: the patterns every chart shares plus what plugins declare.

One matcher serves every job: redacting output (tables, YAML, diffs, errors), refusing user
overrides that would set a secret behind the secret store's back, and checking that plugins
declare what they set. Patterns are matched per path segment with shell globs; ``**`` spans
any number of segments. They are deliberately broad (any ``*password*`` under ``conf``)
because a missed secret leaks while an extra redaction only hides a value the operator can
still ``--reveal``.

The patterns are run as one automaton over path segments, so a walk down a values tree
carries its matching state from a map to its children (``start``, ``step``, ``accepts``):
redacting a tree costs one step per key, whatever the number of patterns or the depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import translate

Parts = tuple[str, ...]
# A state: the (pattern, position) pairs still alive after the segments seen so far.
State = frozenset[tuple[int, int]]

SECRET_PATTERNS: tuple[str, ...] = (
    "endpoints.*.auth.*.password",
    "endpoints.*.auth.*.token",
    "endpoints.*.auth.erlang_cookie",
    "endpoints.*.auth.memcache_secret_key",
    "conf.**.*password*",
    "conf.**.*secret_key*",
    "conf.**.metadata_proxy_shared_secret",
    "conf.**.transport_url",
    "conf.**.connection",
    "conf.**.*secret_uuid",
    "conf.**.*keyring",
    "ceph_client.**.*keyring",
    "ceph_client.**.*secret_uuid",
)
_GLOB = re.compile(r"[*?\[]")
_MAX_MEMO = 65_536


class _Segment:
    """One segment of a pattern: ``**``, a literal key, or a glob compiled once."""

    __slots__ = ("glob", "literal", "spans")

    def __init__(self, text: str) -> None:
        self.spans = text == "**"
        self.literal = None if self.spans or _GLOB.search(text) else text
        self.glob = re.compile(translate(text)) if not self.spans and self.literal is None \
            else None

    def matches(self, key: str) -> bool:
        if self.literal is not None:
            return key == self.literal
        return self.glob is not None and self.glob.match(key) is not None


class Matcher:
    """A set of dotted patterns as a segment automaton, with its transitions remembered."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(sorted(set(patterns)))
        self._segments = [tuple(_Segment(s) for s in p.split(".")) for p in self.patterns]
        self._memo: dict[tuple[State, str], State] = {}
        self._accepting: dict[State, bool] = {}
        self.start = self._closure({(i, 0) for i in range(len(self._segments))})

    def _closure(self, states: set[tuple[int, int]]) -> State:
        """Add the states a ``**`` reaches by spanning no segment at all."""
        todo = list(states)
        while todo:
            i, pos = todo.pop()
            segs = self._segments[i]
            if pos < len(segs) and segs[pos].spans and (i, pos + 1) not in states:
                states.add((i, pos + 1))
                todo.append((i, pos + 1))
        return frozenset(states)

    def step(self, state: State, key: str | int) -> State:
        """The state after one more path segment (a list index counts as its digits)."""
        text = str(key)
        memo = self._memo.get((state, text))
        if memo is not None:
            return memo
        after: set[tuple[int, int]] = set()
        for i, pos in state:
            segs = self._segments[i]
            if pos == len(segs):
                continue
            seg = segs[pos]
            if seg.spans:
                after.add((i, pos))
            elif seg.matches(text):
                after.add((i, pos + 1))
        result = self._closure(after)
        if len(self._memo) >= _MAX_MEMO:
            self._memo.clear()
        self._memo[(state, text)] = result
        return result

    def accepts(self, state: State) -> bool:
        """Whether a pattern has matched the whole path seen so far."""
        known = self._accepting.get(state)
        if known is None:
            known = any(pos == len(self._segments[i]) for i, pos in state)
            if len(self._accepting) >= _MAX_MEMO:
                self._accepting.clear()
            self._accepting[state] = known
        return known

    def match(self, parts: tuple[str | int, ...]) -> bool:
        state = self.start
        for part in parts:
            state = self.step(state, part)
            if not state:
                return False
        return self.accepts(state)


_SHARED = Matcher(SECRET_PATTERNS)


class SecretPaths:
    """The shared patterns plus every path a loaded plugin declared for a secret."""

    def __init__(self, declared: Iterable[str] = ()) -> None:
        self.declared = Matcher(declared)
        self.all = Matcher((*SECRET_PATTERNS, *self.declared.patterns))

    def __repr__(self) -> str:
        return f"SecretPaths({len(self.declared.patterns)} declared)"

    def is_secret(self, parts: tuple[str | int, ...]) -> bool:
        """True when the value at ``parts`` is (or may hold) a secret."""
        return self.all.match(parts)

    def is_declared(self, parts: tuple[str | int, ...]) -> bool:
        """True when a plugin declared ``parts`` as a secret's path."""
        return self.declared.match(parts)

    def looks_secret(self, parts: tuple[str | int, ...]) -> bool:
        """True when the shared patterns alone say ``parts`` holds a secret."""
        return _SHARED.match(parts)
