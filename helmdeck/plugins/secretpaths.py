"""Which value paths hold secrets.

One list serves two jobs: redacting output (tables, YAML, diffs, errors) and refusing user
overrides that would set a secret behind the secret store's back. Patterns are matched per
path segment with shell globs; ``**`` spans any number of segments. They are deliberately
broad (any ``*password*`` under ``conf``) because a missed secret leaks while an extra
redaction only hides a value the operator can still ``--reveal``.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

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


def _compile(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.split("."))


_COMPILED = tuple(_compile(p) for p in SECRET_PATTERNS)


@lru_cache(maxsize=4096)
def _match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(rest, parts[1:])


def is_secret_path(parts: tuple[str | int, ...]) -> bool:
    """True when the value at ``parts`` is (or may hold) a secret."""
    key = tuple(str(p) for p in parts)
    return any(_match(p, key) for p in _COMPILED)
