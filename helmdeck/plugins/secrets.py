"""Which value paths hold secrets: the patterns every chart shares plus what plugins declare.

One matcher serves every job: redacting output (tables, YAML, diffs, errors), refusing user
overrides that would set a secret behind the secret store's back, and checking that plugins
declare what they set. Patterns are matched per path segment with shell globs; ``**`` spans
any number of segments. They are deliberately broad (any ``*password*`` under ``conf``)
because a missed secret leaks while an extra redaction only hides a value the operator can
still ``--reveal``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from functools import lru_cache

Parts = tuple[str, ...]

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


def compile_pattern(pattern: str) -> Parts:
    return tuple(pattern.split("."))


_SHARED = tuple(compile_pattern(p) for p in SECRET_PATTERNS)


@lru_cache(maxsize=8192)
def _match(pattern: Parts, parts: Parts) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(rest, parts[1:])


class SecretPaths:
    """The shared patterns plus every path a loaded plugin declared for a secret."""

    def __init__(self, declared: Iterable[str] = ()) -> None:
        self.declared = tuple(sorted({compile_pattern(d) for d in declared}))
        self._all = _SHARED + self.declared

    def __repr__(self) -> str:
        return f"SecretPaths({len(self.declared)} declared)"

    def is_secret(self, parts: tuple[str | int, ...]) -> bool:
        """True when the value at ``parts`` is (or may hold) a secret."""
        key = tuple(str(p) for p in parts)
        return any(_match(p, key) for p in self._all)

    def is_declared(self, parts: tuple[str | int, ...]) -> bool:
        """True when a plugin declared ``parts`` as a secret's path."""
        key = tuple(str(p) for p in parts)
        return any(_match(p, key) for p in self.declared)

    def looks_secret(self, parts: tuple[str | int, ...]) -> bool:
        """True when the shared patterns alone say ``parts`` holds a secret."""
        key = tuple(str(p) for p in parts)
        return any(_match(p, key) for p in _SHARED)
