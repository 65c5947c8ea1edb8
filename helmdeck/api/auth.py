"""Bearer-token authentication with two roles: ``reader`` (GETs) and ``admin`` (everything).

Tokens are checked against the store's hashes. A verified token is remembered for a few
seconds (by its hash, never in clear) because on SQLite every store transaction takes the
write lock, and checking each GET there would serialise all readers behind the writers.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from helmdeck.store import Store, repo

CACHE_SECONDS = 5.0
_CACHE_MAX = 1024

_bearer = HTTPBearer(auto_error=False, description="A token from `helmdeck token create`.")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as the audit log is concerned."""

    role: str

    @property
    def actor(self) -> str:
        return f"api:{self.role}"


class TokenVerifier:
    """Maps a presented token to its role, with a short positive cache."""

    def __init__(self, store: Store, ttl: float = CACHE_SECONDS) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, float]] = {}

    def role(self, token: str) -> str | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self._store.transaction() as s:
            role = repo.token_role(s, token)
        if role is not None:
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = (role, now + self._ttl)
        return role


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def reader(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token: reading is all a reader may do."""
    if creds is None:
        raise _unauthorized(
            "Authorization: missing bearer token; send 'Authorization: Bearer <token>' "
            "with a token from `helmdeck token create`"
        )
    verifier: TokenVerifier = request.app.state.tokens
    role = verifier.role(creds.credentials)
    if role is None:
        raise _unauthorized("Authorization: token not recognised; create one with "
                            "`helmdeck token create`")
    return Principal(role)


def admin(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A token with the admin role: every write and every reveal needs one."""
    if principal.role != "admin":
        raise HTTPException(403, detail=f"role {principal.role}: this request needs an admin "
                                        "token (helmdeck token create --role admin)")
    return principal
